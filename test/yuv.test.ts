// The yuv420p byte passes of L extraction (color/yuv.ts): the gray test on the chroma planes and
// the Y -> gray code rewrite run a word at a time; they must answer as a byte-by-byte reading
// does, wherever the frame starts in its buffer and wherever a band begins and ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { neutralChroma, lumaToCodes } from '../src/color/yuv.js';

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

test('lumaToCodes: every Y of the range mapped through the table, nothing outside it touched', () => {
  const table = Uint8Array.from({ length: 256 }, () => rnd(256));
  for (const [w, h, offset, from, to] of frames) {
    const n = w * h;
    for (const [a, b] of [[from * w, to * w], [1, n - 1], [3, Math.min(n, 6)], [0, 0]]) {
      const buf = new Uint8Array(offset + n + 3).map(() => rnd(256));
      const before = Uint8Array.from(buf);
      lumaToCodes(buf.subarray(offset, offset + n), table, a, b);
      const want = before.map((y, i) => (i >= offset + a && i < offset + b ? table[y] : y));
      assert.deepEqual(buf, want, `${w}x${h}+${offset} pixels ${a}-${b}`);
    }
  }
});
