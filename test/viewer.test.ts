// The viewer page in a real browser (headless Chromium over loopback): it loads, receives frames,
// paints colour (the fixture model turns bright areas red) on its canvas, shows the stats overlay,
// sends control messages from its controls, and reconnects by itself after the server comes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';
import { startServer, type ServerHandle, type ServerOptions } from '../src/server/index.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { makeLogitsFixture } from './helpers/model-fixtures.js';
import { tempDir } from './helpers/media.js';
import { until } from './helpers/until.js';

const tmp = tempDir('chroma-viewer-');
let model: LoadedModel;
let browser: Browser | null = null;

before(async () => {
  const path = join(tmp.dir, 'fixture-logits.onnx');
  writeFileSync(path, makeLogitsFixture());
  model = await loadModel(path, { device: 'cpu', threads: 1, log: () => {} });
  if (HAS_CHROMIUM) {
    browser = await launchChromium();
  }
});
after(async () => {
  await browser?.close();
  await model?.release();
  tmp.cleanup();
});

function serve(extra: Partial<ServerOptions> = {}): Promise<ServerHandle> {
  return startServer({ input: 'testsrc2=size=320x240:rate=15,format=gray', format: 'lavfi', model, port: 0, log: () => {}, ...extra });
}


test('viewer page in Chromium: colour frames, overlay, controls, auto-reconnect', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async () => {
  const token = 'viewer-test-token';
  let srv = await serve({ token });
  const port = srv.port;
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  try {
    // Without the token the page is refused.
    const refused = await page.goto(srv.url);
    assert.equal(refused?.status(), 401);

    const res = await page.goto(`${srv.url}?token=${token}`);
    assert.equal(res?.status(), 200);
    await page.waitForFunction(() => (window as unknown as { chromaViewer: { frames: number } }).chromaViewer.frames >= 10, null, { timeout: 20000 });

    // Pixels read back from the canvas: bright parts of the pattern are red.
    const px = await page.evaluate(() => {
      const c = document.getElementById('view') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let red = 0;
      let gray = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] > d[i + 1] + 40 && d[i] > d[i + 2] + 40) red++;
        else if (Math.abs(d[i] - d[i + 1]) < 12 && Math.abs(d[i] - d[i + 2]) < 12) gray++;
      }
      return { red, gray, total: d.length / 4, w: c.width, h: c.height };
    });
    assert.equal(px.w, 320);
    assert.equal(px.h, 240);
    assert.ok(px.red > px.total / 50, `red pixels: ${px.red} of ${px.total}`);

    // The overlay: visible, fps > 0, a latency figure, source connected.
    await page.waitForFunction(() => Number(document.getElementById('fps')!.textContent) > 0, null, { timeout: 10000 });
    assert.ok(await page.locator('#overlay').isVisible());
    const overlay = await page.evaluate(() => ({
      fps: Number(document.getElementById('fps')!.textContent),
      latency: document.getElementById('latency')!.textContent,
      source: document.getElementById('source')!.textContent,
      link: document.getElementById('link')!.textContent,
      dropped: document.getElementById('dropped')!.textContent,
    }));
    assert.ok(overlay.fps > 0, `fps ${overlay.fps}`);
    assert.match(overlay.latency ?? '', /^\d+$/);
    assert.equal(overlay.source, 'connected');
    assert.equal(overlay.link, 'connected');
    assert.match(overlay.dropped ?? '', /server \d+ · link \d+ · here \d+/);

    // Controls: the temperature slider and the pause box change the server's state.
    await page.locator('#temperature').fill('0.6');
    await until('temperature from the page', () => srv.stats().settings.temperature === 0.6);
    await page.locator('#paused').check();
    await until('paused from the page', () => srv.stats().settings.paused);
    await page.locator('#paused').uncheck();
    await until('resumed from the page', () => !srv.stats().settings.paused);

    // The server goes away and comes back on the same port: the page reconnects by itself.
    const before = await page.evaluate(() => (window as unknown as { chromaViewer: { frames: number } }).chromaViewer.frames);
    await srv.close();
    await page.waitForFunction(() => /reconnecting/.test(document.getElementById('link')!.textContent ?? ''), null, { timeout: 10000 });
    srv = await serve({ token, port });
    await page.waitForFunction((n) => (window as unknown as { chromaViewer: { frames: number } }).chromaViewer.frames > n + 5, before, { timeout: 20000 });
    assert.equal(await page.locator('#link').textContent(), 'connected');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await srv.close();
  }
});
