// The browser's own camera: the viewer page sends its getUserMedia frames up the WebSocket and
// shows them colorized beside the original. In real Chromium with its fake camera; the limits
// (token, size, rate, newest wins) with a plain WebSocket client against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { startServer, decodeFrameMessage, type ServerHandle } from '../src/server/index.js';
import { encodeUpload, parseUpload, MAX_UPLOAD_BYTES } from '../src/server/webcam-upload.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { tempDir } from './helpers/media.js';
import { until } from './helpers/until.js';
import { loadFixtureModel } from './helpers/live-server.js';

const CHROMIUM = '/usr/bin/chromium';
const tmp = tempDir('chroma-webcam-');
let model: LoadedModel;
const TOKEN = 'webcam-test-token';

before(async () => {
  model = await loadFixtureModel(tmp.dir);
});
after(async () => {
  await model?.release();
  tmp.cleanup();
});

function serve(token: string | null): Promise<ServerHandle> {
  return startServer({ input: 'testsrc2=size=160x120:rate=5,format=gray', format: 'lavfi', model, port: 0, log: () => {}, token });
}

const jpeg = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 200, b: 200 } } }).jpeg().toBuffer();

const parseCases: { name: string; msg: () => Promise<Buffer>; error?: RegExp }[] = [
  { name: 'a good frame', msg: async () => encodeUpload({ seq: 7, capturedAt: 1234.5, jpeg: await jpeg(32, 24) }) },
  { name: 'not a JPEG', msg: async () => encodeUpload({ seq: 1, capturedAt: 1, jpeg: Buffer.from('PNG not really') }), error: /not a JPEG/ },
  { name: 'too short', msg: async () => Buffer.from([0x43, 0x48, 0x55, 0x31]), error: /not a camera frame/ },
  { name: 'too large', msg: async () => Buffer.alloc(MAX_UPLOAD_BYTES + 1), error: /too large/ },
];
for (const c of parseCases) {
  test(`camera upload parse: ${c.name}`, async () => {
    const r = parseUpload(await c.msg());
    if (c.error) {
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, c.error);
    } else {
      assert.ok(r.ok);
      assert.equal(r.ok && r.upload.seq, 7);
      assert.equal(r.ok && r.upload.capturedAt, 1234.5);
    }
  });
}

function client(srv: ServerHandle, token: string | null): Promise<{ ws: WebSocket; results: { seq: number; at: number; capturedAt: number; w: number }[]; errors: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws${token ? `?token=${token}` : ''}`);
    const c = { ws, results: [] as { seq: number; at: number; capturedAt: number; w: number }[], errors: [] as string[] };
    ws.on('message', (d: Buffer, bin) => {
      if (!bin) {
        const m = JSON.parse(d.toString()) as { type: string; message?: string };
        if (m.type === 'error') c.errors.push(m.message ?? '');
        return;
      }
      const f = decodeFrameMessage(d);
      if (f?.header.upload) c.results.push({ seq: f.header.seq, at: Date.now(), capturedAt: f.header.decodedAt, w: f.header.width });
    });
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
  });
}

test('camera upload: colorized for the sender only, scaled to 640 wide at most, rate-capped; refused without a token', async () => {
  const srv = await serve(TOKEN);
  const open = await serve(null);
  try {
    const me = await client(srv, TOKEN);
    const other = await client(srv, TOKEN);
    const big = await jpeg(1280, 960);
    // 40 frames as fast as the socket takes them: most are dropped (rate cap, newest wins), some come back.
    for (let i = 0; i < 40; i++) me.ws.send(encodeUpload({ seq: i, capturedAt: Date.now(), jpeg: big }));
    await until('results', () => me.results.length >= 1, 20000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(me.results.length < 10, `${me.results.length} results for a burst of 40`);
    assert.equal(me.results[0].w, 640);
    assert.equal(other.results.length, 0, 'another viewer never gets my camera');
    // Paced at 10 fps, every frame or nearly comes back, in order.
    const paced = me.results.length;
    for (let i = 100; i < 120; i++) {
      me.ws.send(encodeUpload({ seq: i, capturedAt: Date.now(), jpeg: await jpeg(320, 240) }));
      await new Promise((r) => setTimeout(r, 100));
    }
    await until('paced results', () => me.results.filter((r) => r.seq >= 100).length >= 12, 20000);
    const seqs = me.results.slice(paced).map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));

    const anon = await client(open, null);
    anon.ws.send(encodeUpload({ seq: 1, capturedAt: Date.now(), jpeg: await jpeg(64, 48) }));
    await until('refusal', () => anon.errors.length > 0, 10000);
    assert.match(anon.errors[0], /needs a server started with --token/);
    for (const c of [me, other, anon]) c.ws.close();
  } finally {
    await srv.close();
    await open.close();
  }
});

test('"use my camera" in Chromium (fake camera): colour frames back beside the original, fps and round trip shown', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
  const srv = await serve(TOKEN);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${srv.url}?token=${TOKEN}`);
    await page.waitForSelector('#useCamera:not([hidden]):not([disabled])', { timeout: 20000 });
    await page.click('#useCamera');
    await page.waitForFunction(() => (window as unknown as { chromaViewer: { camera: { frames: number } } }).chromaViewer.camera.frames >= 15, null, { timeout: 30000 });
    await new Promise((r) => setTimeout(r, 2200)); // two stats windows
    const cam = await page.evaluate(() => (window as unknown as { chromaViewer: { camera: { fps: number; latencyMs: number | null; sent: number } } }).chromaViewer.camera);
    process.stdout.write(`# browser camera: ${cam.fps.toFixed(1)} fps back, round trip ${cam.latencyMs?.toFixed(0)} ms\n`);
    assert.ok(cam.fps > 1, `camera fps ${cam.fps}`);
    assert.ok(cam.latencyMs !== null && cam.latencyMs > 0);
    assert.notEqual(await page.textContent('#camFps'), '0.0');
    assert.match((await page.textContent('#camLatency')) ?? '', /^\d+$/);
    // Side by side: the original plays, and the result canvas holds the fixture model's colour.
    const shown = await page.evaluate(() => {
      const v = document.getElementById('camIn') as HTMLVideoElement;
      const c = document.getElementById('camOut') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let red = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > d[i + 1] + 40 && d[i] > d[i + 2] + 40) red++;
      return { playing: v.videoWidth > 0 && !v.paused, red, total: d.length / 4, hidden: document.getElementById('camera')!.hidden };
    });
    assert.equal(shown.hidden, false);
    assert.ok(shown.playing, 'the original is shown');
    assert.ok(shown.red > shown.total / 100, `red pixels ${shown.red} of ${shown.total}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await srv.close();
  }
});
