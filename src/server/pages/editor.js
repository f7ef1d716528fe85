// @ts-check
'use strict';
(function () {
  /** @type {<K extends keyof EditorElements>(id: K) => EditorElements[K]} */
  var $ = function (id) { return /** @type {any} */ (document.getElementById(id)); };
  var token = new URLSearchParams(location.search).get('token') || '';
  var canvas = $('view'), ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  var MAGIC = 0x31454843;
  /** @type {WebSocket | null} */
  var ws = null;
  /** @type {EditView | null} the server's last "state" message */
  var state = null;
  /** @type {ImageBitmap | null} */
  var bitmap = null;
  var frame = 0, shownRev = -1, shownFrame = -1;
  var playing = false, playTimer = 0;
  /** @type {string | null} a hint's id, or '(new)' until the server names the one just added */
  var selected = null;
  /** @type {{ id: string, x0: number, y0: number, moved: boolean } | null} */
  var drag = null;
  /** @type {{ t0: number, rev: number, frame: number } | null} a click waiting for its frame */
  var pendingAdd = null;
  /** @type {EditorState} */
  var ed = { frames: 0, shown: 0, lastClickMs: null, clicks: [], rev: 0, frame: 0, errors: [] };
  window.chromaEditor = ed;

  function flash(text, isError) { var m = $('message'); m.textContent = text; m.className = isError ? 'error' : ''; }
  function send(o) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(o)); }
  function seek(n) {
    if (!state) return;
    frame = Math.max(0, Math.min(state.film.frames - 1, n | 0));
    send({ type: 'seek', frame: frame });
  }
  function connect() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token));
    ws.binaryType = 'arraybuffer';
    ws.onmessage = function (ev) { if (typeof ev.data === 'string') onJson(JSON.parse(ev.data)); else onFrame(ev.data); };
    ws.onclose = function () { flash('disconnected from the editor (reload to reconnect)', true); stop(); };
  }
  function onJson(m) {
    if (m.type === 'state') {
      state = m; ed.rev = m.rev;
      // A hint just added is selected once the server names it.
      if (selected === '(new)' && m.added) selected = m.added;
      if (shownFrame < 0) { $('seek').max = String(m.film.frames - 1); }
      renderList(); draw();
      $('tracking').textContent = m.tracking ? 'tracking…' : '';
    } else if (m.type === 'suggest') {
      var box = $('suggest'); box.textContent = '';
      m.colors.forEach(function (c) {
        var b = document.createElement('button'); b.type = 'button'; b.style.background = c.color;
        b.title = c.color + ' (' + Math.round(c.p * 100) + '%)'; b.dataset.color = c.color;
        b.addEventListener('click', function () { setColor(c.color); });
        box.appendChild(b);
      });
    } else if (m.type === 'saved') flash('saved ' + m.path);
    else if (m.type === 'error') { ed.errors.push(m.message); flash(m.message, true); }
  }
  function onFrame(buf) {
    var dv = new DataView(buf);
    if (buf.byteLength < 12 || dv.getUint32(0, true) !== MAGIC) return;
    var n = dv.getUint32(4, true), rev = dv.getUint32(8, true);
    createImageBitmap(new Blob([new Uint8Array(buf, 12)], { type: 'image/jpeg' })).then(function (bmp) {
      if (bitmap) bitmap.close();
      bitmap = bmp; shownFrame = n; shownRev = rev; ed.frame = n; ed.shown++;
      if (canvas.width !== bmp.width) { canvas.width = bmp.width; canvas.height = bmp.height; }
      if (pendingAdd && rev >= pendingAdd.rev && n === pendingAdd.frame) {
        ed.lastClickMs = performance.now() - pendingAdd.t0; ed.clicks.push(ed.lastClickMs); pendingAdd = null;
        $('latency').textContent = 'click → frame ' + Math.round(ed.lastClickMs) + ' ms';
      }
      draw();
      if (playing && state) {
        var film = state.film;
        if (n + 1 >= film.frames) stop();
        else playTimer = setTimeout(function () { seek(n + 1); }, Math.max(0, 1000 / film.fps - 5));
      }
    });
  }
  /** @returns {PlacedHint[]} the hints with a position on the frame shown */
  function hintsHere() {
    return state ? state.hints.filter(/** @returns {h is PlacedHint} */ function (h) { return h.at !== null; }) : [];
  }
  function draw() {
    if (!bitmap) return;
    ctx.drawImage(bitmap, 0, 0);
    var r = Math.max(5, canvas.width / 90);
    hintsHere().forEach(function (h) {
      ctx.beginPath(); ctx.arc(h.at[0], h.at[1], r, 0, 2 * Math.PI);
      ctx.fillStyle = h.color; ctx.fill();
      ctx.lineWidth = h.id === selected ? 3 : 1.5; ctx.strokeStyle = h.id === selected ? '#ffd54f' : '#fff'; ctx.stroke();
    });
    var fps = state ? state.film.fps : 25;
    $('pos').textContent = 'frame ' + shownFrame + ' / ' + (state ? state.film.frames - 1 : '?') + ' · ' + (shownFrame / fps).toFixed(2) + ' s';
    $('seek').value = String(shownFrame);
  }
  function renderList() {
    var ul = $('hints'); ul.textContent = '';
    if (!state) return;
    var losses = state.losses;
    state.hints.forEach(function (h) {
      var li = document.createElement('li'); if (h.id === selected) li.className = 'sel';
      var sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = h.color;
      var what = document.createElement('span'); what.className = 'what';
      var lost = losses.filter(function (l) { return l.hint === h.id; });
      what.textContent = h.id + ' · frame ' + h.frame + ' · ' + h.until +
        (h.span ? ' · ' + h.span.first + '–' + h.span.last : '') + (lost.length ? ' · lost at ' + lost.map(function (l) { return l.frame + ' (' + l.reason + ')'; }).join(', ') : '');
      if (!h.at) what.classList.add('gone');
      var del = document.createElement('button'); del.type = 'button'; del.textContent = 'delete';
      del.addEventListener('click', function (e) { e.stopPropagation(); send({ type: 'delete', id: h.id }); if (selected === h.id) selected = null; });
      li.addEventListener('click', function () { selected = h.id; $('color').value = h.color; if (!h.at) seek(h.frame); renderList(); draw(); });
      li.appendChild(sw); li.appendChild(what); li.appendChild(del); ul.appendChild(li);
    });
  }
  function setColor(c) {
    $('color').value = c;
    if (selected) { send({ type: 'update', id: selected, color: c }); noteClick(); }
  }
  function noteClick() { pendingAdd = { t0: performance.now(), rev: (state ? state.rev : 0) + 1, frame: shownFrame }; }
  function filmPoint(ev) {
    var b = canvas.getBoundingClientRect();
    return [Math.max(0, Math.min(canvas.width - 1, Math.round((ev.clientX - b.left) * canvas.width / b.width))),
            Math.max(0, Math.min(canvas.height - 1, Math.round((ev.clientY - b.top) * canvas.height / b.height)))];
  }
  canvas.addEventListener('pointerdown', function (ev) {
    if (!state || shownFrame < 0) return;
    var p = filmPoint(ev), r = Math.max(8, canvas.width / 60);
    var near = hintsHere().filter(function (h) { return Math.hypot(h.at[0] - p[0], h.at[1] - p[1]) <= r; });
    var hit = near.length ? near[near.length - 1] : null;
    if (hit) { selected = hit.id; drag = { id: hit.id, x0: p[0], y0: p[1], moved: false }; renderList(); draw(); return; }
    var until = $('until').value, hint = { type: 'add', frame: shownFrame, x: p[0], y: p[1], color: $('color').value };
    if (until !== 'shot') hint.until = until;
    noteClick(); send(hint);
    send({ type: 'suggest', frame: shownFrame, x: p[0], y: p[1] });
    selected = '(new)';
  });
  canvas.addEventListener('pointermove', function (ev) { if (drag) { var p = filmPoint(ev); drag.moved = drag.moved || Math.hypot(p[0] - drag.x0, p[1] - drag.y0) > 3; } });
  canvas.addEventListener('pointerup', function (ev) {
    if (!drag) return;
    var p = filmPoint(ev), d = drag; drag = null;
    if (d.moved) { noteClick(); send({ type: 'update', id: d.id, frame: shownFrame, x: p[0], y: p[1] }); }
    else send({ type: 'suggest', frame: shownFrame, x: p[0], y: p[1] });
  });
  function stop() { playing = false; clearTimeout(playTimer); $('play').textContent = 'play'; }
  // Steps count from the frame asked for, not the one on screen, so a held key moves on while the
  // server renders only the newest request.
  $('play').addEventListener('click', function () { if (playing) stop(); else { playing = true; $('play').textContent = 'pause'; seek(frame + 1); } });
  $('prev').addEventListener('click', function () { stop(); seek(frame - 1); });
  $('next').addEventListener('click', function () { stop(); seek(frame + 1); });
  $('seek').addEventListener('input', function (e) { stop(); seek(Number($('seek').value)); });
  $('color').addEventListener('change', function () { setColor($('color').value); });
  $('save').addEventListener('click', function () { send({ type: 'save' }); });
  $('download').href = 'hints.json?token=' + encodeURIComponent(token);
  $('load').addEventListener('change', function () {
    var f = $('load').files?.[0]; if (!f) return;
    var name = f.name;
    f.text().then(function (t) {
      var file; try { file = JSON.parse(t); } catch (err) { flash(name + ': not valid JSON', true); return; }
      send({ type: 'load', file: file }); flash('loaded ' + name);
    });
    $('load').value = '';
  });
  document.addEventListener('keydown', function (e) {
    var tag = e.target instanceof HTMLElement ? e.target.tagName : '';
    if (tag === 'INPUT' || tag === 'SELECT') return;
    if (e.key === 'ArrowLeft') { stop(); seek(frame - 1); }
    else if (e.key === 'ArrowRight') { stop(); seek(frame + 1); }
    else if (e.key === ' ') { e.preventDefault(); $('play').click(); }
    else if ((e.key === 'Delete' || e.key === 'Backspace') && selected) { send({ type: 'delete', id: selected }); selected = null; }
  });
  connect();
})();
