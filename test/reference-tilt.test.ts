import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_FLOOR, MIN_CHROMATIC_SHARE, NEUTRAL_CHROMA, TILT_GAIN, TILT_LACK, applyTilt, isNeutralBin, referenceHistogram,
  referenceHistogramFromRgb, referencePalette, referencePaletteFromRgb, referenceTilt, smoothHistogram, type ReferencePalette,
} from '../src/hints/reference-tilt.js';
import { trainingPrior } from '../src/jobs/job-reference.js';
import { AB_BINS_313, Q } from '../src/color/ab-bins.js';
import { annealedMean } from '../src/color/annealed-mean.js';
import { DEFAULT_TEMPERATURE } from '../src/core/defaults.js';
import { hexToAb } from '../src/hints/hints-file.js';
import { srgbToLab } from '../src/color/lab.js';
import { abClass } from '../src/metrics/accuracy.js';

const uniform = new Float32Array(Q).fill(1 / Q);
const binOf = (a: number, b: number) => {
  for (let q = 0; q < Q; q++) if (AB_BINS_313[2 * q] === a && AB_BINS_313[2 * q + 1] === b) return q;
  throw new Error(`no bin at ${a}, ${b}`);
};
/** n samples of one colour, interleaved a, b. */
const solid = (a: number, b: number, n = 500) => Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? b : a));
/** n samples split between colours: [a, b, share] each. */
const mixture = (parts: [number, number, number][], n = 1000) => {
  const out: number[] = [];
  for (const [a, b, share] of parts) for (let k = 0; k < Math.round(share * n); k++) out.push(a, b);
  return Float32Array.from(out);
};

test('smoothing spreads mass by a Gaussian of sigma 5 over the bin centres, sums to 1', () => {
  const one = new Float64Array(Q);
  const c = binOf(20, -30);
  one[c] = 7;
  const s = smoothHistogram(one);
  assert.ok(Math.abs(s.reduce((x, y) => x + y, 0) - 1) < 1e-12);
  // a neighbour 10 away gets exp(-100 / 50) of the centre, a diagonal one exp(-200 / 50)
  const cases: [number, number, number][] = [[30, -30, Math.exp(-2)], [20, -20, Math.exp(-2)], [30, -20, Math.exp(-4)], [40, -30, Math.exp(-8)]];
  for (const [a, b, ratio] of cases) assert.ok(Math.abs(s[binOf(a, b)] / s[c] - ratio) < 1e-9, `(${a}, ${b})`);
  assert.throws(() => smoothHistogram(new Float64Array(10)), /313 bins/);
});

test('the reference histogram accepts interleaved pairs and a, b planes alike', () => {
  const a = Float32Array.from([10, 12, -40, 80]), b = Float32Array.from([-30, -28, 5, 60]);
  const pairs = Float32Array.from([10, -30, 12, -28, -40, 5, 80, 60]);
  assert.deepEqual(referenceHistogram(pairs), referenceHistogram({ a, b }));
  const h = referenceHistogram(pairs);
  assert.ok(h[binOf(10, -30)] > h[binOf(-40, 0)] && h[binOf(-40, 0)] > 0, 'twice the mass where two samples fell');
  assert.throws(() => referenceHistogram({ a, b: b.subarray(1) }), /differ in length/);
});

test('a decoded photograph (rgb24) gives the histogram of its Lab ab', () => {
  const cases: [number, number, number][][] = [[[178, 34, 34]], [[46, 125, 50], [200, 200, 30], [10, 10, 10]]];
  for (const colours of cases) {
    const rgb = Uint8Array.from(colours.flatMap((c) => [...c, ...c, ...c])); // each colour on 3 pixels
    const ab = Float32Array.from(colours.flatMap((c) => { const [, a, b] = srgbToLab(...c); return [a, b, a, b, a, b]; }));
    assert.deepEqual(referenceHistogramFromRgb(rgb, rgb.length / 3), referenceHistogram(ab), JSON.stringify(colours));
  }
  assert.throws(() => referenceHistogramFromRgb(new Uint8Array(5), 2), /needs 6 bytes/);
});

test('the tilt: the palette\'s log ratio over the chromatic bins, bounded; the neutral bins never raised; strength 0 is no tilt', () => {
  // a prior like a photo collection's: mostly near gray, a little of everything (no bin empty)
  const prior = smoothHistogram(Float64Array.from({ length: Q }, (_, q) => Math.exp(-Math.hypot(AB_BINS_313[2 * q], AB_BINS_313[2 * q + 1]) / 8) + 1e-6));
  let np = 0;
  for (let q = 0; q < Q; q++) if (isNeutralBin(q)) np += prior[q];
  const cases: { name: string; ref: ReferencePalette; strength: number; prior: ArrayLike<number>; lack?: number }[] = [
    { name: 'one colour, uniform prior', ref: referencePalette(solid(30, 40)), strength: 0.7, prior: uniform },
    { name: 'one colour, full strength', ref: referencePalette(solid(30, 40)), strength: 1, prior: uniform },
    { name: 'one colour, gray prior', ref: referencePalette(solid(30, 40)), strength: 0.3, prior },
    { name: '90 % gray + 10 % red, gray prior', ref: referencePalette(mixture([[0, 0, 0.9], [60, 45, 0.1]])), strength: 0.7, prior },
    { name: '2 % red (palette scaled down)', ref: referencePalette(mixture([[3, -2, 0.98], [60, 45, 0.02]])), strength: 0.7, prior },
    { name: 'all gray', ref: referencePalette(solid(2, -3)), strength: 0.7, prior },
    { name: 'one colour, lack ln 3', ref: referencePalette(solid(30, 40)), strength: 0.7, prior, lack: Math.log(3) },
    { name: '90 % gray + 10 % red, lack 1', ref: referencePalette(mixture([[0, 0, 0.9], [60, 45, 0.1]])), strength: 1, prior, lack: 1 },
  ];
  for (const { name, ref, strength, prior: p, lack = TILT_LACK } of cases) {
    const t = referenceTilt(ref, p, { strength, lack });
    let sr = 0, sp = 0, spn = 0;
    for (let q = 0; q < Q; q++) { sp += p[q]; if (isNeutralBin(q)) spn += p[q]; else sr += ref.chromatic[q]; }
    const w = sr > 0 ? Math.min(1, (1 - ref.neutral) / MIN_CHROMATIC_SHARE) : 0;
    const neutral = ref.neutral > 0 ? strength * Math.max(-lack, Math.min(0, Math.log(ref.neutral / (spn / sp)))) : -strength * lack;
    for (let q = 0; q < Q; q++) {
      assert.ok(t[q] >= -strength * lack - 1e-6 && t[q] <= strength * TILT_GAIN + 1e-6, `${name} bin ${q}: ${t[q]} outside the bounds`);
      const ratio = Math.log(Math.max(ref.chromatic[q] / sr, DEFAULT_FLOOR)) - Math.log(Math.max(p[q] / (sp - spn), DEFAULT_FLOOR));
      const want = isNeutralBin(q) ? neutral : w === 0 ? 0 : strength * w * Math.max(-lack, Math.min(TILT_GAIN, ratio));
      assert.ok(Math.abs(t[q] - want) < 1e-5, `${name} bin ${q}: ${t[q]} vs ${want}`);
    }
  }
  // the palette does not depend on how much gray surrounds it; only the neutral bins do, and only
  // downwards (with a lack above 0: by default nothing is lowered)
  const red = referencePalette(solid(60, 45)), grayRed = referencePalette(mixture([[0, 0, 0.9], [60, 45, 0.1]]));
  const tr = referenceTilt(red, prior, { lack: 1 }), tg = referenceTilt(grayRed, prior, { lack: 1 });
  for (let q = 0; q < Q; q++) {
    if (isNeutralBin(q)) assert.ok(tg[q] === 0 && tr[q] < 0, `neutral bin ${q}: ${tg[q]} (90 % gray), ${tr[q]} (no gray)`);
    else assert.ok(Math.abs(tr[q] - tg[q]) < 1e-6, `chromatic bin ${q}: ${tr[q]} vs ${tg[q]}`);
  }
  assert.ok(np < 0.9, 'the test prior is less gray than the 90 % gray reference');
  assert.ok(referenceTilt(red, uniform, { strength: 0 }).every((v) => v === 0));
  // an unnormalised prior is the same prior; a plain histogram is split by bin
  const scaled = Float32Array.from(uniform, (v) => v * 42);
  assert.deepEqual(referenceTilt(red, scaled), referenceTilt(red, uniform));
  assert.ok(referenceTilt(grayRed, prior).every((v) => v >= 0), 'by default the tilt lowers no bin');
  assert.throws(() => referenceTilt(red, uniform, { strength: 1.5 }), /strength must be 0\.\.1/);
  assert.throws(() => referenceTilt(red, uniform, { floor: 0 }), /floor must be/);
  assert.throws(() => referenceTilt(red, uniform, { lack: -1 }), /lack and gain/);
  assert.throws(() => referenceTilt(red, new Float32Array(Q)), /prior must have mass/);
  assert.throws(() => referenceTilt({ neutral: 1.5, chromatic: new Float64Array(Q) }, uniform), /neutral share/);
  assert.throws(() => referencePalette(new Float32Array(0)), /at least one sample/);
});

test('a one-colour reference pulls the annealed mean of flat logits towards that colour, the more the stronger', () => {
  const hw = 6, batch = 2;
  const colours: [string, [number, number]][] = [['green', hexToAb('#2e7d32')!], ['red', hexToAb('#b22222')!], ['blue', [-10, -45]]];
  let ca = 0, cb = 0; // the annealed mean of a flat distribution: the bins' centroid
  for (let q = 0; q < Q; q++) { ca += AB_BINS_313[2 * q] / Q; cb += AB_BINS_313[2 * q + 1] / Q; }
  for (const [name, [ra, rb]] of colours) {
    const ref = referencePalette(solid(ra, rb));
    const home = abClass(ra, rb);
    let lastMass = 0, dist0 = NaN;
    for (const strength of [0, 0.3, 0.7, 1]) {
      const logits = new Float32Array(batch * Q * hw); // flat: every bin equally likely
      const tilt = referenceTilt(ref, uniform, { strength });
      applyTilt(logits, batch, hw, tilt);
      const ab = new Float32Array(batch * 2 * hw);
      annealedMean(logits, batch, hw, DEFAULT_TEMPERATURE, ab);
      for (let n = 0; n < batch; n++) {
        for (let p = 0; p < hw; p++) {
          const a = ab[n * 2 * hw + p], b = ab[n * 2 * hw + hw + p];
          assert.ok(Math.abs(a - ab[0]) < 1e-4 && Math.abs(b - ab[hw]) < 1e-4, `${name}: every pixel alike`);
        }
      }
      // the annealed distribution's mass on the reference's own bin grows with the strength
      let z = 0;
      for (let q = 0; q < Q; q++) z += Math.exp(tilt[q] / DEFAULT_TEMPERATURE);
      const mass = Math.exp(tilt[home] / DEFAULT_TEMPERATURE) / z;
      const dist = Math.hypot(ab[0] - ra, ab[hw] - rb);
      if (strength === 0) {
        assert.ok(Math.abs(ab[0] - ca) < 1e-3 && Math.abs(ab[hw] - cb) < 1e-3, `${name}: strength 0 changes nothing`);
        assert.ok(dist > 30, `${name}: the untilted mean is far from the reference (${dist.toFixed(1)})`);
        dist0 = dist;
      } else {
        assert.ok(mass > lastMass, `${name}: strength ${strength} puts more mass on the reference's bin (${mass} vs ${lastMass})`);
        // The log ratio is bounded (TILT_GAIN; TILT_LACK 0: the other bins are not lowered), so a weak
        // tilt moves a flat distribution, the hardest case, only part of the way; 0.7 most of it,
        // 1 to within a bin.
        if (strength < 0.5) assert.ok(dist < 0.9 * dist0, `${name}: strength ${strength} moves the mean towards the reference (${dist.toFixed(2)} vs ${dist0.toFixed(2)})`);
        else if (strength < 1) assert.ok(dist < 0.35 * dist0, `${name}: strength ${strength} moves the mean most of the way (${dist.toFixed(2)} vs ${dist0.toFixed(2)})`);
        else assert.ok(dist < 7, `${name}: strength ${strength} brings the mean within a bin of the reference (${dist.toFixed(2)})`);
      }
      lastMass = mass;
    }
  }
});

// A pixel's logits: log of a mixture of a hue (Gaussian of 12 ab units around `centre`, share
// `share`) and the gray the model hedges with (Gaussian of 8 around 0, 0), as the model's
// distributions look where it is unsure how colourful a surface is.
const pixelLogits = (centre: readonly [number, number], share: number) => Float32Array.from({ length: Q }, (_, q) => {
  const a = AB_BINS_313[2 * q], b = AB_BINS_313[2 * q + 1];
  const g = (x: number, y: number, s: number) => Math.exp(-((a - x) ** 2 + (b - y) ** 2) / (2 * s * s));
  return Math.log(share * g(centre[0], centre[1], 12) + (1 - share) * g(0, 0, 8) + 1e-6);
});
/** Annealed-mean ab of one pixel's logits, with a tilt added (or none). */
const decode = (logits: Float32Array, tilt: ArrayLike<number> | null): [number, number] => {
  const l = logits.slice();
  if (tilt) applyTilt(l, 1, 1, tilt);
  const ab = new Float32Array(2);
  annealedMean(l, 1, 1, DEFAULT_TEMPERATURE, ab);
  return [ab[0], ab[1]];
};
/** The tilt as it was before the palette split: alpha * (ln max(h_ref, 1e-4) - ln max(h_prior, 1e-4)), unbounded. */
const oldTilt = (hist: ArrayLike<number>, prior: ArrayLike<number>, strength = 0.7) =>
  Float32Array.from({ length: Q }, (_, q) => strength * (Math.log(Math.max(hist[q], DEFAULT_FLOOR)) - Math.log(Math.max(prior[q], DEFAULT_FLOOR))));

const BLUE: [number, number] = [-5, -45], GREEN: [number, number] = [-45, 40], RED: [number, number] = [60, 45];
const GRAY = (n: number): [number, number, number] => [1, -2, n];

test('a mostly gray reference does not drain a saturated pixel of a hue it lacks (training prior, strength 0.7)', () => {
  const prior = trainingPrior();
  // keep: the least share of the untilted chroma the new tilt must leave; old: the most the old one
  // left, to show each case is one the old tilt failed.
  const cases: { ref: string; samples: Float32Array; pixel: string; centre: [number, number]; share: number; keep: number; old: number }[] = [
    { ref: '90 % gray + 10 % red', samples: mixture([GRAY(0.9), [...RED, 0.1]]), pixel: 'blue', centre: BLUE, share: 0.7, keep: 0.95, old: 0.7 },
    { ref: '90 % gray + 10 % red', samples: mixture([GRAY(0.9), [...RED, 0.1]]), pixel: 'green', centre: GREEN, share: 0.7, keep: 0.95, old: 0.75 },
    { ref: '90 % gray + 10 % red', samples: mixture([GRAY(0.9), [...RED, 0.1]]), pixel: 'blue, hesitant', centre: BLUE, share: 0.5, keep: 0.95, old: 0.25 },
    { ref: 'all gray', samples: solid(1, -2), pixel: 'blue', centre: BLUE, share: 0.7, keep: 0.95, old: 0.6 },
    { ref: 'all gray', samples: solid(1, -2), pixel: 'red, hesitant', centre: RED, share: 0.5, keep: 0.95, old: 0.1 },
    { ref: 'gray, faint warm and cool tints', samples: mixture([[5, 8, 0.5], [-3, -6, 0.5]]), pixel: 'green', centre: GREEN, share: 0.7, keep: 0.95, old: 0.9 },
    { ref: 'gray, faint warm and cool tints', samples: mixture([[5, 8, 0.5], [-3, -6, 0.5]]), pixel: 'red, hesitant', centre: RED, share: 0.5, keep: 0.95, old: 0.2 },
  ];
  for (const c of cases) {
    const logits = pixelLogits(c.centre, c.share);
    const c0 = Math.hypot(...decode(logits, null));
    const now = Math.hypot(...decode(logits, referenceTilt(referencePalette(c.samples), prior))) / c0;
    // the old tilt took the whole histogram, gray and all
    const before = Math.hypot(...decode(logits, oldTilt(referenceHistogram(c.samples), prior))) / c0;
    const what = `${c.ref}, ${c.pixel} pixel (chroma ${c0.toFixed(1)})`;
    assert.ok(c0 > 20, `${what}: a colourful pixel to start with`);
    assert.ok(before < c.old, `${what}: the old tilt drained it (kept ${before.toFixed(2)})`);
    assert.ok(now >= c.keep, `${what}: keeps ${now.toFixed(2)} of its chroma, at least ${c.keep}`);
  }
});

test('a mostly gray reference still raises the hues it has: the red of 90 % gray + 10 % red', () => {
  const prior = trainingPrior();
  const tilt = referenceTilt(referencePalette(mixture([GRAY(0.9), [...RED, 0.1]])), prior);
  const redBins = [...Array(Q).keys()].filter((q) => Math.hypot(AB_BINS_313[2 * q] - RED[0], AB_BINS_313[2 * q + 1] - RED[1]) <= 10);
  const annealedMass = (logits: Float32Array, bins: number[]) => {
    let z = 0, m = 0;
    for (let q = 0; q < Q; q++) { const e = Math.exp(logits[q] / DEFAULT_TEMPERATURE); z += e; if (bins.includes(q)) m += e; }
    return m / z;
  };
  // pixels torn between red and another hue, or between red and gray: the tilt moves them to red
  const pixels: { name: string; logits: Float32Array }[] = [
    { name: 'red or blue', logits: Float32Array.from(pixelLogits(RED, 1), (v, q) => Math.log(Math.exp(v) + Math.exp(pixelLogits(BLUE, 1)[q]))) },
    { name: 'red or green', logits: Float32Array.from(pixelLogits(RED, 1), (v, q) => Math.log(Math.exp(v) + Math.exp(pixelLogits(GREEN, 1)[q]))) },
    { name: 'red or gray', logits: pixelLogits(RED, 0.3) },
    { name: 'flat', logits: new Float32Array(Q) },
  ];
  for (const { name, logits } of pixels) {
    const tilted = logits.slice();
    applyTilt(tilted, 1, 1, tilt);
    const m0 = annealedMass(logits, redBins), m1 = annealedMass(tilted, redBins);
    assert.ok(m1 > 2 * m0 && m1 - m0 > 0.1, `${name}: annealed mass on the red bins ${m0.toFixed(3)} -> ${m1.toFixed(3)}`);
    const d0 = Math.hypot(decode(logits, null)[0] - RED[0], decode(logits, null)[1] - RED[1]);
    const d1 = Math.hypot(decode(logits, tilt)[0] - RED[0], decode(logits, tilt)[1] - RED[1]);
    assert.ok(d1 < 0.7 * d0, `${name}: the mean moves towards the red (${d0.toFixed(1)} -> ${d1.toFixed(1)})`);
  }
  for (const q of redBins) assert.ok(tilt[q] > 0, `red bin ${q} raised (${tilt[q]})`);
});

test('a fully neutral reference leaves every pixel\'s chroma as it was, at any strength and lack', () => {
  const prior = trainingPrior();
  // Split by pixel, a photograph with no pixel of chroma NEUTRAL_CHROMA or more has no palette:
  // nothing to steer by, and its gray (more than the prior's) raises nothing. The old tilt took
  // the smoothing's spill round gray for a palette and lowered every hue.
  const refs = [solid(0, 0), mixture([[4, 6, 0.5], [-5, -5, 0.3], [8, -3, 0.2]])];
  const pixels = [BLUE, GREEN, RED].flatMap((c) => [0.5, 0.7, 0.9].map((share) => pixelLogits(c, share)));
  for (const samples of refs) {
    assert.ok(samples.every((_, i) => i % 2 || Math.hypot(samples[i], samples[i + 1]) < NEUTRAL_CHROMA));
    for (const options of [{ strength: 0.3 }, { strength: 0.7 }, { strength: 1 }, { strength: 1, lack: Math.log(3) }]) {
      const tilt = referenceTilt(referencePalette(samples), prior, options);
      assert.ok(tilt.every((v) => v === 0), `${JSON.stringify(options)}: no tilt from a palette without colour`);
      const old = oldTilt(referenceHistogram(samples), prior, options.strength);
      const worst = Math.min(...pixels.map((l) => Math.hypot(...decode(l, old)) / Math.hypot(...decode(l, null))));
      assert.ok(worst < 0.75, `${JSON.stringify(options)}: the old tilt cost some pixel a quarter of its chroma or more (worst ${worst.toFixed(2)})`);
      for (const logits of pixels) assert.deepEqual(decode(logits, tilt), decode(logits, null));
    }
  }
});

test('a photograph\'s palette from rgb24: its gray pixels counted apart, its chromatic ones as their histogram', () => {
  const colours: [number, number, number][] = [[128, 128, 128], [250, 250, 250], [178, 34, 34], [46, 125, 50]];
  const rgb = Uint8Array.from(colours.flatMap((c) => [...c, ...c])); // each colour on 2 pixels
  const pal = referencePaletteFromRgb(rgb, rgb.length / 3);
  assert.equal(pal.neutral, 0.5);
  const chromatic = Float32Array.from(colours.slice(2).flatMap((c) => { const [, a, b] = srgbToLab(...c); return [a, b, a, b]; }));
  assert.deepEqual(pal.chromatic, referenceHistogram(chromatic));
  assert.ok(referencePalette(solid(3, 4)).chromatic.every((v) => v === 0), 'no chromatic pixel: an empty palette');
});

test('applyTilt adds the tilt per bin in place, over the N x 313 x hw layout', () => {
  const hw = 3, batch = 2;
  const logits = Float32Array.from({ length: batch * Q * hw }, (_, i) => i % 7);
  const before = logits.slice();
  const tilt = Float32Array.from({ length: Q }, (_, k) => k / 10);
  applyTilt(logits, batch, hw, tilt);
  for (let n = 0; n < batch; n++) for (let k = 0; k < Q; k++) for (let p = 0; p < hw; p++) {
    const i = (n * Q + k) * hw + p;
    assert.ok(Math.abs(logits[i] - (before[i] + k / 10)) < 1e-5, `n ${n} k ${k} p ${p}`);
  }
  assert.throws(() => applyTilt(logits, 3, hw, tilt), /logits need/);
  assert.throws(() => applyTilt(logits, batch, hw, tilt.subarray(1)), /313 bins/);
});
