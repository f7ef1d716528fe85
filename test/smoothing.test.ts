import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, from, lastValueFrom, toArray } from 'rxjs';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';

import { smoothAb } from '../src/operators/smooth-ab.js';
import { AbSmoother } from '../src/smoothing/smoother.js';
import {
  parseSmoothOption, smoothingAlpha, SMOOTH_PRESETS, DEFAULT_VIDEO_SMOOTH, DEFAULT_STILL_SMOOTH, type SmoothOptions,
} from '../src/smoothing/options.js';
import { FlickerMeter } from '../src/metrics/flicker.js';
import { PlaneResampler } from '../src/color/resample.js';
import { ChromaError } from '../src/core/errors.js';
import { StageTimer } from '../src/core/stage-timer.js';
import type { AbFrame, RawFrame } from '../src/core/frames.js';
import { rng, gauss, valueNoise } from './helpers/synthetic.js';

// ---- a synthetic clip with known motion -------------------------------------------------------
// A bright, lightly textured square (true colour FG) translates `speed` model pixels a frame over a
// static textured background (true colour BG). Model planes are 4x the ab planes, as with the real
// networks; the true ab of a boundary cell is the coverage-weighted mix, like a model's output.

const texture = (x: number, y: number, seed: number) => (valueNoise(x / 12, y / 12, seed) - 0.5) * 16 + (valueNoise(x / 5, y / 5, seed + 1) - 0.5) * 8;

const BG: readonly [number, number] = [-20, 30];
const FG: readonly [number, number] = [60, 40];
const AB_W = 48, AB_H = 32, M_W = AB_W * 4, M_H = AB_H * 4, N = AB_W * AB_H;
const SQ = 32;

interface ClipOptions {
  frames?: number;
  /** Model pixels per frame. */
  speed?: number;
  /** Per-pixel prediction noise (std, ab units). */
  noise?: number;
  /** Per-frame global colour shift (std, ab units). */
  jitter?: number;
  seed?: number;
  /** Background mean L (a different value makes a different scene). */
  bgL?: number;
  bgSeed?: number;
  firstIndex?: number;
  /** Per-frame global L offset (std, L units): the exposure flicker of old film. */
  exposure?: number;
  /** Background texture contrast (default 1). */
  contrast?: number;
  /** The square's mean L (default 85: far from the background's 40). */
  fgL?: number;
}
interface Clip {
  frames: AbFrame[];
  truth: Float32Array[];
  /** The square's left model x per frame. */
  x: number[];
}

function makeClip(o: ClipOptions = {}): Clip {
  const T = o.frames ?? 20, speed = o.speed ?? 4;
  const r = rng(o.seed ?? 1);
  const down = new PlaneResampler(M_W, M_H, AB_W, AB_H);
  const cover = new Float32Array(M_W * M_H), coverAb = new Float32Array(N);
  const clip: Clip = { frames: [], truth: [], x: [] };
  const y0 = M_H / 2 - SQ / 2;
  for (let t = 0; t < T; t++) {
    const x0 = 8 + t * speed;
    clip.x.push(x0);
    const L = new Float32Array(M_W * M_H);
    const dl = (o.exposure ?? 0) * gauss(r);
    for (let y = 0; y < M_H; y++) {
      for (let x = 0; x < M_W; x++) {
        const inside = x >= x0 && x < x0 + SQ && y >= y0 && y < y0 + SQ;
        cover[y * M_W + x] = inside ? 1 : 0;
        L[y * M_W + x] = dl + (inside ? (o.fgL ?? 85) + 0.5 * texture(x - x0, y - y0, 99) : (o.bgL ?? 40) + (o.contrast ?? 1) * texture(x, y, o.bgSeed ?? 7));
      }
    }
    down.run(cover, coverAb);
    const truth = new Float32Array(2 * N), ab = new Float32Array(2 * N);
    const ja = (o.jitter ?? 0) * gauss(r), jb = (o.jitter ?? 0) * gauss(r);
    for (let i = 0; i < N; i++) {
      const c = coverAb[i];
      truth[i] = BG[0] * (1 - c) + FG[0] * c;
      truth[N + i] = BG[1] * (1 - c) + FG[1] * c;
      ab[i] = truth[i] + ja + (o.noise ?? 0) * gauss(r);
      ab[N + i] = truth[N + i] + jb + (o.noise ?? 0) * gauss(r);
    }
    clip.truth.push(truth);
    clip.frames.push({
      index: (o.firstIndex ?? 0) + t, pts: t / 25, width: M_W, height: M_H, rgb: Buffer.alloc(0), L, gray: true,
      modelWidth: M_W, modelHeight: M_H, modelInput: new Float32Array(0), modelL: L, abWidth: AB_W, abHeight: AB_H, ab,
    });
  }
  return clip;
}

/** Run frames through a smoother; returns copies of the emitted ab planes, in order. */
function smoothAll(frames: AbFrame[], opts: SmoothOptions): Float32Array[] {
  const s = new AbSmoother(opts);
  const out: Float32Array[] = [];
  for (const f of frames) s.push(f, (g) => out.push(Float32Array.from(g.ab)));
  s.flush((g) => out.push(Float32Array.from(g.ab)));
  return out;
}

/**
 * Flicker along the known motion at ab resolution, with the metrics module's FlickerMeter: the
 * background does not move, the square moves `speed / 4` cells; cells on the square's boundary in
 * either frame are left out (the occlusion mask).
 */
function knownMotionFlicker(ab: Float32Array[], clip: Clip): number {
  const meter = new FlickerMeter(AB_W, AB_H);
  const back = new Float32Array(2 * N), mask = new Uint8Array(N);
  const y0 = (M_H / 2 - SQ / 2) / 4, size = SQ / 4;
  for (let t = 1; t < ab.length; t++) {
    const xa = clip.x[t - 1] / 4, xb = clip.x[t] / 4;
    for (let y = 0; y < AB_H; y++) {
      for (let x = 0; x < AB_W; x++) {
        const i = y * AB_W + x;
        const near = (sx: number) => x >= Math.floor(sx) - 1 && x <= Math.ceil(sx + size) && y >= y0 - 1 && y <= y0 + size;
        const inside = x >= Math.ceil(xb) + 1 && x < Math.floor(xb + size) - 1 && y > y0 && y < y0 + size - 1;
        back[i] = inside ? xa - xb : 0;
        back[N + i] = 0;
        mask[i] = inside || (!near(xa) && !near(xb)) ? 1 : 0;
      }
    }
    const a = ab[t - 1], b = ab[t];
    meter.addPair(a.subarray(0, N), a.subarray(N), b.subarray(0, N), b.subarray(N), back, mask);
  }
  return meter.value!;
}

const rawOf = (clip: Clip) => clip.frames.map((f) => Float32Array.from(f.ab));

// ---- options ----------------------------------------------------------------------------------

test('parseSmoothOption: presets, numbers, and usage errors', () => {
  assert.equal(parseSmoothOption('off'), 0);
  assert.equal(parseSmoothOption('low'), SMOOTH_PRESETS.low);
  assert.equal(parseSmoothOption('Medium'), SMOOTH_PRESETS.medium);
  assert.equal(parseSmoothOption('high'), SMOOTH_PRESETS.high);
  assert.equal(parseSmoothOption('0.3'), 0.3);
  assert.equal(parseSmoothOption('0'), 0);
  assert.ok(parseSmoothOption('1') <= 0.97 && parseSmoothOption('1') > 0.9);
  for (const bad of ['', 'max', '-0.1', '1.5', 'NaN', '0.5x', 'constructor', 'toString']) {
    assert.throws(() => parseSmoothOption(bad), (e: unknown) => e instanceof ChromaError && e.exitCode === 2, bad);
  }
  assert.equal(DEFAULT_VIDEO_SMOOTH, 'medium');
  assert.equal(DEFAULT_STILL_SMOOTH, 'off');
  assert.ok(SMOOTH_PRESETS.low < SMOOTH_PRESETS.medium && SMOOTH_PRESETS.medium < SMOOTH_PRESETS.high);
  assert.equal(smoothingAlpha('off'), 0);
  assert.throws(() => smoothingAlpha('bogus' as never), RangeError);
});

// ---- flicker ----------------------------------------------------------------------------------

test('smoothing cuts injected colour flicker by >= 3x at medium (causal and look-ahead, flow and gate)', () => {
  for (const mode of ['causal', 'lookahead'] as const) {
    for (const motion of ['flow', 'gate'] as const) {
      const clip = makeClip({ frames: 24, noise: 4, jitter: 6, seed: 3 });
      const before = knownMotionFlicker(rawOf(clip), clip);
      const after = knownMotionFlicker(smoothAll(clip.frames, { mode, motion, strength: 'medium' }), clip);
      assert.ok(before / after >= 3, `${mode}/${motion}: flicker ${before.toFixed(2)} -> ${after.toFixed(2)} (x${(before / after).toFixed(2)})`);
    }
  }
  // Stronger settings smooth more; look-ahead beats causal at the same strength.
  const clip = () => makeClip({ frames: 24, noise: 4, jitter: 6, seed: 3 });
  const fl = (o: SmoothOptions) => { const k = clip(); return knownMotionFlicker(smoothAll(k.frames, o), k); };
  const low = fl({ strength: 'low' }), high = fl({ strength: 'high' });
  assert.ok(high < low, `high ${high} < low ${low}`);
  assert.ok(fl({ mode: 'lookahead' }) < fl({ mode: 'causal' }));
});

test('exposure flicker of the L (old film) does not stop the smoothing or fake cuts', () => {
  const cuts: number[] = [];
  const clip = makeClip({ frames: 24, noise: 4, jitter: 6, seed: 3, exposure: 3 });
  const before = knownMotionFlicker(rawOf(clip), clip);
  const after = knownMotionFlicker(smoothAll(clip.frames, { strength: 'medium', onCut: (i) => cuts.push(i) }), clip);
  assert.ok(before / after >= 3, `flicker ${before.toFixed(2)} -> ${after.toFixed(2)}`);
  assert.deepEqual(cuts, []);
});

test('strength 0 (and a runtime strength of 0) passes the predictions through unchanged', () => {
  for (const mode of ['causal', 'lookahead'] as const) {
    const clip = makeClip({ frames: 8, noise: 4, seed: 5 });
    const raw = rawOf(clip);
    const out = smoothAll(clip.frames, { mode, strength: 0 });
    out.forEach((o, t) => assert.deepEqual(o, raw[t], `${mode} frame ${t}`));
  }
});

test('strength can change at runtime (a function read per frame)', () => {
  let strength = 0;
  const clip = makeClip({ frames: 12, noise: 5, seed: 11 });
  const raw = rawOf(clip);
  const s = new AbSmoother({ mode: 'causal', strength: () => strength });
  const out: Float32Array[] = [];
  clip.frames.forEach((f, t) => {
    strength = t < 6 ? 0 : 0.9;
    s.push(f, (g) => out.push(Float32Array.from(g.ab)));
  });
  for (let t = 0; t < 6; t++) assert.deepEqual(out[t], raw[t], `frame ${t} with strength 0`);
  const diff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  for (let t = 7; t < 12; t++) assert.ok(diff(out[t], raw[t]) > 1, `frame ${t} smoothed once strength is 0.9`);
});

// ---- scene cuts -------------------------------------------------------------------------------

test('a hard cut resets: the first frame after it is the unsmoothed prediction, exactly', () => {
  for (const mode of ['causal', 'lookahead'] as const) {
    const a = makeClip({ frames: 8, noise: 4, jitter: 5, seed: 21 });
    const b = makeClip({ frames: 8, noise: 4, jitter: 5, seed: 22, bgL: 60, bgSeed: 40, contrast: 3, firstIndex: 8 });
    const frames = [...a.frames, ...b.frames];
    const raw = frames.map((f) => Float32Array.from(f.ab));
    const cuts: number[] = [];
    const out = smoothAll(frames, { mode, strength: 'high', onCut: (i) => cuts.push(i) });
    assert.deepEqual(cuts, [8], `${mode}: one cut, at frame 8`);
    assert.equal(out.length, 16);
    assert.deepEqual(out[8], raw[8], `${mode}: frame 8 equals its prediction`);
    assert.deepEqual(out[0], raw[0], `${mode}: so does the first frame of the stream`);
    assert.notDeepEqual(out[9], raw[9], `${mode}: smoothing resumes after the cut`);
    // No frame mixes across the cut: the first shot alone gives the same output.
    const aAgain = makeClip({ frames: 8, noise: 4, jitter: 5, seed: 21 });
    const alone = smoothAll(aAgain.frames, { mode, strength: 'high' });
    for (let t = 0; t < 8; t++) assert.deepEqual(out[t], alone[t], `${mode}: frame ${t} of the first shot untouched by the second`);
  }
});

test('the cut threshold is configurable', () => {
  const a = makeClip({ frames: 4, seed: 1 });
  const b = makeClip({ frames: 4, seed: 2, bgL: 60, bgSeed: 40, contrast: 3, firstIndex: 4 });
  const cuts: number[] = [];
  smoothAll([...a.frames, ...b.frames], { cutThreshold: 1, onCut: (i) => cuts.push(i) });
  assert.deepEqual(cuts, [], 'threshold 1 never cuts');
  const a2 = makeClip({ frames: 4, seed: 1 });
  const cuts0: number[] = [];
  smoothAll(a2.frames, { cutThreshold: 0, onCut: (i) => cuts0.push(i) });
  assert.deepEqual(cuts0, [1, 2, 3], 'threshold 0 cuts on any histogram change');
});

// ---- moving objects ---------------------------------------------------------------------------

test('a moving object leaves no colour trail', () => {
  for (const mode of ['causal', 'lookahead'] as const) {
    for (const motion of ['flow', 'gate'] as const) {
      // Clean predictions (equal to the truth): any deviation of the output is the filter's doing.
      const clip = makeClip({ frames: 16, speed: 4 });
      const out = smoothAll(clip.frames, { mode, motion, strength: 'high' });
      let worst = 0, where = '';
      for (let t = 1; t < out.length; t++) {
        const x0 = clip.x[t] / 4;
        // Background cells the square covered during the last two frames and no longer covers.
        for (let y = 0; y < AB_H; y++) {
          for (let x = Math.floor(clip.x[t - 1] / 4) - 1; x < Math.floor(x0); x++) {
            if (x < 0) continue;
            const i = y * AB_W + x;
            const e = Math.hypot(out[t][i] - BG[0], out[t][N + i] - BG[1]);
            if (e > worst) {
              worst = e;
              where = `frame ${t} cell (${x}, ${y})`;
            }
          }
        }
      }
      assert.ok(worst < 2, `${mode}/${motion}: background behind the square is ${worst.toFixed(2)} off at ${where}`);
      // And everywhere, the output stays within 2 ab units of the truth.
      for (let t = 0; t < out.length; t++) {
        const e = out[t].reduce((m, v, i) => Math.max(m, Math.abs(v - clip.truth[t][i])), 0);
        assert.ok(e < 2, `${mode}/${motion}: frame ${t} max error ${e.toFixed(2)}`);
      }
    }
  }
  // Without motion handling the same clip does trail: the test can see one.
  const clip = makeClip({ frames: 16, speed: 4 });
  const out = smoothAll(clip.frames, { motion: 'none', strength: 'high', colorThreshold: 0 });
  const e = out[10].reduce((m, v, i) => Math.max(m, Math.abs(v - clip.truth[10][i])), 0);
  assert.ok(e > 20, `a plain EMA trails (max error ${e.toFixed(1)})`);
});

test('an object with the same L as its background: the colour test bounds the trail', () => {
  // L cannot tell the square (L 45) from the background (L 40 +- 12): only the colour test can.
  const worst = (opts: SmoothOptions) => {
    const clip = makeClip({ frames: 16, speed: 4, fgL: 45 });
    const out = smoothAll(clip.frames, { ...opts, strength: 'high' });
    let w = 0;
    for (let t = 1; t < out.length; t++) {
      for (let i = 0; i < N; i++) w = Math.max(w, Math.hypot(out[t][i] - clip.truth[t][i], out[t][N + i] - clip.truth[t][N + i]));
    }
    return w;
  };
  const without = worst({ colorThreshold: 0 });
  for (const mode of ['causal', 'lookahead'] as const) {
    const w = worst({ mode });
    assert.ok(w < 25 && w < without / 3, `${mode}: worst error ${w.toFixed(1)} (without the colour test ${without.toFixed(1)})`);
  }
});

test('colour behind a moving object returns to the background within two frames, even with noisy predictions', () => {
  const clip = makeClip({ frames: 16, speed: 4, noise: 3, jitter: 3, seed: 8 });
  const out = smoothAll(clip.frames, { mode: 'causal', strength: 'high' });
  for (let t = 4; t < 16; t++) {
    // Cells uncovered two frames ago (the square moves one cell a frame).
    const x = Math.floor(clip.x[t - 2] / 4);
    let sa = 0, sb = 0;
    for (let y = 10; y < 22; y++) {
      sa += out[t][y * AB_W + x];
      sb += out[t][N + y * AB_W + x];
    }
    const e = Math.hypot(sa / 12 - BG[0], sb / 12 - BG[1]);
    assert.ok(e < 6, `frame ${t}: column ${x} mean colour is ${e.toFixed(1)} from the background`);
  }
});

// ---- latency and counts -----------------------------------------------------------------------

test('causal mode adds no latency: each frame comes out before the next one goes in', () => {
  const clip = makeClip({ frames: 10, noise: 3 });
  const input = new Subject<AbFrame>();
  const seen: number[] = [];
  let completed = false;
  input.pipe(smoothAb({ mode: 'causal' })).subscribe({ next: (f) => seen.push(f.index), complete: () => (completed = true) });
  clip.frames.forEach((f, t) => {
    input.next(f);
    assert.deepEqual(seen, Array.from({ length: t + 1 }, (_, k) => k), `after pushing frame ${t}`);
  });
  input.complete();
  assert.ok(completed);
  // With a StageTimer the filter's time is charged to 'smooth' (and latency is still zero).
  const timer = new StageTimer();
  const timed = new Subject<AbFrame>();
  let count = 0;
  timed.pipe(smoothAb({ mode: 'causal', timer })).subscribe(() => count++);
  makeClip({ frames: 3 }).frames.forEach((f, t) => {
    timed.next(f);
    assert.equal(count, t + 1);
  });
  assert.equal(timer.totals.get('smooth')?.frames, 3);
});

test('look-ahead emits every frame once, in order, W frames late, and flushes at completion', async () => {
  const W = 4;
  const clip = makeClip({ frames: 11, noise: 3 });
  const input = new Subject<AbFrame>();
  const seen: number[] = [];
  let completed = false;
  input.pipe(smoothAb({ mode: 'lookahead', window: W })).subscribe({ next: (f) => seen.push(f.index), complete: () => (completed = true) });
  clip.frames.forEach((f, t) => {
    input.next(f);
    assert.equal(seen.length, Math.max(0, t + 1 - W), `after pushing frame ${t}`);
  });
  input.complete();
  assert.ok(completed);
  assert.deepEqual(seen, Array.from({ length: 11 }, (_, k) => k));
  // Through from(): the output count equals the input count for any window.
  for (const window of [1, 6, 20]) {
    const c = makeClip({ frames: 9 });
    const out = await lastValueFrom(from(c.frames).pipe(smoothAb({ mode: 'lookahead', window }), toArray()));
    assert.equal(out.length, 9, `window ${window}`);
  }
});

test('a change of frame geometry mid-stream restarts the filter without losing frames', async () => {
  const a = makeClip({ frames: 5, noise: 3 });
  const b = makeClip({ frames: 5, noise: 3, firstIndex: 5 });
  // Shrink the second clip's ab planes (and model planes) by half.
  for (const f of b.frames) {
    const ab = new Float32Array(2 * (AB_W / 2) * (AB_H / 2));
    const modelL = new Float32Array((M_W / 2) * (M_H / 2));
    Object.assign(f, { abWidth: AB_W / 2, abHeight: AB_H / 2, ab, modelWidth: M_W / 2, modelHeight: M_H / 2, modelL });
  }
  for (const mode of ['causal', 'lookahead'] as const) {
    const out = await lastValueFrom(from([...a.frames, ...b.frames]).pipe(smoothAb({ mode }), toArray()));
    assert.deepEqual(out.map((f) => f.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(out[5].ab, new Float32Array(2 * (AB_W / 2) * (AB_H / 2)), `${mode}: first frame of the new geometry passes unchanged`);
  }
});

test('errors from the source pass through', async () => {
  const input = new Subject<AbFrame>();
  let error: unknown = null;
  input.pipe(smoothAb({ mode: 'lookahead' })).subscribe({ error: (e) => (error = e) });
  input.next(makeClip({ frames: 1 }).frames[0]);
  input.error(new Error('boom'));
  assert.equal((error as Error).message, 'boom');
});

// ---- in the real graph ------------------------------------------------------------------------

test('in colorGraph with a fixture model: every frame comes out, in order', async () => {
  const { makeLogitsFixture } = await import('./helpers/model-fixtures.js');
  const { loadModel } = await import('../src/model/load-model.js');
  const { colorGraph } = await import('../src/graph/color-graph.js');
  const dir = mkdtempSync(join(tmpdir(), 'chroma-smooth-'));
  try {
    const path = join(dir, 'fixture.onnx');
    writeFileSync(path, makeLogitsFixture());
    const model = await loadModel(path, { device: 'cpu', threads: 1 });
    try {
      const w = 64, h = 48;
      const frames: RawFrame[] = Array.from({ length: 9 }, (_, i) => {
        const rgb = Buffer.alloc(w * h * 3);
        for (let p = 0; p < w * h; p++) rgb.fill(((p % w) + i * 3) % 256, 3 * p, 3 * p + 3);
        return { index: i, pts: i / 25, width: w, height: h, rgb };
      });
      for (const mode of ['causal', 'lookahead'] as const) {
        const out = await lastValueFrom(from(frames.map((f) => ({ ...f, rgb: Buffer.from(f.rgb) }))).pipe(
          colorGraph(model, { smooth: smoothAb({ mode, window: 3 }), batch: 2 }),
          toArray(),
        ));
        assert.deepEqual(out.map((f) => f.index), [0, 1, 2, 3, 4, 5, 6, 7, 8], mode);
        assert.ok(out.every((f) => f.out.length === w * h * 3));
      }
    } finally {
      await model.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the filter's exact output ----------------------------------------------------------------
// Pinned to the bit: a speed-up of the flow or the warps must not change a single value. The
// digests are those of the straightforward code the speed-ups of issue 25 replaced (13a1fa7), but
// for look-ahead without the consistency check, whose forward flow is now the backward one reversed
// (a change of the algorithm, with its bench/smoothing.ts figures in docs/benchmarks.md). A change
// on purpose changes them, with its smoothing-bench figures.

const digest = (planes: Float32Array[]) => {
  const h = createHash('sha256');
  for (const p of planes) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex').slice(0, 16);
};

const PINNED = {
  causal: '7c04d39ba3f76517',
  causalChecked: '68c5f3e79e0fc1c4',
  lookaheadChecked: '565f2b0f6e083d5b',
  lookahead: '8b65fcb20e6a6d38',
};

test('the smoothed output is pinned to the bit', () => {
  const clip = makeClip({ frames: 12, speed: 3, noise: 6, jitter: 3, exposure: 2, seed: 5 });
  const run = (o: SmoothOptions) => digest(smoothAll(clip.frames.map((f) => ({ ...f, ab: Float32Array.from(f.ab) })), o));
  const got = {
    causal: run({ mode: 'causal' }),
    causalChecked: run({ mode: 'causal', consistencyCheck: true }),
    lookaheadChecked: run({ mode: 'lookahead', consistencyCheck: true }),
    lookahead: run({ mode: 'lookahead' }),
  };
  assert.deepEqual(got, PINNED);
});
