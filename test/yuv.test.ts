// L extraction of yuv420p frames: the gray test on the chroma planes (color/yuv.ts) runs a word
// at a time and must answer as a byte-by-byte reading does, wherever the frame starts in its
// buffer and wherever a band begins and ends; a gray frame's Y is read through the Y -> code table
// composed with the L* table (lOfLuma).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { neutralChroma } from '../src/color/yuv.js';
import { lOfLuma, GRAY_TO_L } from '../src/color/lab.js';

let seed = 3;
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);

// [width, height, byte offset of the frame in its buffer, band rows from, to]
const frames: Array<[number, number, number, number, number]> = [
  [2, 2, 0, 0, 2], [6, 4, 1, 0, 4], [10, 6, 2, 2, 6], [14, 8, 3, 4, 6], [642, 482, 1, 240, 482], [1920, 1080, 0, 0, 1080],
];

test('neutralChroma: true for chroma all 128, false for any one byte off, at any place of the band (head, words, tail)', () => {
  for (const [w, h, offset, from, to] of frames) {
    const n = w * h, cw = w / 2, bytes = (n * 3) / 2;
    const buf = new Uint8Array(offset + bytes + 3);
    const yuv = buf.subarray(offset, offset + bytes);
    yuv.fill(128, n);
    for (let i = 0; i < n; i++) yuv[i] = rnd(256);
    assert.equal(neutralChroma(yuv, w, h, from, to), true, `${w}x${h}+${offset}`);
    // Each chroma byte of the band's rows in both planes, plus the bytes just outside the band.
    const u = n, v = n + cw * (h / 2);
    const inside = (plane: number) => [plane + (from / 2) * cw, plane + (to / 2) * cw];
    for (const plane of [u, v]) {
      const [a, b] = inside(plane);
      const places = w > 100 ? [a, a + 1, a + 2, a + 3, a + 4, (a + b) >> 1, b - 4, b - 3, b - 2, b - 1] : Array.from({ length: b - a }, (_, k) => a + k);
      for (const at of [...places, a - 1, b]) {
        if (at < n || at >= bytes) continue;
        yuv[at] = 127 + 2 * rnd(2);
        const want = ![u, v].some((p) => at >= inside(p)[0] && at < inside(p)[1]);
        assert.equal(neutralChroma(yuv, w, h, from, to), want, `${w}x${h}+${offset} rows ${from}-${to}: byte ${at} changed`);
        yuv[at] = 128;
      }
    }
  }
});

test('lOfLuma: L* of each luma value through the Y -> code table; one array per table content', () => {
  const yToCode = Uint8Array.from({ length: 256 }, (_, y) => Math.max(0, Math.min(255, Math.round(((y - 16) * 255) / 219))));
  const table = lOfLuma(yToCode);
  for (let y = 0; y < 256; y++) assert.equal(table[y], GRAY_TO_L[yToCode[y]], `Y ${y}`);
  assert.equal(lOfLuma(Uint8Array.from(yToCode)), table, 'a copy of the same table gives the same array');
  const other = Uint8Array.from(yToCode, (c) => 255 - c);
  assert.notEqual(lOfLuma(other), table);
  assert.equal(lOfLuma(other)[0], GRAY_TO_L[255]);
});
