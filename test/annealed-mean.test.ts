import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { annealedMean } from '../src/color/annealed-mean.js';
import { AB_BINS_313, Q } from '../src/color/ab-bins.js';
import { buildAnnealedMeanGraph } from '../src/onnx/annealed-mean-graph.js';

function randomLogits(hw: number, seed = 1): Float32Array {
  const z = new Float32Array(Q * hw);
  for (let i = 0; i < z.length; i++) z[i] = ((seed = (seed * 16807) % 2147483647) / 2147483647) * 6 - 3;
  return z;
}

test('T = 1 gives the plain mean of the softmax distribution', () => {
  const hw = 3;
  const z = randomLogits(hw);
  const out = new Float32Array(2 * hw);
  annealedMean(z, 1, hw, 1, out);
  for (let p = 0; p < hw; p++) {
    let s = 0, a = 0, b = 0;
    for (let q = 0; q < Q; q++) s += Math.exp(z[q * hw + p]);
    for (let q = 0; q < Q; q++) {
      const pr = Math.exp(z[q * hw + p]) / s;
      a += pr * AB_BINS_313[2 * q];
      b += pr * AB_BINS_313[2 * q + 1];
    }
    assert.ok(Math.abs(out[p] - a) < 1e-3 && Math.abs(out[hw + p] - b) < 1e-3);
  }
});

test('T -> 0 tends to the mode', () => {
  const hw = 4;
  const z = randomLogits(hw, 9);
  // A unique mode per pixel, 0.2 above every other logit (random values are < 3).
  const modes = [17, 100, 200, 312];
  modes.forEach((q, p) => (z[q * hw + p] = 3.2));
  const out = new Float32Array(2 * hw);
  annealedMean(z, 1, hw, 0.01, out);
  for (let p = 0; p < hw; p++) {
    const best = modes[p];
    assert.ok(Math.abs(out[p] - AB_BINS_313[2 * best]) < 1e-3);
    assert.ok(Math.abs(out[hw + p] - AB_BINS_313[2 * best + 1]) < 1e-3);
  }
});

test('the ONNX decoder graph agrees with the typed-array annealed mean at T = 0.38', async () => {
  const h = 5, w = 7, hw = h * w, n = 2;
  const z = new Float32Array(n * Q * hw);
  z.set(randomLogits(hw, 3), 0);
  z.set(randomLogits(hw, 5), Q * hw);
  const ref = new Float32Array(n * 2 * hw);
  annealedMean(z, n, hw, 0.38, ref);
  const s = await ort.InferenceSession.create(buildAnnealedMeanGraph());
  const res = await s.run({ logits: new ort.Tensor('float32', z, [n, Q, h, w]), inv_t: new ort.Tensor('float32', Float32Array.of(1 / 0.38), [1]) });
  const got = res.ab.data as Float32Array;
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(got[i] - ref[i]) < 1e-3, `${i}: ${got[i]} vs ${ref[i]}`);
  await s.release();
});
