// The viewer: one self-contained HTML page (inline CSS and JS, no external requests) served from
// memory. The Content-Security-Policy allows exactly these inline blocks, by hash, and connections
// to this server only. The colour hints' script, style and markup live in viewer-hints.ts.
import { buildPage, type ViewerPage } from './page-shell.js';
import { HINTS_CONTROLS, HINTS_CSS, HINTS_JS, HINTS_OVERLAY } from './viewer-hints.js';

const CSS = `
:root { color-scheme: dark; --fg: #e8e6e3; --muted: #9a968f; --ok: #5fd068; --warn: #f0b429; --bad: #f25f5c; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: #101113; color: var(--fg);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { display: flex; flex-direction: column; align-items: center; gap: 12px; padding: 16px; }
#stage { position: relative; max-width: 100%; line-height: 0; background: #000; border-radius: 6px; overflow: hidden; }
#view { display: block; max-width: 100%; height: auto; max-height: calc(100vh - 120px); }
#overlay { position: absolute; top: 8px; left: 8px; padding: 6px 10px; border-radius: 4px; line-height: 1.45;
  background: rgba(0, 0, 0, 0.62); font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; pointer-events: none; }
#overlay .k { display: inline-block; width: 5.5em; color: var(--muted); }
#stages { color: var(--muted); }
.status[data-state="connected"] { color: var(--ok); }
.status[data-state="connecting"], .status[data-state="reconnecting"], .status[data-state="waiting"] { color: var(--warn); }
.status[data-state="ended"], .status[data-state="stopped"], .status[data-state="offline"] { color: var(--bad); }
#banner { position: absolute; inset: auto 0 0 0; padding: 8px 12px; line-height: 1.4; text-align: center;
  background: rgba(120, 60, 0, 0.78); }
#banner[hidden] { display: none; }
#controls { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; justify-content: center; }
#controls label { display: flex; gap: 6px; align-items: center; }
#controls output { min-width: 3em; font-variant-numeric: tabular-nums; }
#message { min-height: 1.4em; color: var(--muted); }
#message.error { color: var(--bad); }
#camera { margin-top: 12px; } #camera[hidden] { display: none; }
#camera .pair { display: flex; gap: 8px; flex-wrap: wrap; }
#camera figure { margin: 0; flex: 1 1 300px; } #camera figcaption { color: var(--muted); font-size: 12px; }
#camera video, #camera canvas { display: block; width: 100%; height: auto; background: #000; border-radius: 6px; }
`;

const JS = `
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var token = new URLSearchParams(location.search).get('token');
  var canvas = $('view');
  var ctx = canvas.getContext('2d');
  var MAGIC = 0x31524843;
  var STAGES = ['queue', 'prep', 'infer', 'smooth', 'compose', 'jpeg'];
  var ws = null, retryMs = 250, retryTimer = 0;
  var busy = false, next = null;
  var drawn = 0, windowStart = performance.now(), latencies = [];
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
  var camCfg = null, camStream = null, camTimer = 0, camSeq = 0, camInFlight = 0, camLastBack = 0;
  var camDrawn = 0, camLat = [];
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
    try { ws = new WebSocket(wsUrl()); } catch (e) { schedule(0); return; }
    ws.binaryType = 'arraybuffer';
    ws.onopen = function () { retryMs = 250; setLink('connected', 'connected'); };
    ws.onmessage = function (ev) {
      if (typeof ev.data === 'string') {
        var m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        onJson(m);
      } else {
        onFrame(ev.data);
      }
    };
    ws.onclose = function (ev) { ws = null; schedule(ev.code); };
  }

  function schedule(code) {
    if (retryTimer) return;
    var wait = retryMs;
    retryMs = Math.min(5000, retryMs * 2);
    setLink('reconnecting in ' + (wait / 1000).toFixed(1) + ' s' + (code === 1008 ? ' (refused)' : ''), 'reconnecting');
    showBanner('Connection to the server lost; reconnecting\\u2026');
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
    else if (src.status === 'reconnecting') showBanner('Source lost' + (src.message ? ': ' + src.message : '') + ' \\u2014 reconnecting\\u2026');
    else if (src.status === 'waiting') showBanner('Waiting for the source' + (src.message ? ': ' + src.message : '') + ' \\u2014 it is retried until it answers\\u2026');
    else if (src.status === 'ended') showBanner('The source has ended.');
    else if (src.status === 'stopped') showBanner('The server is stopping.');
    else showBanner('Connecting to the source\\u2026');
  }

  function applyState(st) {
    if (!st) return;
    var t = $('temperature'), sm = $('smooth'), p = $('paused');
    if (document.activeElement !== t) { t.value = st.temperature; $('temperatureOut').textContent = Number(st.temperature).toFixed(2); }
    if (document.activeElement !== sm) { sm.value = st.smooth; $('smoothOut').textContent = Number(st.smooth).toFixed(2); }
    p.checked = !!st.paused;
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
      out.getContext('2d').drawImage(bmp, 0, 0);
      if (bmp.close) bmp.close();
      camLat.push(wallNow() - capturedAt);
      cam.frames++;
      camDrawn++;
    }, function () {});
  }

  function sendCamFrame() {
    var video = $('camIn');
    if (!ws || ws.readyState !== 1 || !video.videoWidth) return;
    // A result lost on the way must not stall the camera for good.
    if (camInFlight >= 2 && performance.now() - camLastBack < 2000) return;
    if (camInFlight >= 2) camInFlight = 0;
    var scale = Math.min(1, camCfg.maxWidth / video.videoWidth, camCfg.maxHeight / video.videoHeight);
    var grab = document.createElement('canvas');
    grab.width = Math.round(video.videoWidth * scale);
    grab.height = Math.round(video.videoHeight * scale);
    grab.getContext('2d').drawImage(video, 0, 0, grab.width, grab.height);
    var capturedAt = wallNow(), seq = camSeq++;
    camInFlight++;
    grab.toBlob(function (blob) {
      if (!blob) { camInFlight--; return; }
      blob.arrayBuffer().then(function (jpeg) {
        if (jpeg.byteLength + 16 > camCfg.maxBytes || !ws || ws.readyState !== 1) { camInFlight--; return; }
        var msg = new Uint8Array(16 + jpeg.byteLength), dv = new DataView(msg.buffer);
        dv.setUint32(0, UPLOAD_MAGIC, true);
        dv.setUint32(4, seq, true);
        dv.setFloat64(8, capturedAt, true);
        msg.set(new Uint8Array(jpeg), 16);
        ws.send(msg);
        cam.sent++;
      });
    }, 'image/jpeg', 0.8);
  }

  function startCamera() {
    navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15 } }, audio: false }).then(function (stream) {
      camStream = stream;
      var video = $('camIn');
      video.srcObject = stream;
      video.play();
      $('camera').hidden = false;
      $('useCamera').textContent = 'stop my camera';
      cam.on = true;
      camTimer = setInterval(sendCamFrame, Math.ceil(1000 / camCfg.maxFps));
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
    $('latency').textContent = s.latencyMs === null ? '\\u2013' : String(Math.round(s.latencyMs));
    $('dropped').textContent = 'server ' + s.droppedSource + ' \\u00b7 link ' + s.droppedLink + ' \\u00b7 here ' + s.droppedViewer;
    if (cam.on) {
      $('camFps').textContent = cam.fps.toFixed(1);
      $('camLatency').textContent = cam.latencyMs === null ? '\\u2013' : String(Math.round(cam.latencyMs));
    }
    if (s.stages) {
      $('stages').textContent = STAGES.map(function (k) { return k + ' ' + s.stages[k].toFixed(0); }).join(' \\u00b7 ') + ' ms';
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
  $('temperature').addEventListener('input', function (e) {
    var v = Number(e.target.value);
    $('temperatureOut').textContent = v.toFixed(2);
    queueSet({ temperature: v });
  });
  $('smooth').addEventListener('input', function (e) {
    var v = Number(e.target.value);
    $('smoothOut').textContent = v.toFixed(2);
    queueSet({ smooth: v });
  });
  $('paused').addEventListener('change', function (e) { sendSet({ paused: e.target.checked }); });
  $('controls').addEventListener('submit', function (e) { e.preventDefault(); });
  $('useCamera').addEventListener('click', function () { if (cam.on) stopCamera(); else startCamera(); });

  connect();
})();
`;

const STYLE = CSS + HINTS_CSS;

const BODY = `<main>
  <div id="stage">
    <canvas id="view" width="640" height="480" aria-label="Colorized live video"></canvas>
    <div id="overlay" aria-live="off">
      <div><span class="k">fps</span><span id="fps">0.0</span></div>
      <div><span class="k">latency</span><span id="latency">&ndash;</span> ms</div>
      <div><span class="k">dropped</span><span id="dropped">server 0 &middot; link 0 &middot; here 0</span></div>
      <div><span class="k">source</span><span id="source" class="status" data-state="connecting">connecting</span></div>
      <div><span class="k">server</span><span id="link" class="status" data-state="connecting">connecting</span></div>
      <div id="stages"></div>
    </div>
    ${HINTS_OVERLAY}
    <div id="banner" role="status" hidden></div>
  </div>
  <form id="controls">
    <label>temperature <input id="temperature" type="range" min="0.05" max="1" step="0.01" value="0.38"><output id="temperatureOut">0.38</output></label>
    <label>smoothing <input id="smooth" type="range" min="0" max="1" step="0.05" value="0"><output id="smoothOut">0.00</output></label>
    <label><input id="paused" type="checkbox"> pause</label>
    <button id="useCamera" type="button" hidden>use my camera</button>
    ${HINTS_CONTROLS}
    <span id="message" role="status"></span>
  </form>
  <section id="camera" hidden aria-label="Your camera, colorized">
    <div class="pair">
      <figure><video id="camIn" muted playsinline></video><figcaption>your camera</figcaption></figure>
      <figure><canvas id="camOut" width="640" height="480"></canvas><figcaption>colorized</figcaption></figure>
    </div>
    <div id="camStats">camera <span id="camFps">0.0</span> fps &middot; round trip <span id="camLatency">&ndash;</span> ms</div>
  </section>
</main>
`;

export function buildViewerPage(): ViewerPage {
  return buildPage({
    title: 'chroma live', css: STYLE, body: BODY, scripts: [HINTS_JS, JS],
    allow: ["img-src 'self' blob: data:", "connect-src 'self'"],
    // The overview page of a several-source server frames each source's page; nobody else may.
    frameAncestors: "'self'",
  });
}
