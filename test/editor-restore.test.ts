// The editor with --restore (issue 27, item 4): on a short gray clip with dust specks put on known
// frames at known places, the frames shown are colorized from the restored L (they differ from the
// original view exactly where the specks were, and are the frames `colorize --restore dust --smooth
// off` writes); the film rendered from the editor is repaired too; and in real Chromium the page's
// "show the original (unrestored)" switch flips the frame between the two. Without --restore the
// switch is off and says why, and the server refuses "view". (Dust, not the whole `auto` set:
// grain and flicker add nothing to what is checked here and cost time on a loaded machine.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { tempDir, runCli, readRgbFrames } from './helpers/media.js';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';
import { fractalNoise } from './helpers/synthetic.js';
import { until } from './helpers/until.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { srgbToLab } from '../src/color/lab.js';
import { probeMedia } from '../src/media/probe.js';
import { loadModel } from '../src/model/load-model.js';
import { parseRestoreOption } from '../src/restore/options.js';
import { EditSession } from '../src/editor/session.js';
import { RestoredL, RESTORE_BLOCK } from '../src/editor/restored-l.js';
import type { RawFrame } from '../src/core/frames.js';
import { startEditServer, type EditServerHandle } from '../src/server/edit-server.js';
import { editOptionsFromArgv } from '../src/cli/edit-cli.js';
import type { LoadedModel } from '../src/core/model-contract.js';

const W = 160, H = 120, FRAMES = 16, SIDE = 24, Y0 = 70;
const left = (t: number) => 20 + 2 * t;
/** Dust: a dark speck of radius 4 on one frame each, away from the moving square. */
const SPECKS: { frame: number; x: number; y: number }[] = [
  { frame: 5, x: 40, y: 30 }, { frame: 5, x: 120, y: 40 }, { frame: 9, x: 80, y: 25 }, { frame: 12, x: 130, y: 100 },
];
const R = 4;

let tmp: ReturnType<typeof tempDir>;
let model: LoadedModel;
let film: string;
let browser: Browser | null = null;

const inSpeck = (x: number, y: number, s: { x: number; y: number }, r = R) => (x - s.x) ** 2 + (y - s.y) ** 2 <= r * r;

/** A gray clip (FFV1): a textured square moving right over a still textured background, with the specks. */
function writeClip(path: string): string {
  const data = Buffer.alloc(W * H * FRAMES);
  for (let t = 0; t < FRAMES; t++) {
    const specks = SPECKS.filter((s) => s.frame === t);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      let v = 60 + 110 * fractalNoise(x, y, 3);
      const ox = left(t);
      if (x >= ox && x < ox + SIDE && y >= Y0 && y < Y0 + SIDE) v = 150 + 60 * fractalNoise(x - ox, y - Y0, 9);
      if (specks.some((s) => inSpeck(x, y, s))) v = 12;
      data[t * W * H + y * W + x] = Math.round(v);
    }
  }
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${W}x${H}`, '-r', '10', '-i', 'pipe:0', '-c:v', 'ffv1', path], { input: data });
  return path;
}

/** L* of an RGB (3) or RGBA (4) picture. */
function lOf(px: ArrayLike<number>, channels = 3): Float32Array {
  const L = new Float32Array(W * H);
  for (let i = 0; i < L.length; i++) L[i] = srgbToLab(px[i * channels], px[i * channels + 1], px[i * channels + 2])[0];
  return L;
}

/** Mean |ΔL| of two pictures over the specks of `frame` (grown by 2 px: the repair's edge), and elsewhere. */
function lDiff(a: Float32Array, b: Float32Array, frame: number): { damage: number; elsewhere: number } {
  const specks = SPECKS.filter((s) => s.frame === frame);
  let d = 0, nd = 0, e = 0, ne = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const v = Math.abs(a[y * W + x] - b[y * W + x]);
    if (specks.some((s) => inSpeck(x, y, s, R + 2))) {
      if (specks.some((s) => inSpeck(x, y, s))) { d += v; nd++; }
    } else { e += v; ne++; }
  }
  return { damage: d / nd, elsewhere: e / ne };
}

before(async () => {
  tmp = tempDir('chroma-editor-restore-');
  film = writeClip(join(tmp.dir, 'reel.mkv'));
  model = await loadModel('default', { device: 'cpu', log: () => {} });
  if (HAS_CHROMIUM) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await model?.release();
  tmp.cleanup();
});

test('serve --edit --restore: the option through the schema, default off, one line for a bad value', () => {
  const base = ['--input', film, '--edit'];
  assert.equal(editOptionsFromArgv(base, {}).restore ?? null, null);
  const on = editOptionsFromArgv([...base, '--restore', 'dust,blotches'], {});
  assert.ok(on.restore?.dust && on.restore.blotches && !on.restore.grain);
  assert.throws(() => editOptionsFromArgv([...base, '--restore', 'dusty'], {}), /--restore/);
});

test('session with restore: the frames shown differ from the original exactly where the specks were, and are what colorize --restore writes', async (t) => {
  const info = await probeMedia(film);
  const session = await EditSession.open(model, info, { restore: parseRestoreOption('dust'), hintsPath: join(tmp.dir, 'a.hints.json') });
  try {
    assert.equal(session.restores, true);
    const shown = new Map<number, Buffer>();
    for (const frame of [5, 9, 12]) {
      const restored = (await session.render(frame)).out, original = (await session.render(frame, 'original')).out;
      shown.set(frame, restored);
      const d = lDiff(lOf(restored), lOf(original), frame);
      t.diagnostic(`frame ${frame}: mean |ΔL| restored vs original ${d.damage.toFixed(2)} over the specks, ${d.elsewhere.toFixed(3)} elsewhere`);
      assert.ok(d.damage > 15, `frame ${frame}: the specks were not repaired (mean |ΔL| ${d.damage.toFixed(2)})`);
      assert.ok(d.damage > 20 * d.elsewhere, `frame ${frame}: the repair is not where the specks were (${d.damage.toFixed(2)} there, ${d.elsewhere.toFixed(3)} elsewhere)`);
    }
    // A clean frame: restored and original the same.
    const clean = lDiff(lOf((await session.render(2)).out), lOf((await session.render(2, 'original')).out), 2);
    assert.ok(clean.elsewhere < 0.2, `clean frame 2 changed by ${clean.elsewhere.toFixed(3)} L`);

    const out = join(tmp.dir, 'restored.mkv');
    const r = await runCli(['colorize', film, '-o', out, '--restore', 'dust', '--smooth', 'off', '--codec', 'ffv1', '--device', 'cpu', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const written = readRgbFrames(out, W, H);
    for (const [frame, rgb] of shown) {
      let max = 0;
      for (let i = 0; i < rgb.length; i++) max = Math.max(max, Math.abs(rgb[i] - written[frame][i]));
      assert.ok(max <= 1, `frame ${frame}: the editor's restored frame differs from colorize --restore's by ${max}`);
    }

    // The film rendered from the editor is repaired the same way (h264: compared in L, loosely).
    const rendered = await session.renderFilm({ output: join(tmp.dir, 'film.mp4'), smooth: false });
    const frames = readRgbFrames(rendered.output, W, H);
    const againstRestored = lDiff(lOf(frames[5]), lOf(shown.get(5)!), 5).damage;
    const againstOriginal = lDiff(lOf(frames[5]), lOf((await session.render(5, 'original')).out), 5).damage;
    t.diagnostic(`rendered film, frame 5 over the specks: |ΔL| ${againstRestored.toFixed(2)} from the restored view, ${againstOriginal.toFixed(2)} from the original`);
    assert.ok(againstOriginal > 5 * againstRestored, `the rendered film is not repaired (${againstRestored.toFixed(2)} vs ${againstOriginal.toFixed(2)})`);
  } finally {
    await session.close();
  }
});

test('restored L: a block is restored once with its context, then served from the cache; the cache is bounded', async () => {
  const rgb = readRgbFrames(film, W, H);
  const reads: number[] = [];
  const source = {
    frames: FRAMES,
    read: async (i: number): Promise<RawFrame> => {
      reads.push(i);
      return { index: i, pts: i / 10, width: W, height: H, rgb: Buffer.from(rgb[i]) };
    },
  };
  const r = new RestoredL(source, parseRestoreOption('dust')!);
  const { behind, ahead } = r.context;
  assert.deepEqual({ behind, ahead }, { behind: 2, ahead: 2 });
  const a = await r.get(9);
  // Block 1 (frames 8..15) with 2 frames behind it (the film ends after it).
  assert.deepEqual(reads, [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  for (let i = RESTORE_BLOCK; i < FRAMES; i++) await r.get(i);
  assert.equal(await r.get(9), a, 'the same plane from the cache');
  assert.equal(reads.length, 10, 'no frame read again');
  // Frame 9's speck is gone, the rest of the frame as decoded.
  const decoded = lOf(rgb[9]);
  assert.ok(lDiff(a, decoded, 9).damage > 20 && lDiff(a, decoded, 9).elsewhere < 0.05, JSON.stringify(lDiff(a, decoded, 9)));
  // A cache of two planes keeps the two stored or used last (the block's last two); a frame that
  // has left it is restored again, with its block.
  const small = new RestoredL(source, parseRestoreOption('dust')!, 2 * W * H * 4);
  reads.length = 0;
  await small.get(0);
  assert.equal(reads.length, RESTORE_BLOCK + 2);
  await small.get(7);
  await small.get(6);
  assert.equal(reads.length, RESTORE_BLOCK + 2, 'frames 6 and 7 from the cache');
  await small.get(3);
  assert.equal(reads.length, 2 * (RESTORE_BLOCK + 2), 'frame 3 had left the cache');
});

async function startEditor(restore: boolean): Promise<EditServerHandle> {
  const info = await probeMedia(film);
  const session = await EditSession.open(model, info, {
    hintsPath: join(tmp.dir, `${restore}.hints.json`), ...(restore ? { restore: parseRestoreOption('dust') } : {}),
  });
  return startEditServer(session, { port: 0, token: 'secret' });
}

type Note = { frame: number; first: number; last: number };
type Ed = { chromaEditor: { frame: number; shown: number; shownView: string | null; view: string | null; errors: string[]; restoring: Note[] } };

/** The canvas as L, once frame `n` colorized from `view` is on it. */
async function canvasL(page: Page, n: number, view: string): Promise<Float32Array> {
  await page.waitForFunction(([f, v]) => {
    const e = (window as unknown as Ed).chromaEditor;
    return e.frame === f && e.shownView === v;
  }, [n, view] as const, { timeout: 60000 });
  const px = await page.evaluate(() => {
    const c = document.getElementById('view') as HTMLCanvasElement;
    return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
  });
  return lOf(px, 4);
}

async function pngL(srv: EditServerHandle, frame: number, view: string): Promise<Float32Array> {
  const res = await fetch(`http://127.0.0.1:${srv.port}/frame.png?frame=${frame}&view=${view}&token=${srv.token}`);
  assert.equal(res.status, 200);
  const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return lOf(data);
}

test('editor in Chromium with --restore: the switch flips the frame between restored and original', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async (t) => {
  const srv = await startEditor(true);
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  try {
    const restored = await pngL(srv, 5, 'restored'), original = await pngL(srv, 5, 'original');
    await page.goto(srv.url);
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.shown >= 1, null, { timeout: 60000 });
    const box = page.locator('#showOriginal');
    assert.equal(await box.isDisabled(), false);
    assert.equal(await page.locator('#viewWhy').textContent(), '');
    await page.locator('#seek').fill('5');
    // (JPEG on the canvas: each view is nearer its own PNG over the specks than the other one.)
    const near = (L: Float32Array) => ({ restored: lDiff(L, restored, 5).damage, original: lDiff(L, original, 5).damage });
    const a = near(await canvasL(page, 5, 'restored'));
    assert.ok(a.original > 4 * a.restored, `restored view: ${JSON.stringify(a)}`);
    await box.check();
    const b = near(await canvasL(page, 5, 'original'));
    assert.ok(b.restored > 4 * b.original, `original view: ${JSON.stringify(b)}`);
    assert.equal(await page.evaluate(() => (window as unknown as Ed).chromaEditor.view), 'original');
    await box.uncheck();
    const c = near(await canvasL(page, 5, 'restored'));
    assert.ok(c.original > 4 * c.restored, `restored again: ${JSON.stringify(c)}`);
    // Frame 9's block (8..15) was never restored: the page is told, says so, and clears the note
    // once the frame is on the canvas. Frame 5's block was restored (its PNG): no note for it.
    const notes = () => page.evaluate(() => (window as unknown as Ed).chromaEditor.restoring);
    assert.deepEqual((await notes()).filter((n) => n.frame === 5), []);
    await page.locator('#seek').fill('9');
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.restoring.some((n) => n.frame === 9), null, { timeout: 60000 });
    assert.deepEqual((await notes()).find((n) => n.frame === 9), { type: 'restoring', frame: 9, first: 8, last: 15 });
    await canvasL(page, 9, 'restored');
    assert.equal(await page.locator('#restoring').textContent(), '');
    t.diagnostic(`canvas |ΔL| over the specks (to restored / original PNG): restored ${a.restored.toFixed(1)}/${a.original.toFixed(1)}, original ${b.restored.toFixed(1)}/${b.original.toFixed(1)}, restored again ${c.restored.toFixed(1)}/${c.original.toFixed(1)}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(await page.evaluate(() => (window as unknown as Ed).chromaEditor.errors), []);
  } finally {
    await page.close();
    await srv.close();
  }
});

test('editor without --restore: the switch is off and says why; the server refuses "view"', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async () => {
  const srv = await startEditor(false);
  const page = await browser!.newPage();
  try {
    await page.goto(srv.url);
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.shown >= 1, null, { timeout: 60000 });
    assert.equal(await page.locator('#showOriginal').isDisabled(), true);
    assert.match((await page.locator('#viewWhy').textContent()) ?? '', /without --restore/);
    assert.match((await page.locator('#viewLabel').getAttribute('title')) ?? '', /--restore/);
    assert.equal(await page.evaluate(() => (window as unknown as Ed).chromaEditor.shownView), 'original');

    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws?token=${srv.token}`);
    const errors: string[] = [];
    ws.on('message', (d, bin) => {
      if (bin) return;
      const m = JSON.parse(String(d)) as { type: string; message?: string };
      if (m.type === 'error') errors.push(m.message!);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'view', view: 'original' }));
    await until('the refusal', () => errors.length > 0);
    assert.match(errors[0], /without --restore/);
    ws.close();
  } finally {
    await page.close();
    await srv.close();
  }
});
