// The viewer's original/restored switch in a real browser (headless Chromium over loopback): with
// --restore flicker on a still gradient whose brightness jumps every frame, switching to the
// original makes the server hand on the unrepaired L (the canvas's mean brightness jumps from frame
// to frame) and switching back steadies it again; without --restore the switch is off and says
// why, and the server refuses "view". (Flicker, not grain or dust: those run optical flow per frame,
// too slow for a test on a loaded two-core machine.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';
import { startServer, type ServerHandle, type ServerOptions } from '../src/server/index.js';
import { parseControl } from '../src/server/control.js';
import { parseRestoreOption } from '../src/restore/options.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { loadFixtureModel } from './helpers/live-server.js';
import { tempDir } from './helpers/media.js';
import { until } from './helpers/until.js';

const tmp = tempDir('chroma-restore-toggle-');
let model: LoadedModel;
let browser: Browser | null = null;

before(async () => {
  model = await loadFixtureModel(tmp.dir);
  if (HAS_CHROMIUM) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await model?.release();
  tmp.cleanup();
});

// A still gradient whose brightness steps up and down every frame: what the flicker repair evens out.
const FLICKERING = "color=c=0x808080:size=320x240:rate=15,format=gray,geq=lum='clip(60+X/4+28*sin(N*2.1),0,255)'";

function serve(extra: Partial<ServerOptions> = {}): Promise<ServerHandle> {
  return startServer({ input: FLICKERING, format: 'lavfi', model, port: 0, log: () => {}, ...extra });
}

type Win = { chromaViewer: { frames: number } };

/** How much the canvas's mean brightness (green channel) moves between the next frames shown. */
async function unsteadiness(page: Page): Promise<number> {
  const means: number[] = [];
  let n = await page.evaluate(() => (window as unknown as Win).chromaViewer.frames);
  // Skip a few frames from before the switch.
  await page.waitForFunction((m) => (window as unknown as Win).chromaViewer.frames > m + 3, n, { timeout: 30000 });
  while (means.length < 8) {
    n = await page.evaluate(() => (window as unknown as Win).chromaViewer.frames);
    await page.waitForFunction((m) => (window as unknown as Win).chromaViewer.frames > m, n, { timeout: 30000 });
    means.push(await page.evaluate(() => {
      const c = document.getElementById('view') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      for (let i = 1; i < d.length; i += 4) sum += d[i];
      return sum / (d.length / 4);
    }));
  }
  let moved = 0;
  for (let i = 1; i < means.length; i++) moved += Math.abs(means[i] - means[i - 1]);
  return moved / (means.length - 1);
}

test('"view" is refused with the reason when the server does not restore', () => {
  const reason = 'this server does not restore';
  const refused = parseControl(Buffer.from('{"type":"set","view":"original"}'), false, { smoothAvailable: false, restoreReason: reason });
  assert.deepEqual(refused, { ok: false, error: reason });
  const bad = parseControl(Buffer.from('{"type":"set","view":"both"}'), false, { smoothAvailable: false, restoreReason: null });
  assert.equal(bad.ok, false);
  const ok = parseControl(Buffer.from('{"type":"set","view":"original"}'), false, { smoothAvailable: false, restoreReason: null });
  assert.deepEqual(ok, { ok: true, message: { type: 'set', patch: { view: 'original' } } });
});

test('viewer in Chromium: the original/restored switch changes what is shown', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async (t) => {
  const srv = await serve({ restore: parseRestoreOption('flicker') });
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  try {
    await page.goto(srv.url);
    await page.waitForFunction(() => (window as unknown as Win).chromaViewer.frames >= 5, null, { timeout: 30000 });
    const box = page.locator('#showOriginal');
    assert.ok(await box.isVisible());
    assert.equal(await box.isDisabled(), false);
    assert.equal(await page.locator('#viewWhy').textContent(), '');
    assert.equal(srv.stats().settings.view, 'restored');
    const restored = await unsteadiness(page);

    await box.check();
    await until('the original from the page', () => srv.stats().settings.view === 'original');
    const original = await unsteadiness(page);
    // The flicker repair evens the frames out: the original clearly jumps more.
    assert.ok(original > 2 * restored, `mean brightness moves ${original.toFixed(2)} per frame in the original, ${restored.toFixed(2)} restored`);

    await box.uncheck();
    await until('the restored film from the page', () => srv.stats().settings.view === 'restored');
    const again = await unsteadiness(page);
    t.diagnostic(`mean brightness moves per frame: restored ${restored.toFixed(2)}, original ${original.toFixed(2)}, restored again ${again.toFixed(2)}`);
    assert.ok(original > 2 * again, `mean brightness moves ${original.toFixed(2)} per frame in the original, ${again.toFixed(2)} restored again`);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await srv.close();
  }
});

test('viewer in Chromium: without --restore the switch is off and says why', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async () => {
  const srv = await serve();
  const page = await browser!.newPage();
  try {
    await page.goto(srv.url);
    await page.waitForFunction(() => (window as unknown as Win).chromaViewer.frames >= 2, null, { timeout: 30000 });
    assert.equal(await page.locator('#showOriginal').isDisabled(), true);
    assert.match((await page.locator('#viewWhy').textContent()) ?? '', /--restore/);
    assert.match((await page.locator('#viewLabel').getAttribute('title')) ?? '', /--restore/);
    assert.equal(srv.stats().settings.view, 'restored');
  } finally {
    await page.close();
    await srv.close();
  }
});
