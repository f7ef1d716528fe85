// The inference stage on its own, with the real ONNX Runtime and the tiny fixture models: one run
// per batch, in order, on the main thread or in the inference worker (the same numbers either
// way), hint planes packed beside the L planes, a failed run reaching the stream as its error, and
// a worker that is gone falling back to the main thread. annealedMeanAb, its partner, decodes what
// the main thread leaves as logits. orderedMap (the in-order, several-in-flight map under it) has
// its own cases at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, Subject, tap, toArray, type Observable } from 'rxjs';
import { inferBatch, orderedMap, type InferredBatch } from '../src/operators/infer-batch.js';
import { annealedMeanAb } from '../src/operators/annealed-mean-ab.js';
import { InferWorker } from '../src/onnx/infer-client.js';
import { loadModel } from '../src/model/load-model.js';
import { noHintPlanes, type LoadedModel } from '../src/core/model-contract.js';
import { HINT_AB_SCALE } from '../src/hints/rasterize.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { StageTimer } from '../src/core/stage-timer.js';
import type { ModelFrame } from '../src/core/frames.js';
import { tempDir, writeFixtureModels } from './helpers/media.js';
import { ECHO_FALLBACK_AB, FIXTURE_GRAY_AB, FIXTURE_RED_AB, makeHintEchoFixture } from './helpers/model-fixtures.js';

let tmp: ReturnType<typeof tempDir>;
const paths = { ab: '', logits: '', echo: '', fixed: '' };
const loaded: LoadedModel[] = [];
/** A fresh model each time: each has its own inference worker, which a test may close. */
async function load(which: keyof typeof paths): Promise<LoadedModel> {
  const m = await loadModel(paths[which], { device: 'cpu', threads: 1, log: () => {} });
  loaded.push(m);
  return m;
}
before(() => {
  tmp = tempDir('chroma-infer-batch-');
  Object.assign(paths, writeFixtureModels(tmp.dir));
  paths.echo = join(tmp.dir, 'echo.onnx');
  writeFileSync(paths.echo, makeHintEchoFixture());
  paths.fixed = join(tmp.dir, 'fixed.onnx');
  writeFileSync(paths.fixed, fixedSizeNet(64));
});
after(async () => {
  for (const m of loaded) await m.release();
  tmp.cleanup();
});

/** An ab net (a = b = x) whose input is `side` x `side` and nothing else: ONNX Runtime refuses other sizes. */
function fixedSizeNet(side: number): Uint8Array {
  const g = new GraphBuilder({ name: 'fixture_fixed' });
  g.addInput('L', ['N', 1, side, side]);
  const W = g.addInitializer('conv_w', Float32Array.from([1, 1]), [2, 1, 1, 1]);
  const B = g.addInitializer('conv_b', new Float32Array(2), [2]);
  g.node('Conv', ['L', W, B], { kernel_shape: [1, 1] }, 'ab');
  g.addOutput('ab', ['N', 2, side, side]);
  return g.serialize();
}

/** A model-ready frame whose normalised input is `x` everywhere (L = 50 + 100x). */
function modelFrame(index: number, x: number, side = 8): ModelFrame {
  const n = side * side;
  const modelL = new Float32Array(n).fill(50 + 100 * x);
  return {
    index, pts: index / 25, width: side, height: side, rgb: Buffer.alloc(3 * n), L: modelL, gray: false,
    modelWidth: side, modelHeight: side, modelInput: new Float32Array(n).fill(x), modelL,
  };
}

const run = <T>(src: Observable<T[]>, op: (s: Observable<T[]>) => Observable<InferredBatch<ModelFrame>>) => lastValueFrom(src.pipe(op, toArray()));

/** [a, b] of pixel p in batch output `data` (N x 2 x h x w) for frame i. */
function abAt(data: Float32Array, i: number, plane: number, p: number): [number, number] {
  return [data[i * 2 * plane + p], data[i * 2 * plane + plane + p]];
}

test('main thread: one run per batch, batches and frames in order, the output is the net\'s, the time charged per frame', async () => {
  const model = await load('ab');
  const timer = new StageTimer();
  const xs = [[-0.5, 0, 0.25], [0.5, -0.25]];
  const batches = xs.map((b, j) => b.map((x, i) => modelFrame(10 * j + i, x)));
  const out = await run(from(batches), inferBatch(model, timer, { worker: false }));
  assert.equal(out.length, 2);
  for (const [j, r] of out.entries()) {
    assert.equal(r.frames, batches[j], 'the batch travels on as it came');
    assert.deepEqual(r.output.dims, [xs[j].length, 2, 8, 8]);
    assert.ok(!r.decoded);
    // The ab fixture: a = 40x + 10, b = -30x at every pixel.
    for (const [i, x] of xs[j].entries()) {
      const [a, b] = abAt(r.output.data as Float32Array, i, 64, 37);
      assert.ok(Math.abs(a - (40 * x + 10)) < 1e-5 && Math.abs(b - -30 * x) < 1e-5, `batch ${j} frame ${i}: (${a}, ${b})`);
    }
  }
  assert.deepEqual({ ...timer.totals.get('infer'), ms: 0 }, { ms: 0, calls: 2, frames: 5 });
});

test('worker: logits decoded beside the net at the temperature; the same ab as the main thread and annealedMeanAb', async () => {
  const [there, here] = [await load('logits'), await load('logits')];
  const batch = () => [modelFrame(0, 0.3), modelFrame(1, -0.3), modelFrame(2, 0.6)];
  const temperature = () => 0.38;
  const [w] = await run(from([batch()]), inferBatch(there, undefined, { temperature }));
  assert.equal(InferWorker.existing(there)?.state, 'ready', 'the batch went to the worker');
  assert.ok(w.decoded, 'decoded in the worker');
  assert.deepEqual(w.output.dims, [3, 2, 2, 2], 'ab at the net\'s output resolution (one cell per 4 x 4)');
  const [m] = await run(from([batch()]), inferBatch(here, undefined, { worker: false, temperature }));
  assert.ok(!m.decoded);
  assert.deepEqual(m.output.dims, [3, 313, 2, 2], 'the main thread leaves logits');
  const frames = await lastValueFrom(from([m]).pipe(annealedMeanAb(here, temperature), toArray()));
  const wd = w.output.data as Float32Array;
  for (const [i, f] of frames.entries()) {
    assert.equal(f.abWidth, 2);
    const expected = i === 1 ? FIXTURE_GRAY_AB : FIXTURE_RED_AB;
    for (let p = 0; p < 4; p++) {
      const fromWorker = abAt(wd, i, 4, p);
      assert.ok(Math.abs(f.ab[p] - expected[0]) < 1e-3 && Math.abs(f.ab[4 + p] - expected[1]) < 1e-3, `frame ${i}: (${f.ab[p]}, ${f.ab[4 + p]})`);
      assert.ok(Math.abs(fromWorker[0] - f.ab[p]) < 1e-3 && Math.abs(fromWorker[1] - f.ab[4 + p]) < 1e-3, `worker and main thread agree on frame ${i}`);
    }
  }
});

/** Hint planes with one hint of colour (a, b) on model pixel p. */
function hintPlanes(side: number, p: number, a: number, b: number): Float32Array {
  const planes = noHintPlanes(side, side);
  const n = side * side;
  planes[p] = a / HINT_AB_SCALE;
  planes[n + p] = b / HINT_AB_SCALE;
  planes[2 * n + p] = 0.5;
  return planes;
}

for (const worker of ['auto', false] as const) {
  test(`hints (${worker ? 'worker' : 'main thread'}): each frame's hint planes reach the net beside its L; a frame without gets the empty planes`, async () => {
    const model = await load('echo');
    const hinted = Object.assign(modelFrame(0, 0), { modelHints: hintPlanes(8, 9, 40, 20) });
    const plain = modelFrame(1, 0);
    const temperature = () => 0.38;
    const out = await lastValueFrom(from([[hinted, plain]]).pipe(
      inferBatch(model, undefined, { worker, temperature }), annealedMeanAb(model, temperature), toArray(),
    ));
    const at = (f: (typeof out)[number], p: number) => [f.ab[p], f.ab[64 + p]].map((v) => Math.round(v));
    assert.deepEqual(at(out[0], 9), [40, 20], 'the hint\'s colour where it is');
    assert.deepEqual(at(out[0], 10), [...ECHO_FALLBACK_AB], 'the fallback beside it');
    assert.deepEqual(at(out[1], 9), [...ECHO_FALLBACK_AB], 'no hints on the other frame of the batch');
    assert.equal(InferWorker.existing(model)?.state, worker ? 'ready' : undefined, 'ran where asked');
  });
}

for (const worker of ['auto', false] as const) {
  test(`a run ONNX Runtime refuses is the stream's error, after the batches before it (${worker ? 'worker' : 'main thread'})`, async () => {
    const model = await load('fixed');
    // The fixed-size net takes 64 x 64 only.
    const emitted: number[] = [];
    const err = await lastValueFrom(from([[modelFrame(0, 0.3, 64)], [modelFrame(1, 0.3, 32)], [modelFrame(2, 0.3, 64)]]).pipe(
      inferBatch(model, undefined, { worker }), tap((r) => emitted.push(r.frames[0].index)),
    )).then(() => null, (e: Error) => e);
    assert.ok(err instanceof Error, 'the stream errors');
    assert.deepEqual(emitted, [0], 'the batch before it came out, the one after did not');
    assert.doesNotMatch(err.name, /WorkerGone/);
    assert.match(err.message, /dimension/i, "ONNX Runtime's reason");
    assert.equal(InferWorker.existing(model)?.state, worker ? 'ready' : undefined, 'a refused run leaves the worker up');
  });
}

test('a worker that is gone: the batches run on the main thread, with the same result', async () => {
  const model = await load('ab');
  const w = InferWorker.for(model);
  await w.ready;
  await w.close();
  assert.equal(w.state, 'gone');
  const [r] = await run(from([[modelFrame(0, 0.5)]]), inferBatch(model, undefined, { worker: 'auto' }));
  assert.ok(!r.decoded);
  assert.deepEqual(abAt(r.output.data as Float32Array, 0, 64, 0), [30, -15]);
});

/** A promise with its resolve and reject in hand. */
function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

test('orderedMap: up to `limit` at once, results in input order however they settle', async () => {
  const pending = [deferred<string>(), deferred<string>(), deferred<string>(), deferred<string>()];
  let started = 0;
  const seen: string[] = [];
  const src = new Subject<number>();
  let done = false;
  src.pipe(orderedMap((i: number) => (started++, pending[i].promise), 2)).subscribe({ next: (v) => seen.push(v), complete: () => (done = true) });
  for (let i = 0; i < 4; i++) src.next(i);
  src.complete();
  assert.equal(started, 2, 'two in flight, the rest wait');
  pending[1].resolve('b');
  await tick();
  assert.deepEqual(seen, [], 'the second waits for the first');
  assert.equal(started, 2, 'its slot is held until it is emitted');
  pending[0].resolve('a');
  await tick();
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(started, 4);
  pending[3].resolve('d');
  pending[2].resolve('c');
  await tick();
  assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  assert.ok(done, 'completes once the last result is out');
});

test('orderedMap: a failure is the stream\'s error in its turn; later results are not emitted', async () => {
  const pending = [deferred<string>(), deferred<string>(), deferred<string>()];
  const seen: string[] = [];
  let error: unknown = null;
  from([0, 1, 2]).pipe(orderedMap((i: number) => pending[i].promise, 3)).subscribe({ next: (v) => seen.push(v), error: (e) => (error = e) });
  pending[2].resolve('c');
  pending[1].reject(new Error('boom'));
  await tick();
  assert.equal(error, null, 'not before the first is out');
  pending[0].resolve('a');
  await tick();
  assert.deepEqual(seen, ['a']);
  assert.match(String(error), /boom/);
});

test('orderedMap: a projection that throws at once is an error in its turn too', async () => {
  const r = await lastValueFrom(from([1, 2]).pipe(orderedMap((i: number) => {
    if (i === 2) throw new Error('sync');
    return Promise.resolve(i);
  }, 2), toArray())).then(() => 'completed', (e: Error) => e.message);
  assert.equal(r, 'sync');
});
