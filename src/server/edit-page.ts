// The editor page (`chroma serve --input film.mp4 --edit`): one self-contained HTML page, inline CSS
// and JS allowed by hash, connections to this server only. It shows one frame at a time: step,
// play, seek; click to place a hint (the colour picker's colour, then the model's own top colours at
// that point to choose from), drag a marker to move it, Delete to remove it; save beside the film,
// download, or load a hints file. Every change is sent to the server, which re-colours the frame.
import { buildPage, type ViewerPage } from './page-shell.js';

const CSS = `
:root { color-scheme: dark; --fg: #e8e6e3; --muted: #9a968f; --bad: #f25f5c; --sel: #ffd54f; }
* { box-sizing: border-box; }
html, body { margin: 0; background: #101113; color: var(--fg); font: 14px/1.4 system-ui, sans-serif; }
main { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; align-items: flex-start; }
#left { flex: 1 1 640px; display: flex; flex-direction: column; gap: 8px; min-width: 320px; }
#view { display: block; width: 100%; height: auto; background: #000; border-radius: 6px; cursor: crosshair; }
#bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#seek { flex: 1 1 200px; }
#pos, #latency { font-variant-numeric: tabular-nums; color: var(--muted); }
#side { flex: 0 1 300px; display: flex; flex-direction: column; gap: 10px; }
#suggest { display: flex; gap: 6px; flex-wrap: wrap; min-height: 28px; }
#suggest button, .sw { width: 28px; height: 28px; border: 1px solid #555; border-radius: 4px; padding: 0; }
#hints { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; max-height: 50vh; overflow: auto; }
#hints li { display: flex; gap: 8px; align-items: center; padding: 4px; border-radius: 4px; cursor: pointer; }
#hints li.sel { outline: 2px solid var(--sel); }
#hints li .what { flex: 1; } #hints li .gone { color: var(--muted); }
#message { min-height: 1.4em; color: var(--muted); } #message.error { color: var(--bad); }
a { color: var(--fg); }
`;

const JS = `
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var token = new URLSearchParams(location.search).get('token') || '';
  var canvas = $('view'), ctx = canvas.getContext('2d');
  var MAGIC = 0x31454843;
  var ws = null, state = null, frame = 0, bitmap = null, shownRev = -1, shownFrame = -1;
  var playing = false, playTimer = 0, selected = null, drag = null, pendingAdd = null;
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
      if (playing) {
        if (n + 1 >= state.film.frames) stop();
        else playTimer = setTimeout(function () { seek(n + 1); }, Math.max(0, 1000 / state.film.fps - 5));
      }
    });
  }
  function hintsHere() { return state ? state.hints.filter(function (h) { return h.at; }) : []; }
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
    state.hints.forEach(function (h) {
      var li = document.createElement('li'); if (h.id === selected) li.className = 'sel';
      var sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = h.color;
      var what = document.createElement('span'); what.className = 'what';
      var lost = state.losses.filter(function (l) { return l.hint === h.id; });
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
    var p = filmPoint(ev), r = Math.max(8, canvas.width / 60), hit = null;
    hintsHere().forEach(function (h) { if (Math.hypot(h.at[0] - p[0], h.at[1] - p[1]) <= r) hit = h; });
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
  $('seek').addEventListener('input', function (e) { stop(); seek(Number(e.target.value)); });
  $('color').addEventListener('change', function (e) { setColor(e.target.value); });
  $('save').addEventListener('click', function () { send({ type: 'save' }); });
  $('download').href = 'hints.json?token=' + encodeURIComponent(token);
  $('load').addEventListener('change', function (e) {
    var f = e.target.files[0]; if (!f) return;
    f.text().then(function (t) {
      var file; try { file = JSON.parse(t); } catch (err) { flash(f.name + ': not valid JSON', true); return; }
      send({ type: 'load', file: file }); flash('loaded ' + f.name);
    });
    e.target.value = '';
  });
  document.addEventListener('keydown', function (e) {
    if (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT') return;
    if (e.key === 'ArrowLeft') { stop(); seek(frame - 1); }
    else if (e.key === 'ArrowRight') { stop(); seek(frame + 1); }
    else if (e.key === ' ') { e.preventDefault(); $('play').click(); }
    else if ((e.key === 'Delete' || e.key === 'Backspace') && selected) { send({ type: 'delete', id: selected }); selected = null; }
  });
  connect();
})();
`;

const BODY = `<main>
  <div id="left">
    <canvas id="view" width="640" height="480" aria-label="Film frame, colorized; click to place a colour hint"></canvas>
    <div id="bar">
      <button id="prev" type="button" title="previous frame (←)">◀</button>
      <button id="play" type="button" title="play / pause (space)">play</button>
      <button id="next" type="button" title="next frame (→)">▶</button>
      <input id="seek" type="range" min="0" max="0" value="0" aria-label="seek">
      <span id="pos">frame –</span>
    </div>
    <div><span id="latency"></span> <span id="tracking"></span></div>
  </div>
  <div id="side">
    <label>colour <input id="color" type="color" value="#b22222"></label>
    <div>the model's colours here:</div>
    <div id="suggest" aria-label="the model's top colours at the point"></div>
    <label>a new hint lives <select id="until"><option value="shot">the whole shot</option><option value="frame">this frame only</option></select></label>
    <ul id="hints" aria-label="hints"></ul>
    <div><button id="save" type="button">save beside the film</button> <a id="download" download="hints.json">download</a></div>
    <label>load a hints file <input id="load" type="file" accept=".json,application/json"></label>
    <div id="message" role="status"></div>
  </div>
</main>
`;

export function buildEditPage(): ViewerPage {
  return buildPage({
    title: 'chroma editor', css: CSS, body: BODY, scripts: [JS],
    allow: ["img-src 'self' blob: data:", "connect-src 'self'"], frameAncestors: "'none'",
  });
}
