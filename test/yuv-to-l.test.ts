// L* of colour yuv420p frames by tables per chroma pair (color/yuv-to-l.ts) must be, value for
// value, what the conversion to rgb24 then rgbToL gives: for film that is gray but for its file
// (chroma 127), tinted film, a colour frame with more chroma pairs than the tables hold, in bands,
// and after the matrix changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { YuvToL, MAX_CHROMA_TABLES, RETRY_AFTER } from '../src/color/yuv-to-l.js';
import { yuv420ToRgbRows } from '../src/color/yuv.js';
import { rgbToL } from '../src/color/lab.js';
import type { YuvMatrix } from '../src/core/frames.js';

let seed = 11;
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);

/** A yuv420p frame with random Y' and chroma drawn from 128 - spread .. 128 + spread (clamped). */
function frame(w: number, h: number, spread: number): Uint8Array {
  const n = w * h, yuv = new Uint8Array((n * 3) / 2);
  for (let i = 0; i < n; i++) yuv[i] = rnd(256);
  for (let i = n; i < yuv.length; i++) yuv[i] = Math.max(0, Math.min(255, 128 - spread + rnd(2 * spread + 1)));
  return yuv;
}

function reference(yuv: Uint8Array, w: number, h: number, matrix: YuvMatrix): Float32Array {
  const rgb = new Uint8Array(w * h * 3), L = new Float32Array(w * h);
  yuv420ToRgbRows(yuv, w, h, matrix, 0, h, rgb);
  rgbToL(rgb, L, w * h);
  return L;
}

function firstDifference(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

// [what, width, height, chroma spread, matrix, bands]
const cases: Array<[string, number, number, number, YuvMatrix, number]> = [
  ['chroma 127-128 (gray in all but its file)', 64, 48, 1, 'bt709', 1],
  ['a faint tint, bt601', 64, 48, 4, 'bt601', 1],
  ['a tint, in three bands', 96, 66, 12, 'bt709', 3],
  ['a colour frame: more pairs than the tables hold', 160, 120, 128, 'bt601', 2],
];

for (const [what, w, h, spread, matrix, bands] of cases) {
  test(`YuvToL equals yuv420ToRgbRows + rgbToL: ${what}`, () => {
    const yuv = frame(w, h, spread);
    const want = reference(yuv, w, h, matrix);
    const k = new YuvToL();
    const got = new Float32Array(w * h).fill(-1);
    // Bands of whole row pairs, as the pixel pool cuts them.
    for (let i = 0; i < bands; i++) {
      const from = Math.floor((h / 2) * (i / bands)) * 2, to = Math.floor((h / 2) * ((i + 1) / bands)) * 2;
      k.rows(yuv, w, h, matrix, from, to, got);
    }
    assert.equal(firstDifference(want, got), -1);
    // A second frame through the same tables (or, once full, the conversion) is right too.
    const next = frame(w, h, spread);
    k.rows(next, w, h, matrix, 0, h, got);
    assert.equal(firstDifference(reference(next, w, h, matrix), got), -1);
  });
}

test('YuvToL: a colour film fills the tables; a tinted film after it gets tables again', () => {
  const k = new YuvToL(), w = 160, h = 120, out = new Float32Array(w * h);
  k.rows(frame(w, h, 128), w, h, 'bt709', 0, h, out);
  assert.equal(k.tableCount, MAX_CHROMA_TABLES);
  const tinted = frame(w, h, 2);
  for (let i = 0; i <= RETRY_AFTER; i++) k.rows(tinted, w, h, 'bt709', 0, h, out);
  assert.ok(k.tableCount > 0 && k.tableCount <= 25, `tables: ${k.tableCount}`);
  assert.equal(firstDifference(reference(tinted, w, h, 'bt709'), out), -1);
});

test('YuvToL: a new matrix starts the tables afresh', () => {
  const w = 64, h = 48, k = new YuvToL(), out = new Float32Array(w * h);
  const tinted = frame(w, h, 6);
  k.rows(tinted, w, h, 'bt709', 0, h, out);
  assert.equal(firstDifference(reference(tinted, w, h, 'bt709'), out), -1);
  // The same pairs under bt601 must not be read from bt709's tables.
  k.rows(tinted, w, h, 'bt601', 0, h, out);
  assert.equal(firstDifference(reference(tinted, w, h, 'bt601'), out), -1);
});
