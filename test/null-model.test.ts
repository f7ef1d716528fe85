// The null model (--model null): the contract's cheapest shape, gray output, through every stage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadModel, netFeeds } from '../src/model/load-model.js';
import { listModels, DEFAULT_MODEL_PATH } from '../src/model/registry.js';
import { NULL_MODEL, nullModelAb } from '../src/onnx/null-model.js';
import { Colorizer } from '../src/index.js';
import { tempDir, makeClip, readRgbFrames, runCli } from './helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

test('loads from its name, no file: kind ab with the hints input, the built-in model\'s training size, zero ab at a quarter size', async () => {
  const m = await loadModel('null', { device: 'cpu', threads: 1, log: () => {} });
  try {
    assert.equal(m.path, NULL_MODEL);
    assert.equal(m.info.kind, 'ab');
    assert.equal(m.info.hints, true);
    assert.equal(m.annealer, null);
    const builtIn = JSON.parse(readFileSync(`${DEFAULT_MODEL_PATH}.json`, 'utf8')) as { trainSize: number; sizeMultiple: number };
    assert.equal(m.info.trainSize, builtIn.trainSize);
    assert.equal(m.info.sizeMultiple, builtIn.sizeMultiple);
    const [h, w] = [144, 258];
    const L = new Float32Array(h * w).map((_, i) => (i % 97) / 97 - 0.5);
    const out = (await m.session.run(netFeeds(m, new ort.Tensor('float32', L, [1, 1, h, w]))))[m.outputName];
    assert.deepEqual(out.dims, [1, 2, Math.ceil(h / 4), Math.ceil(w / 4)]);
    assert.ok((out.data as Float32Array).every((v) => v === 0));
  } finally {
    await m.release();
  }
  const listed = (await listModels({ cacheDir: tmp.dir })).find((x) => x.name === 'null');
  assert.deepEqual([listed?.builtIn, listed?.installed, listed?.kind], [true, true, 'ab']);
});

test('answered in place: the same values as its graph in ONNX Runtime, -0 included, odd sizes and a batch', async () => {
  const m = await loadModel('null', { device: 'cpu', threads: 1, log: () => {} });
  try {
    for (const [n, h, w] of [[2, 37, 53], [1, 144, 192], [3, 8, 5]]) {
      const planes = Array.from({ length: n }, (_, b) => new Float32Array(h * w).map((_, i) => ((i * 7 + b * 13) % 101) / 101 - 0.4));
      const packed = new Float32Array(n * h * w);
      planes.forEach((p, b) => packed.set(p, b * h * w));
      const ref = (await m.session.run(netFeeds(m, new ort.Tensor('float32', packed, [n, 1, h, w]))))[m.outputName];
      const got = nullModelAb(planes, h, w);
      assert.deepEqual(got.dims, ref.dims);
      const want = ref.data as Float32Array;
      assert.ok(want.some((v) => Object.is(v, -0)) && want.some((v) => Object.is(v, 0)), 'the sample has both zeros');
      assert.ok(got.data.every((v, i) => Object.is(v, want[i])), `${n}x${h}x${w}: same values and signs`);
    }
  } finally {
    await m.release();
  }
});

test('a video through the library: every stage runs (inference answered in place) and the output is the input\'s gray', async () => {
  const input = makeClip(join(tmp.dir, 'in.mkv'), { width: 320, height: 240, seconds: 1, fps: 10 });
  const output = join(tmp.dir, 'out.mkv');
  const c = await Colorizer.create({ model: 'null', device: 'cpu', threads: 1 });
  try {
    const r = await c.colorize(input, output, { batch: 2 }).done;
    assert.equal(r.frames, 10);
    for (const stage of ['l', 'resize', 'infer', 'compose']) assert.ok((r.stages[stage] ?? 0) > 0, `${stage} ran: ${JSON.stringify(r.stages)}`);
  } finally {
    await c.close();
  }
  const src = readRgbFrames(input, 320, 240), got = readRgbFrames(output, 320, 240);
  assert.equal(got.length, src.length);
  let chroma = 0, lumaDiff = 0;
  for (let f = 0; f < got.length; f++) {
    for (let i = 0; i < got[f].length; i += 3) {
      const [r, g, b] = [got[f][i], got[f][i + 1], got[f][i + 2]];
      chroma = Math.max(chroma, Math.abs(r - g), Math.abs(g - b));
      lumaDiff += Math.abs(g - src[f][i + 1]);
    }
  }
  assert.ok(chroma <= 4, `gray: max |r-g|, |g-b| = ${chroma}`);
  assert.ok(lumaDiff / (got.length * 320 * 240) < 3, `the input's tones kept: mean |Δ| ${lumaDiff / (got.length * 320 * 240)}`);
});

test('the CLI takes --model null, and names it among the choices when a model is unknown', async () => {
  const input = makeClip(join(tmp.dir, 'cli.mp4'), { width: 160, height: 120, seconds: 1, fps: 10 });
  const ok = await runCli(['colorize', input, '-o', join(tmp.dir, 'cli-out.mp4'), '--model', 'null', '--device', 'cpu', '-q']);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await runCli(['colorize', input, '-o', join(tmp.dir, 'bad-out.mp4'), '--model', 'no-such-model', '-q']);
  assert.equal(bad.code, 5);
  assert.match(bad.stderr, /not one of default, eccv16, siggraph17, null/);
});
