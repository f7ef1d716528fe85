import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

import { AB_BINS_313, Q } from '../src/color/ab-bins.js';
import { GraphBuilder, readMetadataProps, attr } from '../src/onnx/builder.js';
import { buildAnnealedMeanGraph } from '../src/onnx/annealed-mean-graph.js';
import { decodeModel, DataType } from '../src/onnx/proto.js';
import { makeAbFixture, makeBadFixture, makeLogitsFixture } from './helpers/model-fixtures.js';
import { META_KEYS } from '../src/core/model-contract.js';
import { rng } from './helpers/synthetic.js';

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Plain JS annealed mean: logits planar N x Q x h x w → ab N x 2 x h x w. */
function annealedMean(logits: Float32Array, n: number, h: number, w: number, T: number): Float64Array {
  const hw = h * w;
  const out = new Float64Array(n * 2 * hw);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      let max = -Infinity;
      for (let q = 0; q < Q; q++) max = Math.max(max, logits[(b * Q + q) * hw + p] / T);
      let sum = 0, a = 0, bb = 0;
      for (let q = 0; q < Q; q++) {
        const e = Math.exp(logits[(b * Q + q) * hw + p] / T - max);
        sum += e;
        a += e * AB_BINS_313[2 * q];
        bb += e * AB_BINS_313[2 * q + 1];
      }
      out[(b * 2) * hw + p] = a / sum;
      out[(b * 2 + 1) * hw + p] = bb / sum;
    }
  }
  return out;
}

test('annealed-mean decoder matches a plain JS computation at T = 0.38 and T = 1', async () => {
  const sess = await session(buildAnnealedMeanGraph());
  const n = 2, h = 3, w = 5;
  const r = rng(7);
  const logits = new Float32Array(n * Q * h * w);
  for (let i = 0; i < logits.length; i++) logits[i] = (r() - 0.5) * 8;
  // Make a few pixels peaky so the temperature matters.
  for (let p = 0; p < h * w; p += 4) logits[(17 * h * w) + p] += 6;
  for (const T of [0.38, 1]) {
    const res = await sess.run({
      logits: new ort.Tensor('float32', logits, [n, Q, h, w]),
      inv_t: new ort.Tensor('float32', Float32Array.of(1 / T), [1]),
    });
    const ab = res.ab;
    assert.deepEqual(ab.dims, [n, 2, h, w]);
    const got = ab.data as Float32Array;
    const want = annealedMean(logits, n, h, w, T);
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    assert.ok(maxDiff < 1e-4, `T=${T}: max diff ${maxDiff}`);
  }
});

test('readMetadataProps reads what the builder wrote, skipping the graph', async () => {
  const g = new GraphBuilder();
  g.addInput('x', ['N', 3]);
  const big = new Float32Array(1 << 18).fill(0.5); // a 1 MiB initializer before the metadata
  g.addInitializer('big', big, [1 << 18]);
  g.node('Identity', ['x'], {}, 'y');
  g.addOutput('y', ['N', 3]);
  g.setMetadataProps({ 'chroma.kind': 'ab', 'chroma.name': 'ünïcode ✓', empty: '' });
  const bytes = g.serialize();
  assert.deepEqual(readMetadataProps(bytes), { 'chroma.kind': 'ab', 'chroma.name': 'ünïcode ✓', empty: '' });
  // Full decode agrees.
  const m = decodeModel(bytes);
  assert.equal(m.graph?.initializer?.[0].dataType, DataType.FLOAT);
  assert.deepEqual(m.graph?.initializer?.[0].dims, [1 << 18]);
  assert.equal(m.opsetImport?.[0].version, 17);
  assert.equal(m.graph?.input?.[0].type?.tensorType?.shape?.dim?.[0].dimParam, 'N');
  // A model with no metadata gives {}; truncation is reported.
  const plain = new GraphBuilder();
  plain.addInput('x', [1]);
  plain.node('Identity', ['x'], {}, 'y');
  plain.addOutput('y', [1]);
  assert.deepEqual(readMetadataProps(plain.serialize()), {});
  assert.throws(() => readMetadataProps(bytes.subarray(0, 100)), /truncated|malformed/);
});

test('builder attributes: ints, floats, int, float, string', async () => {
  const g = new GraphBuilder();
  g.addInput('x', ['N', 4]);
  const y = g.node('LeakyRelu', ['x'], { alpha: attr.float(0.5) });
  const z = g.node('Clip', [y, g.addInitializer('lo', Float32Array.of(-1), []), g.addInitializer('hi', Float32Array.of(1.5), [])]);
  g.node('Softmax', [z], { axis: 1 }, 'out');
  g.addOutput('out', ['N', 4]);
  const m = decodeModel(g.serialize());
  const leaky = m.graph?.node?.[0].attribute?.[0];
  assert.equal(leaky?.name, 'alpha');
  assert.equal(leaky?.f, 0.5);
  assert.equal(m.graph?.node?.[2].attribute?.[0].i, 1);
  const sess = await session(g.serialize());
  const res = await sess.run({ x: new ort.Tensor('float32', Float32Array.of(-4, 0, 1, 3), [1, 4]) });
  const v = [-1, 0, 1, 1.5].map(Math.exp);
  const s = v.reduce((a, b) => a + b, 0);
  const got = res.out.data as Float32Array;
  v.forEach((e, i) => assert.ok(Math.abs(got[i] - e / s) < 1e-6));

  // ints + string + floats attributes, run through ORT (Conv with auto_pad and an explicit kernel).
  const g2 = new GraphBuilder();
  g2.addInput('x', [1, 1, 3, 3]);
  const cw = g2.addInitializer('w', new Float32Array(9).fill(1), [1, 1, 3, 3]);
  g2.node('Conv', ['x', cw], { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER', strides: attr.ints([1, 1]) }, 'y');
  g2.addOutput('y', [1, 1, 3, 3]);
  const m2 = decodeModel(g2.serialize());
  const conv = m2.graph?.node?.[0].attribute ?? [];
  assert.deepEqual(conv.find((a) => a.name === 'kernel_shape')?.ints, [3, 3]);
  assert.equal(Buffer.from(conv.find((a) => a.name === 'auto_pad')?.s ?? []).toString(), 'SAME_UPPER');
  const r2 = await (await session(g2.serialize())).run({ x: new ort.Tensor('float32', new Float32Array(9).fill(1), [1, 1, 3, 3]) });
  assert.deepEqual(Array.from(r2.y.data as Float32Array), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
});

test('logits fixture: bright blocks decode to the red bin, dark blocks to gray', async () => {
  const bytes = makeLogitsFixture();
  const meta = readMetadataProps(bytes);
  assert.equal(meta[META_KEYS.kind], 'logits313');
  assert.equal(meta[META_KEYS.lOffset], '50');
  assert.equal(meta[META_KEYS.lScale], '0.01');
  const sess = await session(bytes);
  const H = 8, W = 16;
  const x = new Float32Array(H * W);
  for (let yy = 0; yy < H; yy++) for (let xx = 0; xx < W; xx++) x[yy * W + xx] = ((xx < 8 ? 80 : 20) - 50) / 100;
  const res = await sess.run({ L: new ort.Tensor('float32', x, [1, 1, H, W]) });
  const logits = res.logits;
  assert.deepEqual(logits.dims, [1, Q, H / 4, W / 4]);
  const dec = await session(buildAnnealedMeanGraph());
  for (const T of [0.38, 1]) {
    const ab = (await dec.run({ logits, inv_t: new ort.Tensor('float32', Float32Array.of(1 / T), [1]) })).ab.data as Float32Array;
    const hw = (H / 4) * (W / 4);
    for (let p = 0; p < hw; p++) {
      const col = p % (W / 4);
      const [ea, eb] = col < 2 ? [50, 30] : [0, 0];
      assert.ok(Math.abs(ab[p] - ea) < 1e-4 && Math.abs(ab[hw + p] - eb) < 1e-4, `T=${T} p=${p}: ${ab[p]}, ${ab[hw + p]}`);
    }
  }
  assert.deepEqual(readMetadataProps(makeLogitsFixture({ metadata: false })), {});
});

test('ab fixture: a = 40x + 10, b = -30x at full resolution', async () => {
  const bytes = makeAbFixture();
  assert.equal(readMetadataProps(bytes)[META_KEYS.kind], 'ab');
  assert.equal(readMetadataProps(bytes)[META_KEYS.abScale], '1');
  const sess = await session(bytes);
  const Ls = [0, 25, 50, 100, 73, 12, 99, 1];
  const x = Float32Array.from(Ls, (l) => (l - 50) / 100);
  const res = await sess.run({ L: new ort.Tensor('float32', x, [2, 1, 2, 2]) });
  assert.deepEqual(res.ab.dims, [2, 2, 2, 2]);
  const ab = res.ab.data as Float32Array;
  for (let n = 0; n < 2; n++) for (let p = 0; p < 4; p++) {
    const xi = x[n * 4 + p];
    assert.ok(Math.abs(ab[n * 8 + p] - (40 * xi + 10)) < 1e-5);
    assert.ok(Math.abs(ab[n * 8 + 4 + p] - -30 * xi) < 1e-5);
  }
});

test('bad fixture: 5 output channels', async () => {
  const bytes = makeBadFixture();
  const sess = await session(bytes);
  const res = await sess.run({ L: new ort.Tensor('float32', new Float32Array(16), [1, 1, 4, 4]) });
  assert.deepEqual(res[sess.outputNames[0]].dims, [1, 5, 4, 4]);
  assert.equal(readMetadataProps(bytes)[META_KEYS.name], 'fixture-bad');
});
