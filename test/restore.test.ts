// The film-repair modules (src/restore/*), one table per module: what each detector finds and
// what each fill leaves, on synthetic planes with known truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRestoreOption, restoresNothing, RESTORE_PRESETS } from '../src/restore/options.js';
import { lumaStats, matchExposure, histogramDistance, SHOT_BINS } from '../src/restore/flicker.js';
import { DustDetector } from '../src/restore/dust.js';
import { ScratchDetector } from '../src/restore/scratches.js';
import { GrainFilter } from '../src/restore/grain.js';
import { inpaintMasked } from '../src/restore/inpaint.js';
import { MotionCompensator } from '../src/restore/motion.js';
import { FilmDamage, seededRandom } from '../src/restore/synthetic-damage.js';
import { psnrL, Ssim } from '../src/metrics/image-quality.js';
import { ChromaError } from '../src/core/errors.js';
import { movingScene, gauss, rng } from './helpers/synthetic.js';

const W = 96, H = 64, N = W * H;
const AUTO = RESTORE_PRESETS.auto;

function meanAbsIn(x: Float32Array, ref: Float32Array, px: number[]): number {
  return px.reduce((s, i) => s + Math.abs(x[i] - ref[i]), 0) / px.length;
}

function disc(L: Float32Array, cx: number, cy: number, r: number, value: number): number[] {
  const px: number[] = [];
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) {
    L[y * W + x] = value;
    px.push(y * W + x);
  }
  return px;
}

test('parseRestoreOption: presets, defect lists, and one clear usage error otherwise', () => {
  const cases: [string, string[] | null][] = [
    ['off', null],
    ['auto', ['flicker', 'dust', 'scratches', 'grain']],
    ['light', ['flicker', 'dust', 'grain']],
    ['strong', ['flicker', 'dust', 'scratches', 'grain']],
    ['dust', ['dust']],
    [' Dust , scratches ', ['dust', 'scratches']],
    ['flicker,grain', ['flicker', 'grain']],
  ];
  for (const [value, on] of cases) {
    const s = parseRestoreOption(value);
    if (on === null) {
      assert.equal(s, null, value);
      assert.ok(restoresNothing(s));
      continue;
    }
    assert.deepEqual((['flicker', 'dust', 'scratches', 'grain'] as const).filter((d) => s![d] !== null), on, value);
  }
  for (const bad of ['', 'dusty', 'dust,,x', 'maximum', 'dust;grain']) {
    assert.throws(() => parseRestoreOption(bad), (e: unknown) => e instanceof ChromaError && e.kind === 'usage' && /--restore/.test(e.message), bad);
  }
});

test('flicker: matchExposure undoes a gain and offset; the standardised histogram ignores them', () => {
  const clean = movingScene(W, H, 0);
  const hist0 = new Float64Array(SHOT_BINS), hist1 = new Float64Array(SHOT_BINS);
  const ref = lumaStats(clean, W, H, hist0, 1);
  for (const [gain, offset] of [[1.08, 5], [0.92, -5], [1, 3], [1.05, -2]]) {
    const L = clean.map((v) => v * gain + offset);
    const own = lumaStats(L, W, H, hist1, 1);
    assert.ok(histogramDistance(hist0, hist1) < 0.02, `histogram moved under gain ${gain}`);
    matchExposure(L, N, own, ref, 1.25);
    assert.ok(psnrL(L, clean) > 60, `gain ${gain} offset ${offset}: ${psnrL(L, clean)}`);
  }
  // A different picture is a different shot.
  lumaStats(movingScene(W, H, 0, 99).map((v, i) => (i % W < W / 2 ? v * 0.3 : v)), W, H, hist1, 1);
  assert.ok(histogramDistance(hist0, hist1) > 0.3);
});

test('dust: blobs that only this frame has are found and filled; motion-like cases are left', () => {
  const cases: { name: string; make: (cur: Float32Array, a: Float32Array, b: Float32Array) => number[]; removed: boolean }[] = [
    { name: 'dark blob', make: (c) => disc(c, 30, 30, 4, 5), removed: true },
    { name: 'bright blob', make: (c) => disc(c, 60, 20, 3, 98), removed: true },
    { name: 'tiny speck', make: (c) => disc(c, 70, 45, 1, 2), removed: true },
    { name: 'larger than dust can be', make: (c) => disc(c, 48, 32, 14, 4), removed: false },
    { name: 'also in both neighbours nearby (moved)', make: (c, a, b) => { disc(a, 24, 30, 4, 5); disc(b, 36, 30, 4, 5); return disc(c, 30, 30, 4, 5); }, removed: false },
    { name: 'neighbours disagree there', make: (c, a) => { disc(a, 30, 30, 5, 95); return disc(c, 30, 30, 4, 5); }, removed: false },
  ];
  const det = new DustDetector(W, H);
  for (const c of cases) {
    const clean = movingScene(W, H, 0);
    const a = clean.slice(), b = clean.slice(), cur = clean.slice();
    const px = c.make(cur, a, b);
    const before = meanAbsIn(cur, clean, px);
    const r = det.repair(cur, a, b, AUTO.dust!);
    const after = meanAbsIn(cur, clean, px);
    assert.equal(after < 0.2 * before, c.removed, `${c.name}: error ${before.toFixed(1)} -> ${after.toFixed(1)} (${r.blobs} blobs, ${r.rejected} rejected)`);
    assert.ok(det.mask.every((m) => m === 0), `${c.name}: mask cleared`);
  }
});

test('scratches: a thin line through many frames is filled; edges and texture are not touched', () => {
  const cases: { name: string; line: { x: number; width: number; contrast: number } | null; edge: boolean; fixed: boolean }[] = [
    { name: 'bright 1 px line', line: { x: 40, width: 1, contrast: 25 }, edge: false, fixed: true },
    { name: 'dark 3 px line', line: { x: 60, width: 3, contrast: -20 }, edge: false, fixed: true },
    { name: 'a vertical edge only', line: null, edge: true, fixed: false },
  ];
  for (const c of cases) {
    const det = new ScratchDetector(W, H, AUTO.scratches!.bandRows);
    let last: { before: number; after: number; pixels: number } = { before: 0, after: 0, pixels: 0 };
    for (let t = 0; t < 4; t++) {
      const clean = movingScene(W, H, t);
      if (c.edge) for (let i = 0; i < N; i++) if (i % W >= 50) clean[i] += 25;
      const L = clean.slice();
      if (c.line) for (let y = 0; y < H; y++) for (let x = c.line.x; x < c.line.x + c.line.width; x++) L[y * W + x] += c.line.contrast;
      const before = psnrL(L, clean);
      const r = det.repair(L, AUTO.scratches!);
      last = { before, after: psnrL(L, clean), pixels: r.pixels };
    }
    if (c.fixed) assert.ok(last.after > last.before + 6, `${c.name}: ${last.before.toFixed(1)} -> ${last.after.toFixed(1)} dB`);
    else assert.equal(last.pixels, 0, `${c.name}: ${last.pixels} pixels changed`);
  }
});

test('scratches: a line that moved with the scene is kept, also where the flow lands off or the previous frame filled it', () => {
  // Frame t shows a bright line at x = 40; the scene moved 8 px since the previous frame. Each
  // neighbour (warped onto t) shows a line at the column given (null: none); `before` is where the
  // previous frame showed one, which the detector saw without neighbours and so filled.
  const cases: { name: string; a: number | null; b: number | null; before: number | null; kept: boolean }[] = [
    { name: 'both neighbours show it in place', a: 40, b: 40, before: null, kept: true },
    { name: 'the flow lands 2 and 3 px off', a: 42, b: 37, before: null, kept: true },
    { name: 'the previous frame filled it where the scene came from', a: null, b: 41, before: 48, kept: true },
    { name: 'the previous frame filled it, the next frame lacks it', a: null, b: null, before: 48, kept: false },
    { name: 'a scratch fixed on the film (neighbours show it 8 px away)', a: 32, b: 32, before: 40, kept: false },
    { name: 'one neighbour only, the other lacks it', a: 40, b: null, before: null, kept: false },
  ];
  // A smooth scene: a lone frame's line stands out on every row (on texture the detector needs a few frames).
  const scene = Float32Array.from({ length: N }, (_, i) => 45 + 8 * Math.sin((i % W) / 11) + 4 * Math.cos(Math.floor(i / W) / 9));
  const withLine = (x: number | null) => {
    const P = scene.slice();
    if (x !== null) for (let y = 0; y < H; y++) P[y * W + x] += 25;
    return P;
  };
  for (const c of cases) {
    const det = new ScratchDetector(W, H, AUTO.scratches!.bandRows);
    if (c.before !== null) det.repair(withLine(c.before), AUTO.scratches!);
    const L = withLine(40);
    const r = det.repair(L, AUTO.scratches!, undefined, { a: withLine(c.a), b: withLine(c.b), shift: () => 8 });
    if (c.kept) assert.equal(r.pixels, 0, `${c.name}: ${r.pixels} pixels changed`);
    else assert.ok(r.pixels >= H && psnrL(L, scene) > 40, `${c.name}: ${r.pixels} pixels, ${psnrL(L, scene).toFixed(1)} dB`);
  }
});

test('grain: the level is measured from the neighbours and the filter brings the frame closer to clean', () => {
  const r = rng(3);
  for (const sigma of [2, 4, 6]) {
    const clean = movingScene(W, H, 0);
    const noisy = () => clean.map((v) => v + sigma * gauss(r));
    const cur = noisy(), a = noisy(), b = noisy();
    const g = new GrainFilter(W, H);
    const level = g.estimate(cur, a, b);
    assert.ok(Math.abs(level - sigma) < 0.25 * sigma, `sigma ${sigma}: measured ${level.toFixed(2)}`);
    const before = psnrL(cur, clean);
    g.apply(cur, a, b, level, 1);
    assert.ok(psnrL(cur, clean) > before + 2, `sigma ${sigma}: ${before.toFixed(1)} -> ${psnrL(cur, clean).toFixed(1)} dB`);
  }
});

test('inpaintMasked: masked pixels become the distance-weighted mean of the nearest clean ones', () => {
  const cases: { vertical: boolean; mask: number[]; expect: number[] }[] = [
    // A row 0 10 [x] [x] 40: left 10 at distance 1 and 2, right 40.
    { vertical: false, mask: [2, 3], expect: [(10 / 1 + 40 / 2) / (1 + 1 / 2), (10 / 2 + 40 / 1) / (1 / 2 + 1)] },
    { vertical: false, mask: [4], expect: [30] },
  ];
  for (const c of cases) {
    const L = Float32Array.from([0, 10, 20, 30, 40]);
    const mask = new Uint8Array(5);
    for (const i of c.mask) mask[i] = 1;
    if (c.mask[0] === 4) L[3] = 30;
    inpaintMasked(L, mask, 5, 1, 1, 8, c.vertical);
    c.mask.forEach((i, k) => assert.ok(Math.abs(L[i] - c.expect[k]) < 1e-4, `pixel ${i}: ${L[i]} vs ${c.expect[k]}`));
  }
});

test('MotionCompensator: the frames either side, warped half the flow between them, match the middle frame', () => {
  const w = 128, h = 96;
  const mc = new MotionCompensator(w, h, { maxSide: 64 });
  const prev = movingScene(w, h, 0), cur = movingScene(w, h, 1), next = movingScene(w, h, 2);
  const lp = new Float32Array(mc.lowWidth * mc.lowHeight), ln = lp.slice();
  mc.reduce(prev, lp);
  mc.reduce(next, ln);
  mc.estimate(ln, lp);
  const a = new Float32Array(w * h), b = new Float32Array(w * h);
  mc.warp(prev, 0.5, a);
  mc.warp(next, -0.5, b);
  assert.ok(psnrL(a, cur) > psnrL(prev, cur) + 6, `prev: ${psnrL(prev, cur).toFixed(1)} -> ${psnrL(a, cur).toFixed(1)}`);
  assert.ok(psnrL(b, cur) > psnrL(next, cur) + 6, `next: ${psnrL(next, cur).toFixed(1)} -> ${psnrL(b, cur).toFixed(1)}`);
});

test('FilmDamage: deterministic for a seed, within the documented ranges', () => {
  const run = (seed: number) => {
    const gen = new FilmDamage(W, H, { seed });
    return Array.from({ length: 6 }, (_, t) => {
      const L = movingScene(W, H, t);
      const truth = gen.apply(L);
      return { L, truth };
    });
  };
  const a = run(4), b = run(4), c = run(5);
  assert.deepEqual(a.map((f) => Array.from(f.L.slice(0, 50))), b.map((f) => Array.from(f.L.slice(0, 50))));
  assert.notDeepEqual(a.map((f) => f.truth.gain), c.map((f) => f.truth.gain));
  for (const { L, truth } of a) {
    assert.ok(Math.abs(truth.gain - 1) <= 0.08 && Math.abs(truth.offset) <= 5);
    assert.ok(L.every((v) => v >= 0 && v <= 100));
    for (const px of truth.blobs) assert.ok(px.length >= 1 && px.length <= 16 * 16, `blob of ${px.length} px`);
  }
  const only = new FilmDamage(W, H, { dust: false, scratches: false, grain: false, flicker: false });
  const L = movingScene(W, H, 0);
  only.apply(L);
  assert.deepEqual(L, movingScene(W, H, 0));
  assert.ok(seededRandom(1)() !== seededRandom(2)());
});

test('psnrL and Ssim: identical planes, known errors, and order', () => {
  const ref = movingScene(W, H, 0);
  assert.equal(psnrL(ref, ref), Infinity);
  assert.ok(Math.abs(psnrL(ref.map((v) => v + 1), ref) - 40) < 1e-6);
  const ssim = new Ssim(W, H);
  assert.ok(Math.abs(ssim.measure(ref, ref) - 1) < 1e-9);
  const r = rng(1);
  const small = ref.map((v) => v + gauss(r)), large = ref.map((v) => v + 6 * gauss(r));
  assert.ok(ssim.measure(small, ref) > ssim.measure(large, ref));
  assert.ok(ssim.measure(large, ref) < 0.9);
});
