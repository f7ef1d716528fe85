// @ts-check
'use strict';
(function () {
  /** @type {<K extends keyof ViewerElements>(id: K) => ViewerElements[K]} */
  var $ = function (id) { return /** @type {any} */ (document.getElementById(id)); };
  var token = new URLSearchParams(location.search).get('token');
  var canvas = $('view');
  var ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  var MAGIC = 0x31524843;
  var STAGES = ['queue', 'prep', 'infer', 'smooth', 'compose', 'jpeg'];
  /** @type {WebSocket | null} */
  var ws = null;
  var retryMs = 250, retryTimer = 0;
  /** @type {ArrayBuffer | null} the newest frame waiting while one is drawn */
  var next = null;
  var busy = false;
  /** @type {number[]} */
  var latencies = [];
  var drawn = 0, windowStart = performance.now();
  /** @type {ViewerState} */
  var s = {
    fps: 0, latencyMs: null, frames: 0, droppedSource: 0, droppedLink: 0, droppedViewer: 0,
    source: 'unknown', link: 'connecting', width: 0, height: 0, stages: null, reconnects: 0, lastSeq: -1
  };
  window.chromaViewer = s;
  s.shownSeq = -1;
  // Colour hints (viewer-hints.ts: its own block, run before this one).
  var hints = window.chromaHints || null;
  // The viewer's own camera: frames go up the same socket (CHU1 + seq + capture time + JPEG), at
  // most camCfg.maxFps a second and two in flight; results come back flagged (header bit 1).
  var UPLOAD_MAGIC = 0x31554843;
  /** @type {CameraLimits | null} the server's limits (hello.camera) */
  var camCfg = null;
  /** @type {MediaStream | null} */
  var camStream = null;
  var camTimer = 0, camSeq = 0, camInFlight = 0, camLastBack = 0;
  /** @type {number[]} */
  var camLat = [];
  var camDrawn = 0;
  /** @type {NonNullable<ViewerState['camera']>} */
  var cam = { on: false, frames: 0, fps: 0, latencyMs: null, sent: 0 };
  s.camera = cam;

  function wallNow() { return performance.timeOrigin + performance.now(); }
  function setState(el, text, state) { el.textContent = text; el.dataset.state = state; }
  function setLink(text, state) { s.link = text; setState($('link'), text, state); }
  function flash(text, isError) {
    var m = $('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
  }

  function wsUrl() {
    // Beside the page: /ws for a one-source server, /NAME/ws for a source of a several-source one.
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + location.pathname.replace(/[^/]*$/, '') + 'ws' +
      (token ? '?token=' + encodeURIComponent(token) : '');
  }

  function connect() {
    retryTimer = 0;
    setLink('connecting', 'connecting');
    /** @type {WebSocket} */
    var sock;
    try { sock = ws = new WebSocket(wsUrl()); } catch (e) { schedule(0); return; }
    sock.binaryType = 'arraybuffer';
    sock.onopen = function () { retryMs = 250; setLink('connected', 'connected'); };
    sock.onmessage = function (ev) {
      if (typeof ev.data === 'string') {
        var m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        onJson(m);
      } else {
        onFrame(ev.data);
      }
    };
    sock.onclose = function (ev) { ws = null; schedule(ev.code); };
  }

  function schedule(code) {
    if (retryTimer) return;
    var wait = retryMs;
    retryMs = Math.min(5000, retryMs * 2);
    setLink('reconnecting in ' + (wait / 1000).toFixed(1) + ' s' + (code === 1008 ? ' (refused)' : ''), 'reconnecting');
    showBanner('Connection to the server lost; reconnecting\u2026');
    retryTimer = setTimeout(connect, wait);
  }

  function showBanner(text) {
    var b = $('banner');
    if (text) { b.textContent = text; b.hidden = false; } else { b.hidden = true; }
  }

  function showSource(src) {
    if (!src) return;
    s.source = src.status;
    var text = src.status;
    if ((src.status === 'reconnecting' || src.status === 'waiting') && typeof src.retryInMs === 'number') text += ' (retry in ' + (src.retryInMs / 1000).toFixed(1) + ' s)';
    setState($('source'), text, src.status);
    if (src.status === 'connected') showBanner('');
    else if (src.status === 'reconnecting') showBanner('Source lost' + (src.message ? ': ' + src.message : '') + ' \u2014 reconnecting\u2026');
    else if (src.status === 'waiting') showBanner('Waiting for the source' + (src.message ? ': ' + src.message : '') + ' \u2014 it is retried until it answers\u2026');
    else if (src.status === 'ended') showBanner('The source has ended.');
    else if (src.status === 'stopped') showBanner('The server is stopping.');
    else showBanner('Connecting to the source\u2026');
  }

  function applyState(st) {
    if (!st) return;
    var t = $('temperature'), sm = $('smooth'), p = $('paused');
    if (document.activeElement !== t) { t.value = st.temperature; $('temperatureOut').textContent = Number(st.temperature).toFixed(2); }
    if (document.activeElement !== sm) { sm.value = st.smooth; $('smoothOut').textContent = Number(st.smooth).toFixed(2); }
    p.checked = !!st.paused;
    $('showOriginal').checked = st.view === 'original';
  }

  function onJson(m) {
    if (hints) hints.onJson(m);
    switch (m.type) {
      case 'hello':
        if (m.camera) {
          camCfg = m.camera;
          var b = $('useCamera');
          b.hidden = false;
          b.disabled = !m.camera.enabled || !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
          b.title = !m.camera.enabled ? 'needs a server started with --token' : b.disabled ? 'this page needs https or localhost for the camera' : '';
        }
        applyState(m.state);
        showSource(m.source);
        $('smooth').disabled = !m.smoothAvailable;
        // The original/restored switch: off, with the reason beside it, when the server does not restore.
        var why = m.restore && !m.restore.enabled ? m.restore.reason : '';
        $('showOriginal').disabled = !!why;
        $('viewLabel').title = why;
        $('viewWhy').textContent = why;
        break;
      case 'state': applyState(m.state); break;
      case 'status': showSource(m.source); break;
      case 'stats':
        s.droppedLink = m.dropped;
        if (m.source) showSource(m.source);
        break;
      case 'error': flash(m.message, true); break;
    }
  }

  function onFrame(buf) {
    if (buf.byteLength >= 72 && (new DataView(buf).getUint16(6, true) & 2)) return onCamFrame(buf);
    if (busy) {
      if (next) s.droppedViewer++;
      next = buf;
      return;
    }
    draw(buf);
  }

  function draw(buf) {
    if (buf.byteLength < 72) return;
    var dv = new DataView(buf);
    if (dv.getUint32(0, true) !== MAGIC) return;
    busy = true;
    var hl = dv.getUint16(4, true), w = dv.getUint16(12, true), h = dv.getUint16(14, true);
    var decodedAt = dv.getFloat64(24, true);
    /** @type {Record<string, number>} */
    var stages = {};
    for (var i = 0; i < STAGES.length; i++) stages[STAGES[i]] = dv.getFloat32(40 + 4 * i, true);
    s.droppedSource = dv.getUint32(64, true);
    s.reconnects = dv.getUint32(68, true);
    var seq = s.lastSeq = dv.getUint32(8, true);
    var blob = new Blob([new Uint8Array(buf, hl)], { type: 'image/jpeg' });
    createImageBitmap(blob).then(function (bmp) {
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      ctx.drawImage(bmp, 0, 0);
      if (bmp.close) bmp.close();
      s.shownSeq = seq;
      if (hints) hints.onFrame(seq);
      latencies.push(wallNow() - decodedAt);
      s.frames++;
      s.width = w;
      s.height = h;
      s.stages = stages;
      drawn++;
    }, function () {}).then(function () {
      busy = false;
      if (next) { var n = next; next = null; draw(n); }
    });
  }

  function onCamFrame(buf) {
    var dv = new DataView(buf);
    var hl = dv.getUint16(4, true), w = dv.getUint16(12, true), h = dv.getUint16(14, true), capturedAt = dv.getFloat64(24, true);
    camInFlight = Math.max(0, camInFlight - 1);
    camLastBack = performance.now();
    createImageBitmap(new Blob([new Uint8Array(buf, hl)], { type: 'image/jpeg' })).then(function (bmp) {
      var out = $('camOut');
      if (out.width !== w || out.height !== h) { out.width = w; out.height = h; }
      /** @type {CanvasRenderingContext2D} */ (out.getContext('2d')).drawImage(bmp, 0, 0);
      if (bmp.close) bmp.close();
      camLat.push(wallNow() - capturedAt);
      cam.frames++;
      camDrawn++;
    }, function () {});
  }

  function sendCamFrame() {
    var video = $('camIn');
    const cfg = camCfg, socket = ws;
    if (!cfg || !socket || socket.readyState !== 1 || !video.videoWidth) return;
    // A result lost on the way must not stall the camera for good.
    if (camInFlight >= 2 && performance.now() - camLastBack < 2000) return;
    if (camInFlight >= 2) camInFlight = 0;
    var scale = Math.min(1, cfg.maxWidth / video.videoWidth, cfg.maxHeight / video.videoHeight);
    var grab = document.createElement('canvas');
    grab.width = Math.round(video.videoWidth * scale);
    grab.height = Math.round(video.videoHeight * scale);
    /** @type {CanvasRenderingContext2D} */ (grab.getContext('2d')).drawImage(video, 0, 0, grab.width, grab.height);
    var capturedAt = wallNow(), seq = camSeq++;
    camInFlight++;
    grab.toBlob(function (blob) {
      if (!blob) { camInFlight--; return; }
      blob.arrayBuffer().then(function (jpeg) {
        // The socket open now (it may have reconnected meanwhile).
        var open = ws;
        if (jpeg.byteLength + 16 > cfg.maxBytes || !open || open.readyState !== 1) { camInFlight--; return; }
        var msg = new Uint8Array(16 + jpeg.byteLength), dv = new DataView(msg.buffer);
        dv.setUint32(0, UPLOAD_MAGIC, true);
        dv.setUint32(4, seq, true);
        dv.setFloat64(8, capturedAt, true);
        msg.set(new Uint8Array(jpeg), 16);
        open.send(msg);
        cam.sent++;
      });
    }, 'image/jpeg', 0.8);
  }

  function startCamera() {
    const cfg = camCfg;
    if (!cfg) return;
    navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15 } }, audio: false }).then(function (stream) {
      camStream = stream;
      var video = $('camIn');
      video.srcObject = stream;
      video.play();
      $('camera').hidden = false;
      $('useCamera').textContent = 'stop my camera';
      cam.on = true;
      camTimer = setInterval(sendCamFrame, Math.ceil(1000 / cfg.maxFps));
    }, function (e) { flash('camera: ' + (e && e.message ? e.message : e), true); });
  }

  function stopCamera() {
    clearInterval(camTimer);
    if (camStream) camStream.getTracks().forEach(function (t) { t.stop(); });
    camStream = null;
    cam.on = false;
    camInFlight = 0;
    $('camera').hidden = true;
    $('useCamera').textContent = 'use my camera';
  }

  function render() {
    $('fps').textContent = s.fps.toFixed(1);
    $('latency').textContent = s.latencyMs === null ? '\u2013' : String(Math.round(s.latencyMs));
    $('dropped').textContent = 'server ' + s.droppedSource + ' \u00b7 link ' + s.droppedLink + ' \u00b7 here ' + s.droppedViewer;
    if (cam.on) {
      $('camFps').textContent = cam.fps.toFixed(1);
      $('camLatency').textContent = cam.latencyMs === null ? '\u2013' : String(Math.round(cam.latencyMs));
    }
    const st = s.stages;
    if (st) {
      $('stages').textContent = STAGES.map(function (k) { return k + ' ' + st[k].toFixed(0); }).join(' \u00b7 ') + ' ms';
    }
  }

  setInterval(function () {
    var t = performance.now();
    s.fps = (drawn * 1000) / Math.max(1, t - windowStart);
    cam.fps = (camDrawn * 1000) / Math.max(1, t - windowStart);
    drawn = 0;
    camDrawn = 0;
    windowStart = t;
    if (latencies.length) {
      latencies.sort(function (a, b) { return a - b; });
      s.latencyMs = latencies[Math.floor(latencies.length / 2)];
      latencies = [];
    }
    if (camLat.length) {
      camLat.sort(function (a, b) { return a - b; });
      cam.latencyMs = camLat[Math.floor(camLat.length / 2)];
      camLat = [];
    }
    render();
  }, 1000);

  function send(obj) {
    if (!ws || ws.readyState !== 1) { flash('not connected', true); return false; }
    ws.send(JSON.stringify(obj));
    flash('', false);
    return true;
  }
  function sendSet(patch) { patch.type = 'set'; send(patch); }
  if (hints) hints.init({ canvas: canvas, send: send, flash: flash, state: s });
  var pendingPatch = null, patchTimer = 0;
  function queueSet(patch) {
    pendingPatch = Object.assign(pendingPatch || {}, patch);
    if (patchTimer) return;
    patchTimer = setTimeout(function () { patchTimer = 0; var p = pendingPatch; pendingPatch = null; sendSet(p); }, 120);
  }
  $('temperature').addEventListener('input', function () {
    var v = Number($('temperature').value);
    $('temperatureOut').textContent = v.toFixed(2);
    queueSet({ temperature: v });
  });
  $('smooth').addEventListener('input', function () {
    var v = Number($('smooth').value);
    $('smoothOut').textContent = v.toFixed(2);
    queueSet({ smooth: v });
  });
  $('paused').addEventListener('change', function () { sendSet({ paused: $('paused').checked }); });
  $('showOriginal').addEventListener('change', function () { sendSet({ view: $('showOriginal').checked ? 'original' : 'restored' }); });
  $('controls').addEventListener('submit', function (e) { e.preventDefault(); });
  $('useCamera').addEventListener('click', function () { if (cam.on) stopCamera(); else startCamera(); });

  connect();
})();
