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
  /** @type {RenderView | null} the server's last "render" message */
  var rendering = null;
  var stripBuilt = false;
  /** @type {EditorState} */
  var ed = { frames: 0, shown: 0, lastClickMs: null, clicks: [], rev: 0, frame: 0, errors: [], render: null, history: { undo: 0, redo: 0 }, view: null, shownView: null, restoring: [] };
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
    ws.onclose = function () { flash('disconnected from the editor (reload to reconnect)', true); stop(); updateControls(); };
  }
  function onJson(m) {
    if (m.type === 'state') {
      state = m; ed.rev = m.rev; ed.history = m.history;
      // A hint just added is selected once the server names it.
      if (selected === '(new)' && m.added) selected = m.added;
      if (selected && selected !== '(new)' && !m.hints.some(function (h) { return h.id === selected; })) selected = null;
      if (shownFrame < 0) { $('seek').max = String(m.film.frames - 1); fitCanvas(m.film.width, m.film.height); }
      if (!stripBuilt) buildStrip(m.film);
      ed.view = m.view; $('showOriginal').checked = m.view === 'original';
      renderList(); draw(); updateControls();
      $('tracking').textContent = m.tracking ? 'tracking…' : '';
    } else if (m.type === 'suggest') {
      var box = $('suggest'); box.textContent = '';
      m.colors.forEach(function (c) {
        var b = document.createElement('button'); b.type = 'button'; b.style.background = c.color;
        b.title = c.color + ' (' + Math.round(c.p * 100) + '%)'; b.dataset.color = c.color;
        b.addEventListener('click', function () { setColor(c.color); });
        box.appendChild(b);
      });
    } else if (m.type === 'restoring') {
      ed.restoring.push(m);
      $('restoring').textContent = 'restoring frames ' + m.first + '–' + m.last + ' for this view…';
    } else if (m.type === 'render') onRender(m);
    else if (m.type === 'saved') flash('saved ' + m.path);
    else if (m.type === 'error') { ed.errors.push(m.message); flash(m.message, true); }
  }
  function onFrame(buf) {
    var dv = new DataView(buf);
    if (buf.byteLength < 16 || dv.getUint32(0, true) !== MAGIC) return;
    var n = dv.getUint32(4, true), rev = dv.getUint32(8, true), restored = dv.getUint32(12, true) === 1;
    createImageBitmap(new Blob([new Uint8Array(buf, 16)], { type: 'image/jpeg' })).then(function (bmp) {
      if (bitmap) bitmap.close();
      $('restoring').textContent = '';
      bitmap = bmp; shownFrame = n; shownRev = rev; ed.frame = n; ed.shown++; ed.shownView = restored ? 'restored' : 'original';
      fitCanvas(bmp.width, bmp.height);
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
  // The canvas takes the film's own size (so its aspect ratio): both sides, not only the width.
  function fitCanvas(w, h) {
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  }
  /** The shot holding `n`. */
  function shotOf(n) {
    var shots = state ? state.film.shots : [];
    for (var i = 0; i < shots.length; i++) if (n >= shots[i].start && n < shots[i].end) return shots[i];
    return shots[shots.length - 1] || null;
  }
  var SETUP_COLOURS = ['#4fc3f7', '#ffb74d', '#aed581', '#f06292', '#ba68c8', '#4db6ac', '#fff176', '#a1887f'];
  function buildStrip(film) {
    var box = $('shots'); box.textContent = ''; stripBuilt = true;
    film.shots.forEach(function (s) {
      var b = document.createElement('button'); b.type = 'button'; b.dataset.shot = String(s.index);
      var others = film.setups[s.setup].shots.length - 1;
      b.title = 'shot ' + (s.index + 1) + ': frames ' + s.start + '–' + (s.end - 1) + ' · setup ' + (s.setup + 1) +
        (others ? ' (with ' + others + ' other shot' + (others > 1 ? 's' : '') + ')' : ' (its only shot)') + '; click to jump';
      b.style.setProperty('--setup', SETUP_COLOURS[s.setup % SETUP_COLOURS.length]);
      var img = document.createElement('img'); img.alt = 'shot ' + (s.index + 1); img.loading = 'lazy';
      img.src = 'shot.jpg?shot=' + s.index + '&token=' + encodeURIComponent(token);
      var label = document.createElement('div'); label.textContent = (s.index + 1) + ' · setup ' + (s.setup + 1);
      b.appendChild(img); b.appendChild(label);
      b.addEventListener('click', function () { stop(); seek(s.start); });
      box.appendChild(b);
    });
  }
  function markStrip() {
    if (!state) return;
    var here = shotOf(shownFrame < 0 ? frame : shownFrame);
    var sel = selected ? state.hints.find(function (h) { return h.id === selected; }) : null;
    Array.prototype.forEach.call($('shots').children, function (b) {
      var n = Number(b.dataset.shot);
      b.classList.toggle('here', !!here && here.index === n);
      b.classList.toggle('reached', !!sel && sel.shots.indexOf(n) >= 0);
    });
  }
  /** Disable `el` with the reason shown as its tooltip, or enable it with its usual one. */
  function able(el, why, usual) { el.disabled = !!why; el.title = why || usual; return why; }
  /** Why "every shot of this setup" cannot be chosen for a hint at `n` ('' when it can). */
  function setupWhy(n) {
    if (!state) return 'not connected';
    if (!state.film.setupHints) return 'needs setup hints ("until": "setup"), which this chroma does not have yet';
    var s = shotOf(n);
    if (s && state.film.setups[s.setup].shots.length < 2) return 'this shot\'s setup has no other shot';
    return '';
  }
  function updateControls() {
    var open = !!ws && ws.readyState === 1;
    var off = open ? '' : 'disconnected from the editor (reload)';
    var h = state ? state.history : { undo: 0, redo: 0 };
    able($('undo'), off || (h.undo ? '' : 'nothing to undo'), 'undo the last hint edit (Ctrl+Z)');
    able($('redo'), off || (h.redo ? '' : 'nothing to redo'), 'redo (Ctrl+Shift+Z)');
    var running = !!rendering && (rendering.state === 'track' || rendering.state === 'colour');
    var rw = able($('render'), off || (running ? 'a render is running: cancel it first' : ''),
      'colorize the whole film with these hints into ' + (state ? state.film.renderPath : 'the render file'));
    able($('cancel'), off || (running ? '' : 'no render is running'), 'stop the render (nothing is left under its name)');
    $('render-why').textContent = rw ? 'render: ' + rw : '';
    var why = setupWhy(shownFrame < 0 ? frame : shownFrame);
    var opt = /** @type {HTMLOptionElement} */ ($('until').querySelector('option[value="setup"]'));
    opt.disabled = !!why; opt.title = why || 'the hint is found again in every shot of this camera setup';
    if (why && $('until').value === 'setup') $('until').value = 'shot';
    $('until-why').textContent = why ? 'every shot of this setup: ' + why : '';
    // The original/restored switch: on only when the editor restores; otherwise the page's own
    // reason (edit-page.ts) stays on it.
    if (state && state.film.restore) {
      var vw = able($('showOriginal'), off, 'show this frame colorized from the film as decoded, without the repair');
      $('viewLabel').title = $('showOriginal').title; $('viewWhy').textContent = vw ? 'original: ' + vw : '';
    }
    var done = !!rendering && rendering.state === 'done';
    var a = $('rendered');
    a.setAttribute('aria-disabled', done ? 'false' : 'true');
    a.title = done ? 'download ' + (rendering ? rendering.output : '') : 'no rendered film yet: press render';
    if (done) a.href = 'rendered?token=' + encodeURIComponent(token); else a.removeAttribute('href');
  }
  function clock(s) { s = Math.max(0, Math.round(s)); return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'); }
  function onRender(m) {
    rendering = m; ed.render = m;
    var bar = $('progress');
    if (m.state === 'track') { bar.removeAttribute('value'); $('eta').textContent = 'following the hints through the film…'; }
    else if (m.state === 'colour') {
      bar.max = m.total || 1; bar.value = m.frames;
      $('eta').textContent = m.frames + (m.total ? ' / ' + m.total : '') + ' frames' + (m.etaSeconds !== null ? ' · ' + clock(m.etaSeconds) + ' left' : '');
    } else {
      bar.max = 1; bar.value = m.state === 'done' ? 1 : 0;
      $('eta').textContent = m.state === 'done' ? m.frames + ' frames' : '';
    }
    var r = $('result');
    if (m.state === 'done') { r.textContent = 'rendered to ' + m.output; r.className = ''; }
    else if (m.state === 'cancelled') { r.textContent = 'render cancelled: nothing written to ' + m.output; r.className = ''; }
    else if (m.state === 'failed') {
      r.textContent = 'render failed: ' + m.message + (/exists/.test(m.message || '') ? ' (tick “replace an existing file”)' : '');
      r.className = 'error';
    } else r.textContent = '';
    updateControls();
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
    markStrip(); updateControls();
  }
  function renderList() {
    var ul = $('hints'); ul.textContent = '';
    if (!state) return;
    var losses = state.losses;
    state.hints.forEach(function (h) {
      var li = document.createElement('li'); if (h.id === selected) li.className = 'sel';
      var sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = h.color;
      var what = document.createElement('span'); what.className = 'what';
      // A setup hint's shots where it was not re-found are said apart (missed), not as a lost point.
      var lost = losses.filter(function (l) { return l.hint === h.id && l.reason !== 'not-found'; });
      what.textContent = h.id + ' · frame ' + h.frame + ' · ' + (h.shots.length > 1 ? 'shots ' : 'shot ') + h.shots.map(function (n) { return n + 1; }).join(', ') +
        (h.span ? ' · ' + h.span.first + '–' + h.span.last : '') + (h.missed.length ? ' · not found in ' + (h.missed.length > 1 ? 'shots ' : 'shot ') + h.missed.map(function (n) { return n + 1; }).join(', ') : '') +
        (lost.length ? ' · lost at ' + lost.map(function (l) { return l.frame + ' (' + l.reason + ')'; }).join(', ') : '');
      what.title = 'colours ' + (h.shots.length > 1 ? 'shots ' : 'shot ') + h.shots.map(function (n) { return n + 1; }).join(', ');
      if (!h.at) what.classList.add('gone');
      li.appendChild(sw); li.appendChild(what); li.appendChild(scopeMenu(h));
      var del = document.createElement('button'); del.type = 'button'; del.textContent = 'delete';
      del.addEventListener('click', function (e) { e.stopPropagation(); send({ type: 'delete', id: h.id }); if (selected === h.id) selected = null; });
      li.addEventListener('click', function () { selected = h.id; $('color').value = h.color; if (!h.at) seek(h.frame); renderList(); draw(); });
      li.appendChild(del); ul.appendChild(li);
    });
  }
  /** A hint's menu: how far it reaches (its `until`). */
  function scopeMenu(h) {
    var sel = document.createElement('select'); sel.className = 'scope'; sel.setAttribute('aria-label', h.id + ' reaches');
    var choices = [['frame', 'this frame'], ['shot', 'this shot'], ['setup', 'every shot of this setup']];
    if (typeof h.until === 'number') choices.push([String(h.until), 'until frame ' + h.until]);
    var why = setupWhy(h.frame);
    choices.forEach(function (c) {
      var o = document.createElement('option'); o.value = c[0]; o.textContent = c[1];
      if (c[0] === 'setup' && why && h.until !== 'setup') { o.disabled = true; o.title = why; }
      sel.appendChild(o);
    });
    sel.value = String(h.until);
    sel.addEventListener('click', function (e) { e.stopPropagation(); });
    sel.addEventListener('change', function () {
      var v = sel.value, until = v === 'frame' || v === 'shot' || v === 'setup' ? v : Number(v);
      noteClick(); send({ type: 'update', id: h.id, until: until });
    });
    return sel;
  }
  function undo(redo) { send({ type: redo ? 'redo' : 'undo' }); noteClick(); }
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
  $('undo').addEventListener('click', function () { undo(false); });
  $('redo').addEventListener('click', function () { undo(true); });
  $('render').addEventListener('click', function () { send({ type: 'render', smooth: $('smooth').checked, overwrite: $('overwrite').checked }); });
  $('cancel').addEventListener('click', function () { send({ type: 'cancel' }); });
  $('showOriginal').addEventListener('change', function () { send({ type: 'view', view: $('showOriginal').checked ? 'original' : 'restored' }); });
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
    if ((e.ctrlKey || e.metaKey) && (e.key === 'z' || e.key === 'Z' || e.key === 'y')) {
      e.preventDefault(); undo(e.key === 'y' || e.shiftKey); return;
    }
    var tag = e.target instanceof HTMLElement ? e.target.tagName : '';
    if (tag === 'INPUT' || tag === 'SELECT') return;
    if (e.key === 'ArrowLeft') { stop(); seek(frame - 1); }
    else if (e.key === 'ArrowRight') { stop(); seek(frame + 1); }
    else if (e.key === ' ') { e.preventDefault(); $('play').click(); }
    else if ((e.key === 'Delete' || e.key === 'Backspace') && selected) { send({ type: 'delete', id: selected }); selected = null; }
  });
  updateControls();
  connect();
})();
