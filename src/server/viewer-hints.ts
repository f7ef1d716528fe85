// The viewer page's colour hints (live-hints.ts on the server): its own inline script, hashed into
// the page's Content-Security-Policy beside the main one (viewer-page.ts). It runs first and leaves
// `window.chromaHints`; the main script hands it the canvas, a send function and the page state,
// and passes it every JSON message and every frame it draws.
//
// When the server says hints are on (hello.hints.enabled: a token and a hint-capable model), a
// click on the video sends {"type":"hint"} at the source pixel under the pointer with the colour
// picker's colour and the seq of the frame on screen. Markers (one ring per hint, at the position
// the server sends with each frame, "hints-at") sit in a layer over the canvas, never drawn into it.

export const HINTS_CSS = `
#stage.hinting #view { cursor: crosshair; }
#hintMarks { position: absolute; inset: 0; pointer-events: none; line-height: normal; }
#hintMarks .mark { position: absolute; width: 14px; height: 14px; margin: -9px 0 0 -9px; border: 2px solid #fff;
  border-radius: 50%; box-shadow: 0 0 0 1px rgba(0, 0, 0, 0.8); }
#hints { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; } #hints[hidden] { display: none; }
#hintList { display: contents; }
#hintList .hint { display: inline-flex; gap: 4px; align-items: center; padding: 1px 4px; border: 1px solid #444; border-radius: 4px; }
#hintList .sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
#hintList button { padding: 0 4px; }
`;

/** Inside #stage, over the canvas. */
export const HINTS_OVERLAY = `<div id="hintMarks" aria-hidden="true"></div>`;

/** Inside the controls form. */
export const HINTS_CONTROLS = `<span id="hints" hidden>
      <label>hint colour <input id="hintColor" type="color" value="#d03030"></label>
      <span id="hintList" aria-label="colour hints"></span>
      <button id="clearHints" type="button">clear hints</button>
    </span>`;

export const HINTS_JS = `
'use strict';
window.chromaHints = (function () {
  var $ = function (id) { return document.getElementById(id); };
  var api = null, enabled = false, list = [], at = [], marks = {};
  // For tests and curious users: what the page knows.
  var h = { enabled: false, count: 0, sent: 0, shown: 0, lost: 0 };

  function init(a) {
    api = a;
    api.state.hints = h;
    a.canvas.addEventListener('click', function (ev) {
      if (!enabled) return;
      var c = a.canvas, r = c.getBoundingClientRect();
      var x = Math.min(c.width - 1, Math.max(0, (ev.clientX - r.left) * c.width / r.width));
      var y = Math.min(c.height - 1, Math.max(0, (ev.clientY - r.top) * c.height / r.height));
      var m = { type: 'hint', x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10, color: $('hintColor').value };
      if (a.state.shownSeq >= 0) m.frame = a.state.shownSeq;
      if (a.send(m)) h.sent++;
    });
    $('clearHints').addEventListener('click', function () { a.send({ type: 'clear-hints' }); });
  }

  function showList() {
    var box = $('hintList');
    box.textContent = '';
    var keep = {};
    list.forEach(function (hint) {
      var item = document.createElement('span');
      item.className = 'hint';
      var sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.background = hint.color;
      var del = document.createElement('button');
      del.type = 'button';
      del.textContent = '\\u00d7';
      del.title = 'remove ' + hint.id;
      del.dataset.id = hint.id;
      del.addEventListener('click', function () { api.send({ type: 'unhint', id: hint.id }); });
      item.appendChild(sw);
      item.appendChild(document.createTextNode(hint.id + (hint.age !== null ? ' (' + hint.age + ' late)' : '')));
      item.appendChild(del);
      box.appendChild(item);
      keep[hint.id] = true;
      if (!marks[hint.id]) {
        var mk = document.createElement('div');
        mk.className = 'mark';
        mk.hidden = true;
        $('hintMarks').appendChild(mk);
        marks[hint.id] = mk;
      }
      marks[hint.id].style.borderColor = hint.color;
      place(marks[hint.id], hint.x, hint.y);
    });
    Object.keys(marks).forEach(function (id) { if (!keep[id]) { marks[id].remove(); delete marks[id]; } });
    h.count = list.length;
  }

  function place(mk, x, y) {
    var c = api.canvas;
    mk.style.left = ((x + 0.5) / c.width * 100) + '%';
    mk.style.top = ((y + 0.5) / c.height * 100) + '%';
    mk.hidden = false;
  }

  function onJson(m) {
    if (m.type === 'hello' && m.hints) {
      enabled = !!m.hints.enabled;
      h.enabled = enabled;
      $('hints').hidden = false;
      $('hintColor').disabled = $('clearHints').disabled = !enabled;
      $('hints').title = enabled ? 'click the video to colour what is there, from this frame on' : (m.hints.reason || '');
      $('stage').classList.toggle('hinting', enabled);
      list = m.hints.list || [];
      showList();
    } else if (m.type === 'hints') {
      list = m.hints;
      showList();
    } else if (m.type === 'hints-at') {
      at.push(m);
      if (at.length > 32) at.shift();
    } else if (m.type === 'hint-lost') {
      h.lost++;
      api.flash('hint ' + m.id + ' ended: ' + m.reason, false);
    }
  }

  // A frame is on screen: put the markers where the server tracked them on that frame.
  function onFrame(seq) {
    var pos = null;
    while (at.length && at[0].seq <= seq) pos = at.shift();
    if (!pos) return;
    pos.hints.forEach(function (p) { if (marks[p[0]]) place(marks[p[0]], p[1], p[2]); });
    h.shown = seq;
  }

  return { init: init, onJson: onJson, onFrame: onFrame };
})();
`;
