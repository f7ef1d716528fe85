// Click-to-hint in the viewer page, in a real browser (headless Chromium over loopback): the page
// (its hints block allowed by the CSP hash, no console errors) offers hints because the server has
// a token and a hint-capable model; a click on the canvas with a colour from the picker sends a
// hint, a marker appears and follows it, the canvas turns that colour there; the list's delete
// button removes it and the colour goes. The model is the hint-echo fixture (a hint's colour
// exactly where the hint planes put it, a green elsewhere); the source a generated clip played at
// its rate (a textured disc crossing a textured background).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';
import { startServer, type ServerHandle } from '../src/server/index.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { srgbToLab } from '../src/color/lab.js';
import { hexToAb } from '../src/hints/hints-file.js';
import { ECHO_FALLBACK_AB, makeHintEchoFixture } from './helpers/model-fixtures.js';
import { tempDir, writeMovingScene } from './helpers/media.js';

const W = 320, H = 240;
const tmp = tempDir('chroma-viewer-hints-');
let model: LoadedModel;
let browser: Browser | null = null;
let clip: string;

before(async () => {
  writeFileSync(join(tmp.dir, 'echo.onnx'), makeHintEchoFixture());
  model = await loadModel(join(tmp.dir, 'echo.onnx'), { device: 'cpu', threads: 1, log: () => {} });
  clip = writeMovingScene(join(tmp.dir, 'scene.mkv'), W, H, 240, 15, 0.25);
  if (HAS_CHROMIUM) {
    browser = await launchChromium();
  }
});
after(async () => {
  await browser?.close();
  await model?.release();
  tmp.cleanup();
});

interface PageHints { enabled: boolean; count: number; sent: number; shown: number }
const hintsOf = (page: Page) => page.evaluate(() => (window as unknown as { chromaViewer: { hints: PageHints } }).chromaViewer.hints);

/** The marker's centre in source pixels, or null when there is none. */
const markerAt = (page: Page) => page.evaluate(([w, h]) => {
  const m = document.querySelector('#hintMarks .mark') as HTMLElement | null;
  if (!m || m.hidden) return null;
  return [((parseFloat(m.style.left) / 100) * w) - 0.5, ((parseFloat(m.style.top) / 100) * h) - 0.5];
}, [W, H]);

/** Mean Lab a, b of the canvas's 5x5 pixels around (x, y). */
async function canvasAb(page: Page, x: number, y: number): Promise<[number, number]> {
  const px = await page.evaluate(([cx, cy]) => {
    const c = document.getElementById('view') as HTMLCanvasElement;
    return Array.from(c.getContext('2d')!.getImageData(Math.round(cx) - 2, Math.round(cy) - 2, 5, 5).data);
  }, [x, y]);
  let a = 0, b = 0;
  for (let i = 0; i < px.length; i += 4) {
    const [, pa, pb] = srgbToLab(px[i], px[i + 1], px[i + 2]);
    a += pa;
    b += pb;
  }
  return [a / 25, b / 25];
}
const dist = (p: readonly number[], q: readonly number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

test('viewer page in Chromium: a click on the video places a tracked colour hint; delete removes it', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async () => {
  const token = 'viewer-hints-token';
  const srv: ServerHandle = await startServer({ input: clip, model, size: 120, token, port: 0, log: () => {} });
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  try {
    await page.goto(`${srv.url}?token=${token}`);
    await page.waitForFunction(() => (window as unknown as { chromaViewer: { frames: number } }).chromaViewer.frames >= 5, null, { timeout: 20000 });
    assert.equal((await hintsOf(page)).enabled, true, 'the server offers hints');
    assert.ok(await page.locator('#hints').isVisible());

    const color = '#e01890', want = hexToAb(color)!;
    await page.locator('#hintColor').fill(color);
    // The disc's centre now (movingScene at t/4: x = 0.2 W + 0.625 t), a little ahead of it.
    const seq = await page.evaluate(() => (window as unknown as { chromaViewer: { shownSeq: number } }).chromaViewer.shownSeq);
    const cx = W * 0.2 + 0.625 * seq + 6, cy = H / 2;
    const before = await canvasAb(page, cx, cy);
    assert.ok(dist(before, ECHO_FALLBACK_AB) < 20, `before: ${before}`);
    const box = (await page.locator('#view').boundingBox())!;
    await page.locator('#view').click({ position: { x: (cx / W) * box.width, y: (cy / H) * box.height } });

    await page.waitForFunction(() => {
      const h = (window as unknown as { chromaViewer: { hints: PageHints; shownSeq: number } }).chromaViewer;
      return h.hints.count === 1 && h.hints.shown > 0;
    }, null, { timeout: 15000 });
    assert.equal(await page.locator('#hintList .hint').count(), 1);
    // The marker follows the disc; the canvas has the hint's colour under it. The marker starts where
    // the click was and follows the disc as tracked frames come back, so by now it lies between the
    // click and where the disc has moved since (by as many frames as were shown meanwhile: many on a
    // busy machine).
    const first = (await markerAt(page))!;
    const seqNow = await page.evaluate(() => (window as unknown as { chromaViewer: { shownSeq: number } }).chromaViewer.shownSeq);
    const ex = cx + 0.625 * (seqNow - seq);
    assert.ok(first[0] > cx - 6 && first[0] < ex + 6 && Math.abs(first[1] - cy) < 4,
      `marker at ${first}, clicked ${cx}, ${cy}; the disc has since moved to x ${ex}`);
    await page.waitForTimeout(1500);
    const later = (await markerAt(page))!;
    assert.ok(later[0] > first[0] + 3, `the marker did not move with the disc: ${first} -> ${later}`);
    const under = await canvasAb(page, later[0], later[1]);
    assert.ok(dist(under, want) < 20 && dist(under, ECHO_FALLBACK_AB) > 60, `under the marker: ab ${under}, want ${want}`);

    // Delete from the list: the marker goes, the colour goes.
    await page.locator('#hintList button').click();
    await page.waitForFunction(() => document.querySelectorAll('#hintMarks .mark').length === 0, null, { timeout: 10000 });
    await page.waitForTimeout(800);
    const gone = await canvasAb(page, later[0], later[1]);
    assert.ok(dist(gone, ECHO_FALLBACK_AB) < 20, `after removing: ab ${gone}`);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await srv.close();
  }
});
