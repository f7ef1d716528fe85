// Marble specs (RxJS TestScheduler) for every synchronous stage in src/operators: batchFrames
// groups, flushes and (live) closes a batch after its wait; smoothAb's causal mode adds no delay,
// its look-ahead mode W frames of delay and a flush at the end; the per-frame stages (extractL,
// resizeForModel, applyHints, propagateHints, composeFrames) emit each frame the moment it arrives,
// with the values checked. The restoration stages have theirs in restore-operators.test.ts.
// (Stages whose work is a promise or a child process run in real time: inferBatch and
// annealedMeanAb in infer-batch.test.ts, decodeFrames and encodeFrames in pipeline.test.ts and
// backpressure.test.ts, restorePreview in restore-cli.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchFrames } from '../src/operators/batch-frames.js';
import { smoothAb } from '../src/operators/smooth-ab.js';
import { extractL, grayCodesOf } from '../src/operators/extract-l.js';
import { resizeForModel } from '../src/operators/resize-for-model.js';
import { propagateHints } from '../src/operators/propagate-hints.js';
import { composeFrames } from '../src/operators/compose-frames.js';
import { noHintPlanes } from '../src/core/model-contract.js';
import { HINT_AB_SCALE } from '../src/hints/rasterize.js';
import type { AbFrame, RawFrame } from '../src/core/frames.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/** A small flat frame: the same picture every time, so no scene cut. */
function frame(index: number, side = 8): AbFrame {
  const n = side * side;
  const L = new Float32Array(n).fill(50);
  return {
    index, pts: index / 25, width: side, height: side, rgb: Buffer.alloc(n * 3, 119), L, gray: true,
    modelWidth: side, modelHeight: side, modelInput: new Float32Array(n), modelL: L,
    abWidth: side, abHeight: side, ab: new Float32Array(2 * n).fill(10),
  };
}
const frames = (s: string, side?: number) => Object.fromEntries([...s].map((c, i) => [c, frame(i, side)]));
const indices = map((batch: AbFrame[]) => batch.map((f) => f.index).join(''));

test('batchFrames: fixed-size batches, the last one flushed at completion', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c-d-e|', frames('abcde'));
    expectObservable(src.pipe(batchFrames({ size: 2 }), indices)).toBe('--x---y--(z|)', { x: '01', y: '23', z: '4' });
  });
});

test('batchFrames: a change of model size closes the batch (stills of different sizes)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c|', { a: frame(0, 8), b: frame(1, 16), c: frame(2, 16) });
    expectObservable(src.pipe(batchFrames({ size: 4 }), indices)).toBe('--x--(y|)', { x: '0', y: '12' });
  });
});

test('batchFrames (live): a partial batch closes maxWaitMs after its first frame; a full one at once', () => {
  scheduler().run(({ cold, expectObservable }) => {
    // a@0 b@5 (first wait ends @10), c@25 d@26 e@27 (full @27), f@28, completion @29 flushes f.
    const src = cold('a 4ms b 19ms cdef|', frames('abcdef'));
    expectObservable(src.pipe(batchFrames({ size: 3, maxWaitMs: 10 }), indices)).toBe('10ms x 16ms y-(z|)', { x: '01', y: '234', z: '5' });
  });
});

test('batchFrames: errors pass through at once', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-#', frames('a'));
    expectObservable(src.pipe(batchFrames({ size: 2 }), indices)).toBe('--#');
  });
});

test('smoothAb causal: each frame comes out the moment it goes in', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c|', frames('abc'));
    expectObservable(src.pipe(smoothAb({ mode: 'causal', strength: 'medium' }), map((f) => f.index))).toBe('a-b-c|', { a: 0, b: 1, c: 2 });
  });
});

test('smoothAb look-ahead: W frames late, in order, flushed at completion', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c-d|', frames('abcd'));
    expectObservable(src.pipe(smoothAb({ mode: 'lookahead', window: 2 }), map((f) => f.index))).toBe('----a-b(cd|)', { a: 0, b: 1, c: 2, d: 3 });
  });
});

test('applyHints: no delay; hint planes only on the frames the provider names, none allocated for the rest', async () => {
  const { applyHints } = await import('../src/operators/apply-hints.js');
  const hinted = new Set([1, 3]);
  const provider = (i: number) => (hinted.has(i) ? [{ x: 2, y: 2, ab: [55, -11] as const, size: 1 }] : null);
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c-d|', frames('abcd'));
    const seen = map((f: AbFrame) => (f.modelHints ? `${f.index}:${f.modelHints[2 * 8 + 2].toFixed(2)},${f.modelHints[64 * 2 + 2 * 8 + 2]}` : `${f.index}`));
    expectObservable(src.pipe(applyHints(provider), seen)).toBe('a-b-c-d|', { a: '0', b: '1:0.50,0.5', c: '2', d: '3:0.50,0.5' });
  });
});

test('pairUnhinted: a hinted frame is sent twice, its hint-free twin first, at once; others alone', async () => {
  const { pairUnhinted } = await import('../src/operators/pair-unhinted.js');
  const hinted = (i: number) => Object.assign(frame(i), { modelHints: new Float32Array(3 * 64) });
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b---c|', { a: frame(0), b: hinted(1), c: frame(2) });
    const seen = map((f: AbFrame) => `${f.index}${f.unhintedTwin ? 't' : ''}${f.modelHints ? 'h' : ''}`);
    expectObservable(src.pipe(pairUnhinted(), seen)).toBe('a-(bc)d|', { a: '0', b: '1t', c: '1h', d: '2' });
  });
});

test("mergeUnhinted: the twin leaves; its ab becomes its frame's unhintedAb", async () => {
  const { mergeUnhinted } = await import('../src/operators/merge-unhinted.js');
  const twin = Object.assign(frame(1), { unhintedTwin: true, ab: new Float32Array(128).fill(-3) });
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-(bc)-d|', { a: frame(0), b: twin, c: frame(1), d: frame(2) });
    const seen = map((f: AbFrame) => `${f.index}:${f.unhintedAb ? f.unhintedAb[5] : '-'}`);
    expectObservable(src.pipe(mergeUnhinted(), seen)).toBe('a-c----d|', { a: '0:-', c: '1:-3', d: '2:-' });
  });
});

// The per-frame stages: one frame in, the same record out in the same frame of time, with what the
// stage adds. Each row: the stage, two input frames, and what the output shows of each.
const raw = (index: number, rgb: readonly [number, number, number], side = 8): RawFrame => ({
  index, pts: index / 25, width: side, height: side, rgb: Buffer.from(Array.from({ length: side * side }, () => rgb).flat()),
});
const hintAt = (side: number, x: number, y: number, a: number, b: number): Float32Array => {
  const planes = noHintPlanes(side, side);
  const n = side * side, p = y * side + x;
  planes[p] = a / HINT_AB_SCALE;
  planes[n + p] = b / HINT_AB_SCALE;
  planes[2 * n + p] = 0.5;
  return planes;
};
const near = (v: number, digits = 1) => v.toFixed(digits);
interface PerFrame<I, O> {
  name: string;
  stage: OperatorFunction<I, O>;
  inputs: [I, I];
  seen: (f: O) => string;
  expected: [string, string];
}
/** A row, its types checked, then erased so the rows fit one list. */
const row = <I, O>(r: PerFrame<I, O>) => r as unknown as PerFrame<unknown, unknown>;
const perFrame = [
  row({
    // sRGB 119 gray is L* 50.0; pure red is L* 53.2 (its a*, b* are not this stage's business).
    name: 'extractL: gray frames keep their codes (lazy L), colour frames get an L plane',
    stage: extractL(),
    inputs: [raw(0, [119, 119, 119]), raw(1, [255, 0, 0])],
    seen: (f) => `${f.gray} ${grayCodesOf(f) ? 'codes' : 'plane'} ${near(f.L[0])}`,
    expected: ['true codes 50.0', 'false plane 53.2'],
  }),
  row({
    // 16 x 8 at short side 4 (multiple 4): 8 x 4; L 75 normalised as (75 - 50) * 0.01.
    name: 'resizeForModel: the model-size planes, aspect kept, normalised per the contract',
    stage: resizeForModel({ shortSide: 4, multiple: 4, lOffset: 50, lScale: 0.01 }),
    inputs: [{ ...raw(0, [0, 0, 0], 16), height: 8, rgb: Buffer.alloc(16 * 8 * 3), L: new Float32Array(16 * 8).fill(75), gray: false },
      { ...raw(1, [0, 0, 0], 8), L: new Float32Array(64).fill(20), gray: false }],
    seen: (f) => `${f.modelWidth}x${f.modelHeight} ${near(f.modelL[3])} ${near(f.modelInput[3], 2)}`,
    expected: ['8x4 75.0 0.25', '4x4 20.0 -0.30'],
  }),
  row({
    // A hint (55, -11) on the model pixel (2, 2) of a flat frame: its cell takes the hint's
    // colour, a far cell is pulled part of the way from the prediction (10, 10); no hints, no change.
    name: 'propagateHints: hinted frames pulled towards the hint over their region; others untouched',
    stage: propagateHints<AbFrame>(),
    inputs: [frame(0), Object.assign(frame(1), { modelHints: hintAt(8, 2, 2, 55, -11) })],
    seen: (f) => {
      const far = 7 * 8 + 7;
      return `${near(f.ab[2 * 8 + 2])},${near(f.ab[64 + 2 * 8 + 2])} ${f.ab[far] > 10 && f.ab[far] < 55 ? 'between' : near(f.ab[far])}`;
    },
    expected: ['10.0,10.0 10.0', '55.0,-11.0 between'],
  }),
  row({
    // L 53.24 with (a, b) = (80.09, 67.20) is sRGB red; a gray frame with ab 0 stays its gray.
    name: "composeFrames: ab upsampled and joined with the frame's L into its own rgb buffer",
    stage: composeFrames<AbFrame>(),
    inputs: [
      (() => {
        const f = Object.assign(frame(0), { gray: false, L: new Float32Array(64).fill(53.24), ab: new Float32Array(128) });
        f.ab.fill(80.09, 0, 64).fill(67.2, 64);
        return f;
      })(),
      Object.assign(frame(1), { ab: new Float32Array(128) }),
    ],
    seen: (f) => `${f.out === f.rgb} ${[...f.out.subarray(0, 3)].join(',')}`,
    expected: ['true 255,0,0', 'true 119,119,119'],
  }),
];

for (const r of perFrame) {
  test(r.name, () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('a--b|', { a: r.inputs[0], b: r.inputs[1] });
      expectObservable(src.pipe(r.stage, map((f) => r.seen(f)))).toBe('a--b|', { a: r.expected[0], b: r.expected[1] });
    });
  });
}

test('per-frame stages: an error passes through at once', () => {
  scheduler().run(({ cold, expectObservable }) => {
    for (const r of perFrame) {
      const src = cold('a-#', { a: r.inputs[0] });
      expectObservable(src.pipe(r.stage, map(() => 'x'))).toBe('x-#');
    }
  });
});
