// The viewer: one self-contained HTML page (inline CSS and JS, no external requests) served from
// memory. The Content-Security-Policy allows exactly these inline blocks, by hash, and connections
// to this server only. Its script is pages/viewer.js; the colour hints' style and markup live in
// viewer-hints.ts, their script in pages/viewer-hints.js.
import { buildPage, pageScript, type ViewerPage } from './page-shell.js';
import { HINTS_CONTROLS, HINTS_CSS, HINTS_OVERLAY } from './viewer-hints.js';

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
.why { color: var(--muted); font-size: 12px; }
#message { min-height: 1.4em; color: var(--muted); }
#message.error { color: var(--bad); }
#camera { margin-top: 12px; } #camera[hidden] { display: none; }
#camera .pair { display: flex; gap: 8px; flex-wrap: wrap; }
#camera figure { margin: 0; flex: 1 1 300px; } #camera figcaption { color: var(--muted); font-size: 12px; }
#camera video, #camera canvas { display: block; width: 100%; height: auto; background: #000; border-radius: 6px; }
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
    <label id="viewLabel"><input id="showOriginal" type="checkbox"> show the original (unrestored)</label>
    <span id="viewWhy" class="why"></span>
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
    title: 'chroma live', css: STYLE, body: BODY, scripts: [pageScript('viewer-hints.js'), pageScript('viewer.js')],
    allow: ["img-src 'self' blob: data:", "connect-src 'self'"],
    // The overview page of a several-source server frames each source's page; nobody else may.
    frameAncestors: "'self'",
  });
}
