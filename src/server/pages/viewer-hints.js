// @ts-check
'use strict';
window.chromaHints = (function () {
  /** @type {<K extends keyof ViewerElements>(id: K) => ViewerElements[K]} */
  var $ = function (id) { return /** @type {any} */ (document.getElementById(id)); };
  /** @type {HintsApi | null} */
  var api = null;
  var enabled = false;
  /** @type {LiveHint[]} the server's list */
  var list = [];
  /** @type {HintsAt[]} positions sent with frames not yet drawn */
  var at = [];
  /** @type {Record<string, HTMLDivElement>} one marker per hint id */
  var marks = {};
  // For tests and curious users: what the page knows.
  var h = { enabled: false, count: 0, sent: 0, shown: 0, lost: 0 };

  function init(a) {
    api = a;
    a.state.hints = h;
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
    /** @type {Record<string, boolean>} */
    var keep = {};
    list.forEach(function (hint) {
      var item = document.createElement('span');
      item.className = 'hint';
      var sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.background = hint.color;
      var del = document.createElement('button');
      del.type = 'button';
      del.textContent = '\u00d7';
      del.title = 'remove ' + hint.id;
      del.dataset.id = hint.id;
      del.addEventListener('click', function () { if (api) api.send({ type: 'unhint', id: hint.id }); });
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

  /** @param {HTMLDivElement} mk @param {number} x @param {number} y */
  function place(mk, x, y) {
    if (!api) return;
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
      if (api) api.flash('hint ' + m.id + ' ended: ' + m.reason, false);
    }
  }

  // A frame is on screen: put the markers where the server tracked them on that frame.
  function onFrame(seq) {
    /** @type {HintsAt | undefined} */
    var pos;
    while (at.length && at[0].seq <= seq) pos = at.shift();
    if (!pos) return;
    pos.hints.forEach(function (p) { if (marks[p[0]]) place(marks[p[0]], p[1], p[2]); });
    h.shown = seq;
  }

  return { init: init, onJson: onJson, onFrame: onFrame };
})();
