// The editor page (`chroma serve --input film.mp4 --edit`): one self-contained HTML page, inline CSS
// and JS allowed by hash, connections to this server only. It shows one frame at a time, at the
// film's own aspect ratio: step, play, seek, or jump to a shot on the shot strip (setups marked);
// click to place a hint (the colour picker's colour, then the model's own top colours at that point
// to choose from), drag a marker to move it, Delete to remove it, set how far it reaches (this
// frame, this shot, every shot of this setup), undo and redo; save beside the film, download, or
// load a hints file; render the whole film. Every change is sent to the server, which re-colours
// the frame; with --restore, show the frames from the original (unrestored) L instead of the
// restored one. A control that cannot be used says why (its tooltip, and the line under it). Its
// script is pages/editor.js.
import { buildPage, pageScript, type ViewerPage } from './page-shell.js';

const CSS = `
:root { color-scheme: dark; --fg: #e8e6e3; --muted: #9a968f; --bad: #f25f5c; --sel: #ffd54f; }
* { box-sizing: border-box; }
html, body { margin: 0; background: #101113; color: var(--fg); font: 14px/1.4 system-ui, sans-serif; }
main { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; align-items: flex-start; }
#left { flex: 1 1 640px; display: flex; flex-direction: column; gap: 8px; min-width: 320px; }
#view { display: block; width: 100%; height: auto; background: #000; border-radius: 6px; cursor: crosshair; }
#shots { display: flex; gap: 6px; overflow-x: auto; padding-bottom: 4px; }
#shots button { flex: 0 0 auto; padding: 0; border: 2px solid transparent; border-top: 5px solid var(--setup, #555); border-radius: 4px; background: #000; color: var(--fg); font-size: 11px; cursor: pointer; }
#shots button img { display: block; width: 96px; height: auto; }
#shots button.here { border-color: var(--sel); border-top-color: var(--setup, #555); }
#shots button.reached { box-shadow: 0 0 0 2px #fff inset; }
#render-box { display: flex; flex-direction: column; gap: 4px; border-top: 1px solid #333; padding-top: 8px; }
#progress { width: 100%; }
.why { color: var(--muted); font-size: 12px; min-height: 1.2em; }
button:disabled { opacity: 0.45; cursor: not-allowed; }
a[aria-disabled="true"] { color: var(--muted); pointer-events: none; }
#bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#seek { flex: 1 1 200px; }
#pos, #latency, #restoring { font-variant-numeric: tabular-nums; color: var(--muted); }
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

/**
 * Why the editor's original/restored switch is off (and why the server refuses "view"): the
 * editor was started without --restore. With it, the page's script turns the switch on.
 */
export const NO_RESTORE = 'the editor was started without --restore, so it shows the film unrestored: start it with --restore auto (or a list of repairs) to compare';

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
    <div><span id="latency"></span> <span id="tracking"></span> <span id="restoring" role="status"></span></div>
    <label id="viewLabel" title="${NO_RESTORE}"><input id="showOriginal" type="checkbox" disabled> show the original (unrestored)</label>
    <div id="viewWhy" class="why">${NO_RESTORE}</div>
    <div id="shots" aria-label="shots (setups share the colour on top); click to jump"></div>
  </div>
  <div id="side">
    <label>colour <input id="color" type="color" value="#b22222"></label>
    <div>the model's colours here:</div>
    <div id="suggest" aria-label="the model's top colours at the point"></div>
    <label>a new hint lives <select id="until"><option value="shot">this shot</option><option value="frame">this frame only</option><option value="setup">every shot of this setup</option></select></label>
    <div id="until-why" class="why"></div>
    <div><button id="undo" type="button">undo</button> <button id="redo" type="button">redo</button></div>
    <ul id="hints" aria-label="hints"></ul>
    <div><button id="save" type="button">save beside the film</button> <a id="download" download="hints.json">download</a></div>
    <label>load a hints file <input id="load" type="file" accept=".json,application/json"></label>
    <div id="render-box">
      <div><button id="render" type="button">render the film</button> <button id="cancel" type="button">cancel</button></div>
      <label title="temporal smoothing as chroma colorize does by default; off gives exactly the frames shown here"><input id="smooth" type="checkbox" checked> temporal smoothing</label>
      <label><input id="overwrite" type="checkbox"> replace an existing file</label>
      <progress id="progress" max="1" value="0"></progress>
      <div id="eta" class="why"></div>
      <div id="render-why" class="why"></div>
      <div id="result"></div>
      <a id="rendered" aria-disabled="true" title="no rendered film yet: press render">download the film</a>
    </div>
    <div id="message" role="status"></div>
  </div>
</main>
`;

export function buildEditPage(): ViewerPage {
  return buildPage({
    title: 'chroma editor', css: CSS, body: BODY, scripts: [pageScript('editor.js')],
    allow: ["img-src 'self' blob: data:", "connect-src 'self'"], frameAncestors: "'none'",
  });
}
