import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import {
  FlowEstimator, consistencyMask, meanEndpointError, measureStreams, measureVideo, CdcMeter, jsDivergence,
  AccuracyMeter, abClass, colorfulness, WarpingErrorMeter, allocLab, rgbToLabPlanes, metricSize,
} from '../src/metrics/index.js';
import { runMetricsCommand, formatMetrics } from '../src/cli/metrics-cli.js';
import { srgbToLab, labToSrgb } from '../src/color/lab.js';
import { AB_BINS_313 } from '../src/color/ab-bins.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { valueNoise } from './helpers/synthetic.js';

const run = promisify(execFile);

/** A natural-looking L texture (octaves of value noise, 1/f-ish), shifted by (dx, dy): continuous, so subpixel shifts are exact. */
function texturePlane(w: number, h: number, dx: number, dy: number): Float32Array {
  const p = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const X = x - dx, Y = y - dy;
      let v = 50;
      for (const [scale, amp] of [[48, 30], [20, 20], [9, 14], [4, 8]]) v += amp * (valueNoise(X / scale, Y / scale, scale) - 0.5);
      p[y * w + x] = v;
    }
  }
  return p;
}
/** Packed rgb24 of a gray texture with a constant colour cast, shifted by (dx, dy). */
function colourFrame(w: number, h: number, dx: number, dy: number, cast: [number, number] = [20, -10]): Uint8Array {
  const L = texturePlane(w, h, dx, dy);
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = labToSrgb(L[i], cast[0], cast[1]);
    rgb[3 * i] = Math.max(0, Math.min(255, Math.round(r)));
    rgb[3 * i + 1] = Math.max(0, Math.min(255, Math.round(g)));
    rgb[3 * i + 2] = Math.max(0, Math.min(255, Math.round(b)));
  }
  return rgb;
}

// ---- optical flow -----------------------------------------------------------------------------

test('optical flow recovers known translations within 0.5 px (accuracy table in the diagnostics)', (t) => {
  const w = 192, h = 128;
  const fe = new FlowEstimator(w, h);
  const flow = new Float32Array(2 * w * h);
  const base = texturePlane(w, h, 0, 0);
  const rows: string[] = [];
  for (const [dx, dy] of [[0, 0], [0.25, 0], [0.3, -0.6], [1, 1], [2.5, 1.2], [-4.7, 3.3], [8, -5], [12.4, 6.1]]) {
    const moved = texturePlane(w, h, dx, dy);
    const t0 = performance.now();
    fe.compute(base, moved, flow);
    const ms = performance.now() - t0;
    // Pixels whose match left the frame have no answer: measure away from the borders.
    const border = Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))) + 8;
    const epe = meanEndpointError(flow, w, h, dx, dy, border);
    rows.push(`shift (${dx}, ${dy}): mean end-point error ${epe.toFixed(3)} px, ${ms.toFixed(1)} ms at ${w}x${h}`);
    assert.ok(epe < 0.5, `shift (${dx}, ${dy}): EPE ${epe.toFixed(3)}`);
    if (Math.hypot(dx, dy) <= 3) assert.ok(epe < 0.15, `small shift (${dx}, ${dy}) is sub-pixel accurate: EPE ${epe.toFixed(3)}`);
  }
  for (const r of rows) t.diagnostic(r);
});

test('optical flow: a first guess reaches a shift beyond the pyramid (the blotch stage starts frames two away from twice the nearer flow)', () => {
  const w = 192, h = 128, dx = 30, dy = -4;
  // Two levels reach only a few pixels: without the guess the shift is lost.
  const fe = new FlowEstimator(w, h, { levels: 2 });
  const flow = new Float32Array(2 * w * h);
  const base = texturePlane(w, h, 0, 0), moved = texturePlane(w, h, dx, dy);
  const border = 40;
  fe.compute(base, moved, flow);
  const without = meanEndpointError(flow, w, h, dx, dy, border);
  const guess = new Float32Array(2 * w * h);
  guess.fill(dx / 2 + 2, 0, w * h);
  guess.fill(dy / 2, w * h);
  fe.compute(base, moved, guess, guess.map((v) => v * 2));
  const withGuess = meanEndpointError(guess, w, h, dx, dy, border);
  assert.ok(without > 5, `without a guess: EPE ${without.toFixed(2)}`);
  assert.ok(withGuess < 0.5, `from a guess 4 px off: EPE ${withGuess.toFixed(2)}`);
});

test('forward-backward consistency masks pixels that leave the frame and keeps the rest', () => {
  const w = 128, h = 96;
  const fe = new FlowEstimator(w, h);
  const a = texturePlane(w, h, 0, 0), b = texturePlane(w, h, 6, 0);
  const fwd = new Float32Array(2 * w * h), bwd = new Float32Array(2 * w * h);
  fe.compute(a, b, fwd);
  fe.compute(b, a, bwd);
  const mask = new Uint8Array(w * h);
  consistencyMask(fwd, bwd, w, h, mask);
  let leftOut = 0, leaving = 0, kept = 0, inner = 0;
  for (let y = 8; y < h - 8; y++) {
    for (let x = 0; x < w; x++) {
      if (x + 6 > w - 0.5) {
        leaving++;
        if (!mask[y * w + x]) leftOut++;
      } else if (x >= 8 && x < w - 16) {
        inner++;
        kept += mask[y * w + x];
      }
    }
  }
  assert.ok(leftOut / leaving > 0.9, `pixels moving out of the frame are masked (${leftOut}/${leaving})`);
  assert.ok(kept / inner > 0.95, `interior pixels are kept (${kept}/${inner})`);
});

// ---- temporal metrics -------------------------------------------------------------------------

test('flicker and warping error of a static clip are 0; a constant-colour pan stays near 0', async () => {
  const w = 96, h = 64;
  const still = colourFrame(w, h, 0, 0);
  const r = await measureStreams({ width: w, height: h, colorized: { v: [still, still, still, still] } });
  assert.equal(r.frames, 4);
  assert.equal(r.videos.v.video.flicker, 0);
  assert.equal(r.videos.v.video.warpingError, 0);
  assert.equal(r.videos.v.video.cdc, 0);
  // The same colour cast on a texture moving 1.5 px a frame: the flow follows it, ab hardly changes.
  const pan = [0, 1, 2, 3, 4].map((k) => colourFrame(w, h, 1.5 * k, 0));
  const p = await measureStreams({ width: w, height: h, colorized: { v: pan } });
  assert.ok(p.videos.v.video.flicker! < 1, `pan flicker ${p.videos.v.video.flicker}`);
  assert.ok(p.nonOccluded! > 0.8);
  // Flickering colour (the cast alternates) on the same pan is caught: ~ the distance between the casts.
  const flick = [0, 1, 2, 3, 4].map((k) => colourFrame(w, h, 1.5 * k, 0, k % 2 ? [20, -10] : [-10, 20]));
  const q = await measureStreams({ width: w, height: h, colorized: { v: flick } });
  assert.ok(q.videos.v.video.flicker! > 25, `alternating casts: flicker ${q.videos.v.video.flicker}`);
  assert.ok(q.videos.v.video.warpingError! > 10 * p.videos.v.video.warpingError!);
});

test('warping error: squared RGB difference in [0, 1] units summed over channels', () => {
  const w = 8, h = 4, n = w * h;
  const m = new WarpingErrorMeter(w, h);
  const a = new Uint8Array(3 * n).fill(100), b = new Uint8Array(3 * n).fill(151);
  m.setPrevious(a);
  const zero = new Float32Array(2 * n), all = new Uint8Array(n).fill(1);
  const e = m.addPair(b, zero, all)!;
  assert.ok(Math.abs(e - 3 * (51 / 255) ** 2) < 1e-6, `${e}`);
  assert.equal(m.addPair(b, zero, new Uint8Array(n)), null, 'no pixel left: the pair is skipped');
});

test('CDC of identical frames is 0, and JS divergence behaves', () => {
  const w = 32, h = 16;
  const frame = colourFrame(w, h, 0, 0);
  const cdc = new CdcMeter();
  for (let k = 0; k < 6; k++) cdc.add(frame, w * h);
  assert.equal(cdc.value, 0);
  const changing = new CdcMeter();
  for (let k = 0; k < 6; k++) changing.add(colourFrame(w, h, 0, 0, k % 2 ? [30, 0] : [0, 30]), w * h);
  assert.ok(changing.value! > 0.05, `${changing.value}`);
  const p = Float64Array.from([0.5, 0.5, 0, 0]), q = Float64Array.from([0, 0, 0.5, 0.5]), r = Float64Array.from([0.25, 0.25, 0.25, 0.25]);
  assert.equal(jsDivergence(p, 0, p, 0, 4), 0);
  assert.ok(Math.abs(jsDivergence(p, 0, q, 0, 4) - Math.LN2) < 1e-12, 'disjoint: ln 2');
  assert.ok(Math.abs(jsDivergence(p, 0, r, 0, 4) - jsDivergence(r, 0, p, 0, 4)) < 1e-15, 'symmetric');
  assert.equal(new CdcMeter().value, null);
});

// ---- accuracy ---------------------------------------------------------------------------------

test('AuC: 100 for a perfect match, (151 - e)/151 for a constant error e, class balance weighs rare colours', () => {
  const n = 1000;
  const trueA = new Float32Array(n).fill(0), trueB = new Float32Array(n).fill(0);
  const rgb = new Uint8Array(3 * n);
  const perfect = new AccuracyMeter();
  perfect.add(trueA, trueB, trueA, trueB, rgb, rgb, n);
  assert.equal(perfect.auc, 100);
  assert.equal(perfect.aucBalanced, 100);
  const off = new AccuracyMeter();
  off.add(new Float32Array(n).fill(30), trueB, trueA, trueB, rgb, rgb, n);
  assert.ok(Math.abs(off.auc! - (100 * (151 - 30)) / 151) < 1e-9, `${off.auc}`);
  // 90% gray pixels predicted exactly; 10% saturated red predicted gray (error > 150 with a*=100? use 80/80).
  const ta = new Float32Array(n), tb = new Float32Array(n);
  for (let i = 900; i < n; i++) {
    ta[i] = 80;
    tb[i] = 70;
  }
  const m = new AccuracyMeter();
  m.add(new Float32Array(n), new Float32Array(n), ta, tb, rgb, rgb, n);
  const e = Math.ceil(Math.hypot(80, 70)); // 107
  const rareAuc = (100 * (151 - e)) / 151;
  assert.ok(Math.abs(m.auc! - (90 + 0.1 * rareAuc)) < 1e-9, `raw ${m.auc}`);
  assert.ok(Math.abs(m.aucBalanced! - (100 + rareAuc) / 2) < 1e-9, `balanced ${m.aucBalanced}`);
});

test('abClass is the nearest of the 313 bins', () => {
  for (let q = 0; q < 313; q += 17) assert.equal(abClass(AB_BINS_313[2 * q], AB_BINS_313[2 * q + 1]), q);
  const q = abClass(3, -2);
  assert.equal(AB_BINS_313[2 * q], 0);
  assert.equal(AB_BINS_313[2 * q + 1], 0);
});

test('PSNR and colourfulness on known inputs', () => {
  const n = 64;
  const a = new Uint8Array(3 * n).fill(120), b = new Uint8Array(3 * n).fill(125);
  const z = new Float32Array(n);
  const m = new AccuracyMeter();
  m.add(z, z, z, z, a, b, n);
  assert.ok(Math.abs(m.psnr! - 10 * Math.log10((255 * 255) / 25)) < 1e-9);
  const same = new AccuracyMeter();
  same.add(z, z, z, z, a, a, n);
  assert.equal(same.psnr, 100, 'identical frames: the cap');
  assert.equal(colorfulness(a, n), 0, 'gray has no colourfulness');
  const red = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) red[3 * i] = 200;
  // rg = 200, yb = 100, no spread: M = 0.3 * sqrt(200^2 + 100^2).
  assert.ok(Math.abs(colorfulness(red, n) - 0.3 * Math.hypot(200, 100)) < 1e-9);
});

test('rgbToLabPlanes matches the reference conversion', () => {
  const lab = allocLab(4, 1);
  const rgb = Uint8Array.from([0, 0, 0, 255, 255, 255, 200, 30, 60, 12, 140, 240]);
  rgbToLabPlanes(rgb, lab);
  for (let i = 0; i < 4; i++) {
    const [L, a, b] = srgbToLab(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
    assert.ok(Math.abs(lab.L[i] - L) < 1e-3 && Math.abs(lab.a[i] - a) < 1e-3 && Math.abs(lab.b[i] - b) < 1e-3, `pixel ${i}`);
  }
  assert.deepEqual(metricSize(640, 360, 320), { width: 320, height: 180 });
  assert.deepEqual(metricSize(200, 100, 320), { width: 200, height: 100 });
  assert.deepEqual(metricSize(640, 360, 0), { width: 640, height: 360 });
});

// ---- files and the CLI ------------------------------------------------------------------------

let dir = '';
let clip = '', gray = '', still = '', shortClip = '', notVideo = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chroma-metrics-'));
  clip = join(dir, 'clip.mkv');
  gray = join(dir, 'gray.mkv');
  still = join(dir, 'still.mkv');
  shortClip = join(dir, 'short.mkv');
  notVideo = join(dir, 'notes.mp4');
  const ff = (args: string[]) => run(FFMPEG, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
  // Lossless (FFV1) so a static clip decodes to identical frames.
  await ff(['-f', 'lavfi', '-i', 'testsrc2=size=128x96:rate=10', '-frames:v', '8', '-c:v', 'ffv1', clip]);
  await ff(['-i', clip, '-vf', 'hue=s=0', '-c:v', 'ffv1', gray]);
  await ff(['-f', 'lavfi', '-i', 'testsrc2=size=128x96:rate=10,trim=end_frame=1,loop=loop=5:size=1', '-c:v', 'ffv1', still]);
  await ff(['-i', clip, '-frames:v', '5', '-c:v', 'ffv1', shortClip]);
  writeFileSync(notVideo, 'not a video');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('measureVideo: a clip against itself, a static clip, and a gray version', async () => {
  const self = await measureVideo(clip, clip);
  assert.equal(self.frames, 8);
  assert.equal(self.width, 128);
  assert.equal(self.accuracy!.auc, 100);
  assert.equal(self.accuracy!.aucBalanced, 100);
  assert.equal(self.accuracy!.psnr, 100);
  assert.equal(self.accuracy!.flickerRatio, 1);
  assert.equal(self.accuracy!.colorfulnessRatio, 1);
  assert.deepEqual(self.video, self.reference);

  const st = await measureVideo(still);
  assert.equal(st.frames, 6);
  assert.equal(st.video.flicker, 0);
  assert.equal(st.video.cdc, 0);
  assert.equal(st.reference, null);
  assert.equal(st.accuracy, null);

  const g = await measureVideo(gray, clip, { longSide: 64 });
  assert.equal(g.width, 64);
  assert.equal(g.height, 48);
  assert.ok(g.accuracy!.colorfulnessRatio! < 0.05, `gray colourfulness ratio ${g.accuracy!.colorfulnessRatio}`);
  assert.ok(g.accuracy!.auc < 90 && g.accuracy!.aucBalanced < 90, `gray loses accuracy (AuC ${g.accuracy!.auc}, balanced ${g.accuracy!.aucBalanced})`);
  assert.ok(g.accuracy!.psnr < self.accuracy!.psnr);
  assert.ok(g.video.flicker! < 0.5, 'gray does not flicker');

  const short = await measureVideo(shortClip, clip);
  assert.equal(short.frames, 5);
  assert.ok(short.notes.some((n) => /different lengths/.test(n)));
});

test('metrics CLI: table, --json, and exit codes', async () => {
  let out = '', err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
  assert.equal(await runMetricsCommand([clip, '--original', clip, '--json'], io), 0);
  const m = JSON.parse(out);
  assert.equal(m.accuracy.auc, 100);
  assert.equal(typeof m.video.flicker, 'number');

  out = '';
  assert.equal(await runMetricsCommand([clip, '-r', gray, '--frames', '4'], io), 0);
  assert.match(out, /flicker \(Lab ab\)/);
  assert.match(out, /AuC class-balanced/);
  assert.match(out, /4 frames at 128x96/);
  assert.equal(formatMetrics(JSON.parse(JSON.stringify(m))).includes('ratio'), true);

  out = '';
  err = '';
  assert.equal(await runMetricsCommand([], io), 2);
  assert.equal(await runMetricsCommand([clip, '--bogus'], io), 2);
  assert.equal(await runMetricsCommand([clip, '--size', 'x'], io), 2);
  assert.equal(await runMetricsCommand([join(dir, 'missing.mp4')], io), 3);
  assert.equal(await runMetricsCommand([notVideo], io), 3);
  assert.equal(await runMetricsCommand([clip, '--original', notVideo, '--json'], io), 3);
  assert.match(out, /"exitCode":3/);
  assert.match(err, /not a readable media file/);
  out = '';
  assert.equal(await runMetricsCommand(['--help'], io), 0);
  assert.match(out, /Usage: chroma metrics/);
});

test('measureVideo refuses clips of different aspect ratios', async () => {
  const wide = join(dir, 'wide.mkv');
  await run(FFMPEG, ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=10', '-frames:v', '3', '-c:v', 'ffv1', wide]);
  await assert.rejects(measureVideo(wide, clip), (e: Error & { exitCode?: number }) => e.exitCode === 3 && /aspect/.test(e.message));
});
