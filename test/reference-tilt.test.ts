import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_FLOOR, applyTilt, referenceHistogram, referenceHistogramFromRgb, referenceTilt, smoothHistogram,
} from '../src/hints/reference-tilt.js';
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

test('the tilt is alpha * (log h_ref - log h_prior), floored; strength 0 is no tilt', () => {
  const ref = referenceHistogram(solid(30, 40));
  // a prior like a photo collection's: mostly near gray, a little of everything (no bin empty)
  const prior = smoothHistogram(Float64Array.from({ length: Q }, (_, q) => Math.exp(-Math.hypot(AB_BINS_313[2 * q], AB_BINS_313[2 * q + 1]) / 8) + 1e-6));
  const cases: { strength: number; prior: ArrayLike<number> }[] = [
    { strength: 0.7, prior: uniform }, { strength: 1, prior: uniform }, { strength: 0.3, prior },
  ];
  for (const { strength, prior: p } of cases) {
    const t = referenceTilt(ref, p, { strength });
    for (let q = 0; q < Q; q++) {
      const want = strength * (Math.log(Math.max(ref[q], DEFAULT_FLOOR)) - Math.log(Math.max(p[q], DEFAULT_FLOOR)));
      assert.ok(Math.abs(t[q] - want) < 1e-5, `strength ${strength} bin ${q}: ${t[q]} vs ${want}`);
    }
  }
  assert.ok(referenceTilt(ref, uniform, { strength: 0 }).every((v) => v === 0));
  // an unnormalised prior is the same prior
  const scaled = Float32Array.from(uniform, (v) => v * 42);
  assert.deepEqual(referenceTilt(ref, scaled), referenceTilt(ref, uniform));
  assert.throws(() => referenceTilt(ref, uniform, { strength: 1.5 }), /strength must be 0\.\.1/);
  assert.throws(() => referenceTilt(ref, uniform, { floor: 0 }), /floor must be/);
  assert.throws(() => referenceTilt(ref, new Float32Array(Q)), /some mass/);
});

test('a one-colour reference pulls the annealed mean of flat logits towards that colour, the more the stronger', () => {
  const hw = 6, batch = 2;
  const colours: [string, [number, number]][] = [['green', hexToAb('#2e7d32')!], ['red', hexToAb('#b22222')!], ['blue', [-10, -45]]];
  let ca = 0, cb = 0; // the annealed mean of a flat distribution: the bins' centroid
  for (let q = 0; q < Q; q++) { ca += AB_BINS_313[2 * q] / Q; cb += AB_BINS_313[2 * q + 1] / Q; }
  for (const [name, [ra, rb]] of colours) {
    const ref = referenceHistogram(solid(ra, rb));
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
        if (strength < 0.5) assert.ok(dist < 0.5 * dist0, `${name}: strength ${strength} halves the distance to the reference (${dist.toFixed(2)} vs ${dist0.toFixed(2)})`);
        else assert.ok(dist < 7, `${name}: strength ${strength} brings the mean within a bin of the reference (${dist.toFixed(2)})`);
      }
      lastMass = mass;
    }
  }
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
