// The hints editor (`chroma serve --input film --edit`): its message checks (a table), the session's
// round trip (hints placed in the editor, saved, rendered by `colorize --hints --smooth off` give
// the frames the editor showed, pixel for pixel), the server's refusals (no token, bad messages,
// bad files: nothing changes), and the page in real Chromium: a click on the canvas with a colour
// picked re-colours that point, and the saved file renders what the page showed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { tempDir, runCli, readRgbFrames } from './helpers/media.js';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';
import { fractalNoise } from './helpers/synthetic.js';
import { until } from './helpers/until.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { labToSrgb, srgbToLab } from '../src/color/lab.js';
import { probeMedia } from '../src/media/probe.js';
import { loadModel } from '../src/model/load-model.js';
import { EditSession } from '../src/editor/session.js';
import { startEditServer, EDIT_FRAME_MAGIC, EDIT_FRAME_HEADER_BYTES, type EditServerHandle } from '../src/server/edit-server.js';
import { parseEditMessage, MAX_EDIT_COMMAND_BYTES } from '../src/server/edit-control.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { topColours } from '../src/hints/top-colours.js';
import { AB_BINS_313, Q } from '../src/color/ab-bins.js';

const W = 160, H = 120, SIDE = 28, Y0 = 46, FRAMES = 24;
const left = (t: number) => 30 + 2 * t;

let tmp: ReturnType<typeof tempDir>;
let model: LoadedModel;
let film: string;

/** A gray clip (FFV1): a textured square moving right over a textured background. */
function writeClip(path: string): string {
  const data = Buffer.alloc(W * H * FRAMES);
  for (let t = 0; t < FRAMES; t++) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      let v = 30 + 100 * fractalNoise(x, y, 1);
      const ox = left(t);
      if (x >= ox && x < ox + SIDE && y >= Y0 && y < Y0 + SIDE) v = 150 + 60 * fractalNoise(x - ox, y - Y0, 7);
      data[t * W * H + y * W + x] = Math.round(v);
    }
  }
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${W}x${H}`, '-r', '10', '-i', 'pipe:0', '-c:v', 'ffv1', path], { input: data });
  return path;
}

const readFrames = (path: string) => readRgbFrames(path, W, H);

function abAt(rgb: Uint8Array | Buffer, x: number, y: number, w = W): [number, number] {
  const i = (Math.round(y) * w + Math.round(x)) * 3;
  const [, a, b] = srgbToLab(rgb[i], rgb[i + 1], rgb[i + 2]);
  return [a, b];
}

/** The hint's ab as the pixel at `rgb` can show it: at that pixel's lightness, after sRGB clipping. */
function shownAb(rgb: readonly number[], hint: readonly number[]): [number, number] {
  const [L] = srgbToLab(rgb[0], rgb[1], rgb[2]);
  const [r, g, b] = labToSrgb(L, hint[0], hint[1]).map((v) => Math.round(Math.min(255, Math.max(0, v))));
  const [, a, bb] = srgbToLab(r, g, b);
  return [a, bb];
}

function maxDiff(p: Uint8Array, q: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < p.length; i++) m = Math.max(m, Math.abs(p[i] - q[i]));
  return m;
}

before(async () => {
  tmp = tempDir('chroma-editor-');
  film = writeClip(join(tmp.dir, 'reel.mkv'));
  model = await loadModel('default', { device: 'cpu', log: () => {} });
});
after(async () => {
  await model?.release();
  tmp.cleanup();
});

const big = 'x'.repeat(MAX_EDIT_COMMAND_BYTES);
const CASES: [string, unknown, string | null][] = [
  ['seek', { type: 'seek', frame: 3 }, null],
  ['add, the least it needs', { type: 'add', frame: 0, x: 1, y: 2, color: '#ff0000' }, null],
  ['add, every field', { type: 'add', frame: 0, x: 1.5, y: 2, color: '#f00', size: 5, until: 'frame' }, null],
  ['update', { type: 'update', id: 'h1', x: 3 }, null],
  ['delete', { type: 'delete', id: 'h1' }, null],
  ['load', { type: 'load', file: { hints: [] } }, null],
  ['save', { type: 'save' }, null],
  ['suggest', { type: 'suggest', frame: 1, x: 2, y: 3 }, null],
  ['not an object', [1, 2], 'expected a JSON object'],
  ['no type', { frame: 1 }, 'missing "type"'],
  ['unknown type', { type: 'paint' }, 'unknown type "paint"'],
  ['unknown field', { type: 'seek', frame: 1, speed: 2 }, 'unknown field "speed"'],
  ['negative frame', { type: 'seek', frame: -1 }, '"frame" must be an integer >= 0'],
  ['fractional frame', { type: 'seek', frame: 1.5 }, '"frame" must be an integer'],
  ['NaN-ish x', { type: 'add', frame: 0, x: 'left', y: 2, color: '#fff' }, '"x" must be a finite number'],
  ['missing colour', { type: 'add', frame: 0, x: 1, y: 2 }, '"add" needs "color"'],
  ['bad until', { type: 'add', frame: 0, x: 1, y: 2, color: '#fff', until: 'forever' }, '"until" must be'],
  ['update without id', { type: 'update', x: 3 }, '"update" needs "id"'],
  ['id too long', { type: 'delete', id: 'x'.repeat(65) }, '"id" must be a string'],
  ['load of a non-object', { type: 'load', file: 'hints.json' }, '"file" must be an object'],
  ['save with a path', { type: 'save', path: '/etc/passwd' }, 'unknown field "path"'],
  ['a large command', { type: 'delete', id: 'h1', pad: big }, 'message too large'],
];

test('edit messages: what is accepted and the one line for what is not', () => {
  for (const [name, msg, error] of CASES) {
    const r = parseEditMessage(Buffer.from(JSON.stringify(msg)), false);
    if (error === null) assert.ok(r.ok, `${name}: ${!r.ok && r.error}`);
    else {
      assert.ok(!r.ok, `${name}: accepted`);
      assert.ok(r.error.includes(error), `${name}: ${r.error}`);
    }
  }
  assert.match((parseEditMessage(Buffer.from('{'), false) as { error: string }).error, /not valid JSON/);
  assert.match((parseEditMessage(Buffer.from('{}'), true) as { error: string }).error, /binary/);
});

test('top colours: the modes of a two-peaked distribution, most likely first, not its gray mean', () => {
  const nearest = (a: number, b: number) => {
    let best = 0;
    for (let q = 1; q < Q; q++) if (Math.hypot(AB_BINS_313[2 * q] - a, AB_BINS_313[2 * q + 1] - b) < Math.hypot(AB_BINS_313[2 * best] - a, AB_BINS_313[2 * best + 1] - b)) best = q;
    return best;
  };
  const plane = 4, index = 2;
  const logits = new Float32Array(Q * plane).fill(-5);
  const red = nearest(60, 40), blue = nearest(10, -50);
  logits[red * plane + index] = 3;
  logits[blue * plane + index] = 2.5;
  const s = topColours(logits, plane, index, 55, 4);
  assert.equal(s.length, 4);
  assert.deepEqual(s[0].ab, [AB_BINS_313[2 * red], AB_BINS_313[2 * red + 1]]);
  assert.deepEqual(s[1].ab, [AB_BINS_313[2 * blue], AB_BINS_313[2 * blue + 1]]);
  assert.ok(s[0].p > s[1].p && s[1].p > s[2].p, s.map((x) => x.p).join(' '));
  for (let i = 0; i < s.length; i++) for (let j = 0; j < i; j++) assert.ok(Math.hypot(s[i].ab[0] - s[j].ab[0], s[i].ab[1] - s[j].ab[1]) >= 18);
  assert.match(s[0].color, /^#[0-9a-f]{6}$/);
});

test('session round trip: a hint placed on one frame, tracked, saved, renders the same frames with colorize --hints --smooth off', async () => {
  const info = await probeMedia(film);
  const session = await EditSession.open(model, info, { hintsPath: join(tmp.dir, 'reel.hints.json') });
  try {
    assert.equal(session.frames, FRAMES);
    const before10 = (await session.render(10)).out;
    const color = '#1e88e5';
    const hintAb = srgbToLab(0x1e, 0x88, 0xe5).slice(1) as [number, number];
    const id = session.edit({ type: 'add', frame: 10, x: left(10) + SIDE / 2, y: Y0 + SIDE / 2, color, size: 12 });
    assert.equal(id, 'h1');
    // Before tracking the hint lives on its own frame only.
    assert.equal(session.view(15)[0].at, null);
    await session.trackAll();
    const [v] = session.view(20);
    assert.ok(v.at && Math.abs(v.at[0] - (left(20) + SIDE / 2)) <= 2, `tracked to ${v.at}`);
    assert.deepEqual(v.span, { first: 0, last: FRAMES - 1 });
    const shown = new Map<number, Buffer>();
    for (const t of [0, 10, 20]) shown.set(t, (await session.render(t)).out);
    // The hint colours the object where it is, in every frame of the shot.
    for (const [t, rgb] of shown) {
      const x = left(t) + SIDE / 2, y = Y0 + SIDE / 2, i = (y * W + x) * 3;
      const ab = abAt(rgb, x, y), want = shownAb([rgb[i], rgb[i + 1], rgb[i + 2]], hintAb);
      assert.ok(Math.hypot(ab[0] - want[0], ab[1] - want[1]) <= 10, `frame ${t}: ab ${ab.map((v) => v.toFixed(1))} vs the hint at this lightness ${want.map((v) => v.toFixed(1))}`);
    }
    assert.ok(maxDiff(before10, shown.get(10)!) > 30, 'the hint changed frame 10');
    const saved = await session.save();
    const out = join(tmp.dir, 'reel-out.mkv');
    const r = await runCli(['colorize', film, '-o', out, '--hints', saved, '--smooth', 'off', '--codec', 'ffv1', '--device', 'cpu', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const rendered = readFrames(out);
    for (const [t, rgb] of shown) assert.equal(maxDiff(rgb, rendered[t]), 0, `frame ${t} differs from the editor's`);
  } finally {
    await session.close();
  }
});

/** A socket to the editor that collects its JSON messages and frames. */
async function connect(port: number, token: string | null) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${token ? `?token=${token}` : ''}`);
  const json: Record<string, unknown>[] = [];
  const frames: { frame: number; rev: number; jpeg: Buffer }[] = [];
  ws.on('message', (d, bin) => {
    if (!bin) json.push(JSON.parse(String(d)) as Record<string, unknown>);
    else {
      const b = d as Buffer;
      assert.equal(b.readUInt32LE(0), EDIT_FRAME_MAGIC);
      frames.push({ frame: b.readUInt32LE(4), rev: b.readUInt32LE(8), jpeg: b.subarray(EDIT_FRAME_HEADER_BYTES) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, json, frames, send: (o: unknown) => ws.send(typeof o === 'string' ? o : JSON.stringify(o)) };
}

async function startEditor(dir: string, extra: { token?: string; quality?: number } = {}): Promise<EditServerHandle> {
  const info = await probeMedia(film);
  const session = await EditSession.open(model, info, { hintsPath: join(dir, 'reel.hints.json') });
  return startEditServer(session, { port: 0, ...extra });
}

test('server: token required, bad messages and bad files refused with nothing changed, save and download agree', async () => {
  const dir = tempDir('chroma-editor-srv-');
  const srv = await startEditor(dir.dir, { token: 'edit-token' });
  try {
    assert.match(srv.url, /\?token=edit-token$/);
    const page = await fetch(`http://127.0.0.1:${srv.port}/`);
    assert.equal(page.status, 401);
    await assert.rejects(connect(srv.port, null), /status 401/);
    await assert.rejects(connect(srv.port, 'wrong'), /status 401/);
    const c = await connect(srv.port, 'edit-token');
    await until('editor', () => c.frames.length >= 1, 30_000);
    const errors = () => c.json.filter((m) => m.type === 'error').map((m) => m.message as string);
    c.send('not json');
    c.send({ type: 'add', frame: 0, x: W + 5, y: 10, color: '#ff0000' });
    c.send({ type: 'add', frame: 0, x: 10, y: 10, color: 'red' });
    c.send({ type: 'add', frame: FRAMES, x: 10, y: 10, color: '#ff0000' });
    c.send({ type: 'load', file: { hints: [{ x: 1, y: 1, color: '#fff', colour: 'typo' }] } });
    c.send({ type: 'delete', id: 'nope' });
    c.send({ type: 'seek', frame: FRAMES });
    c.send({ type: 'load', file: { hints: [], reference: { image: 'other.jpg' } } });
    await until('editor', () => errors().length >= 8, 10_000);
    // Each refusal is one line; replies to different messages may come in any order.
    const e = errors();
    for (const want of [/not valid JSON/, /hints\[0\]\.x: 165 is outside the picture \(0\.\.159\)/, /hints\[0\]\.color: "red" is not an sRGB hex colour/,
      /hints\[0\]\.frame: 24 is not a frame of this video/, /hints\[0\]\.colour: unknown key/, /no hint with id "nope"/, /frame 24: not a frame of this film/, /another reference photo/]) {
      assert.ok(e.some((m) => want.test(m)), `${want} not in ${JSON.stringify(e)}`);
    }
    assert.equal(srv.session.hintsFile().hints.length, 0, 'nothing was added');
    assert.ok(!existsSync(join(dir.dir, 'reel.hints.json')), 'nothing was written');

    c.send({ type: 'add', frame: 4, x: 40, y: 50, color: '#00aa00', id: undefined });
    c.send({ type: 'save' });
    await until('editor', () => c.json.some((m) => m.type === 'saved'), 10_000);
    const savedText = readFileSync(join(dir.dir, 'reel.hints.json'), 'utf8');
    assert.deepEqual(JSON.parse(savedText), { hints: [{ id: 'h1', frame: 4, x: 40, y: 50, color: '#00aa00' }] });
    const dl = await fetch(`http://127.0.0.1:${srv.port}/hints.json?token=edit-token`);
    assert.equal(dl.status, 200);
    assert.equal(await dl.text(), savedText);
    // A state message names the hint and where it is on the frame shown.
    await until('editor', () => c.json.some((m) => m.type === 'state' && (m.hints as unknown[]).length === 1 && m.tracking === false), 20_000);
    c.ws.close();
  } finally {
    await srv.close();
    dir.cleanup();
  }
});

let browser: Browser | null = null;
test('editor page in Chromium: click with a colour picked re-colours the point; the saved file renders what the page showed', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async () => {
  browser = await launchChromium();
  const dir = tempDir('chroma-editor-page-');
  const srv = await startEditor(dir.dir, { quality: 100 });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    assert.equal((await page.goto(`http://127.0.0.1:${srv.port}/`))?.status(), 401);
    assert.equal((await page.goto(srv.url))?.status(), 200);
    await page.waitForFunction(() => (window as unknown as { chromaEditor: { shown: number } }).chromaEditor.shown >= 1, null, { timeout: 30_000 });
    // Step to frame 6, pick a blue, click the middle of the moving square.
    for (let i = 0; i < 6; i++) {
      const shown = await page.evaluate(() => (window as unknown as { chromaEditor: { shown: number } }).chromaEditor.shown);
      await page.click('#next');
      await page.waitForFunction((n) => (window as unknown as { chromaEditor: { shown: number } }).chromaEditor.shown > n, shown, { timeout: 20_000 });
    }
    assert.equal(await page.evaluate(() => (window as unknown as { chromaEditor: { frame: number } }).chromaEditor.frame), 6);
    await page.evaluate(() => {
      const c = document.getElementById('color') as HTMLInputElement;
      c.value = '#1e88e5';
    });
    const px = left(6) + SIDE / 2, py = Y0 + SIDE / 2;
    const readPixel = () => page.evaluate(([x, y]) => {
      const cv = document.getElementById('view') as HTMLCanvasElement;
      // Beside the marker the page draws on the point.
      return Array.from(cv.getContext('2d')!.getImageData(x + 8, y, 1, 1).data.slice(0, 3));
    }, [px, py]);
    const beforeRgb = await readPixel();
    const box = (await page.locator('#view').boundingBox())!;
    await page.mouse.click(box.x + ((px + 0.5) * box.width) / W, box.y + ((py + 0.5) * box.height) / H);
    await page.waitForFunction(() => (window as unknown as { chromaEditor: { clicks: number[] } }).chromaEditor.clicks.length >= 1, null, { timeout: 20_000 });
    const afterRgb = await readPixel();
    const abBefore = srgbToLab(beforeRgb[0], beforeRgb[1], beforeRgb[2]).slice(1);
    const abAfter = srgbToLab(afterRgb[0], afterRgb[1], afterRgb[2]).slice(1);
    const hint = shownAb(afterRgb, srgbToLab(0x1e, 0x88, 0xe5).slice(1));
    const dist = (p: number[]) => Math.hypot(p[0] - hint[0], p[1] - hint[1]);
    assert.ok(dist(abAfter) < 12 && dist(abAfter) < dist(abBefore) - 15, `ab ${abBefore.map(Math.round)} -> ${abAfter.map(Math.round)} (the hint at this lightness ${hint.map(Math.round)})`);
    // The model's own colours at that point are offered.
    await page.waitForFunction(() => document.querySelectorAll('#suggest button').length >= 2, null, { timeout: 20_000 });
    // Save, then wait for the tracks (the page's state says when) and the re-render after them.
    await page.waitForFunction(() => document.getElementById('tracking')!.textContent === '', null, { timeout: 30_000 });
    await page.click('#save');
    await page.waitForFunction(() => /saved/.test(document.getElementById('message')!.textContent ?? ''), null, { timeout: 10_000 });
    const saved = join(dir.dir, 'reel.hints.json');
    const hints = JSON.parse(readFileSync(saved, 'utf8')) as { hints: { frame: number; x: number; y: number; color: string }[] };
    assert.equal(hints.hints.length, 1);
    assert.equal(hints.hints[0].frame, 6);
    assert.equal(hints.hints[0].color, '#1e88e5');
    const out = join(dir.dir, 'out.mkv');
    const r = await runCli(['colorize', film, '-o', out, '--hints', saved, '--smooth', 'off', '--codec', 'ffv1', '--device', 'cpu', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const rendered = readFrames(out);
    // The page's canvas (JPEG at quality 100) against the file's frame 6: the same picture.
    const canvas = await page.evaluate(() => {
      const cv = document.getElementById('view') as HTMLCanvasElement;
      return Array.from(cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data);
    });
    let sum = 0, n = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      if (Math.hypot(x - px, y - py) < 12) continue; // the marker
      for (let c = 0; c < 3; c++) sum += Math.abs(canvas[(y * W + x) * 4 + c] - rendered[6][(y * W + x) * 3 + c]);
      n += 3;
    }
    assert.ok(sum / n < 2, `canvas vs colorize: mean abs difference ${(sum / n).toFixed(2)}`);
    // Lossless: the editor's own frames against the file's, frame 6 and one the hint was tracked to.
    for (const t of [6, 15]) {
      const png = Buffer.from(await (await fetch(`http://127.0.0.1:${srv.port}/frame.png?frame=${t}&token=${srv.token}`)).arrayBuffer());
      const raw = await sharp(png).removeAlpha().raw().toBuffer();
      assert.equal(maxDiff(raw, rendered[t]), 0, `frame ${t}`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await srv.close();
    dir.cleanup();
  }
});
