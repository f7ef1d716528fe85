// The viewer page's colour hints (live-hints.ts on the server): their style and markup here, their
// script in pages/viewer-hints.js, an inline block of its own hashed into the page's
// Content-Security-Policy beside the main one (viewer-page.ts). It runs first and leaves
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
