import { test } from 'node:test';
import assert from 'node:assert/strict';
import { srgbToLab, labToSrgb, rgbToL, composeLab, makeUpsampleMap } from '../src/color/lab.js';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

test('sRGB red, green, blue, white and black have the published Lab values', () => {
  const cases: [number[], number[]][] = [
    [[255, 0, 0], [53.24, 80.09, 67.2]],
    [[0, 255, 0], [87.73, -86.18, 83.18]],
    [[0, 0, 255], [32.3, 79.19, -107.86]],
    [[255, 255, 255], [100, 0, 0]],
    [[0, 0, 0], [0, 0, 0]],
  ];
  for (const [rgb, lab] of cases) {
    const got = srgbToLab(rgb[0], rgb[1], rgb[2]);
    for (let i = 0; i < 3; i++) close(got[i], lab[i], 0.02, `${rgb} channel ${i}`);
  }
});

test('Lab -> sRGB inverts sRGB -> Lab across the cube', () => {
  for (let r = 0; r < 256; r += 15) for (let g = 0; g < 256; g += 17) for (let b = 0; b < 256; b += 19) {
    const [L, a, bb] = srgbToLab(r, g, b);
    const back = labToSrgb(L, a, bb);
    close(back[0], r, 1e-6 * 255 + 1e-3, 'r');
    close(back[1], g, 1e-3, 'g');
    close(back[2], b, 1e-3, 'b');
  }
});

test('rgbToL matches the exact conversion; gray frames take the exact path', () => {
  const n = 4096;
  const rgb = new Uint8Array(n * 3);
  let seed = 7;
  for (let i = 0; i < rgb.length; i++) rgb[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 255;
  const L = new Float32Array(n);
  assert.equal(rgbToL(rgb, L, n), false);
  for (let i = 0; i < n; i++) close(L[i], srgbToLab(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2])[0], 1e-3, `pixel ${i}`);

  const gray = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) gray.fill(v, 3 * v, 3 * v + 3);
  const Lg = new Float32Array(256);
  assert.equal(rgbToL(gray, Lg, 256), true);
  for (let v = 0; v < 256; v++) close(Lg[v], srgbToLab(v, v, v)[0], 1e-4, `gray ${v}`);
});

test('composeLab reproduces the original colours from their L and ab', () => {
  const w = 16, h = 8;
  const rgb = new Uint8Array(w * h * 3);
  const L = new Float32Array(w * h);
  const ab = new Float32Array(2 * w * h);
  for (let i = 0; i < w * h; i++) {
    const c = [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256];
    rgb.set(c, 3 * i);
    const lab = srgbToLab(c[0], c[1], c[2]);
    L[i] = lab[0];
    ab[i] = lab[1];
    ab[w * h + i] = lab[2];
  }
  const out = new Uint8Array(w * h * 3);
  composeLab(L, ab, w, h, w, h, makeUpsampleMap(w, h, w, h), out);
  for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i] - rgb[i]) <= 1, `byte ${i}: ${out[i]} vs ${rgb[i]}`);
});

test('composeLab upsamples a constant ab plane to a constant colour and keeps L', () => {
  const w = 40, h = 30, aw = 10, ah = 8;
  const L = new Float32Array(w * h).fill(60);
  const ab = new Float32Array(2 * aw * ah);
  ab.fill(30, 0, aw * ah);
  ab.fill(-20, aw * ah);
  const out = new Uint8Array(w * h * 3);
  composeLab(L, ab, aw, ah, w, h, makeUpsampleMap(w, h, aw, ah), out);
  const expect = labToSrgb(60, 30, -20).map((v) => Math.round(Math.min(255, Math.max(0, v))));
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) assert.ok(Math.abs(out[3 * i + c] - expect[c]) <= 1);
});
