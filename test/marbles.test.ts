// Marble specs (RxJS TestScheduler) for the stages whose timing is their contract: batchFrames
// groups and flushes, smoothAb's causal mode adds no delay, its look-ahead mode W frames of delay
// and a flush at the end. (Stages whose work is a promise or a child process, inferBatch,
// annealedMeanAb and encodeFrames, run in real time: see pipeline.test.ts and backpressure.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchFrames } from '../src/operators/batch-frames.js';
import { smoothAb } from '../src/operators/smooth-ab.js';
import type { AbFrame } from '../src/core/frames.js';

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
