// The WebAssembly SIMD composition against the exact reference conversion and the JS path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simdComposer } from '../src/color/compose-simd.js';
import { composeLab, composeLabGray, makeUpsampleMap, labToSrgb, srgbToLab, rgbToL } from '../src/color/lab.js';
import { rgbToYuv420Rows } from '../src/color/yuv.js';
import { composeBand } from '../src/color/compose-band.js';

const simd = simdComposer();

test('SIMD is available on this Node (WebAssembly SIMD)', () => {
  assert.ok(simd, 'simdComposer() returned null');
});

test('SIMD composition of an L plane matches labToSrgb within one code, any width', () => {
  for (const [w, h] of [[16, 8], [13, 7], [5, 3], [1, 1]]) {
    const n = w * h;
    const L = new Float32Array(n), ab = new Float32Array(2 * n);
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < n; i++) {
      L[i] = rnd() * 100;
      ab[i] = rnd() * 220 - 110;
      ab[n + i] = rnd() * 220 - 110;
    }
    const out = new Uint8Array(n * 3);
    simd!.compose(L, null, ab, w, h, w, h, makeUpsampleMap(w, h, w, h), out);
    for (let i = 0; i < n; i++) {
      const ref = labToSrgb(L[i], ab[i], ab[n + i]).map((v) => Math.round(Math.min(255, Math.max(0, v))));
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(out[3 * i + c] - ref[c]) <= 1, `${w}x${h} pixel ${i} ch ${c}: ${out[3 * i + c]} vs ${ref[c]}`);
    }
  }
});

test('SIMD composition from gray codes equals the JS paths (upsampled ab, in place)', () => {
  const w = 203, h = 37, aw = 51, ah = 10;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) rgb.fill((i * 29 + (i / w) * 3) & 255, 3 * i, 3 * i + 3);
  const ab = new Float32Array(2 * aw * ah).map((_, i) => 70 * Math.sin(i / 5));
  const map = makeUpsampleMap(w, h, aw, ah);
  const L = new Float32Array(w * h);
  rgbToL(rgb, L, w * h);
  const jsFloat = new Uint8Array(rgb.length), jsGray = new Uint8Array(rgb.length);
  composeLab(L, ab, aw, ah, w, h, map, jsFloat);
  composeLabGray(rgb, ab, aw, ah, w, h, map, jsGray);
  assert.deepEqual(jsGray, jsFloat);
  const inPlace = Uint8Array.from(rgb);
  simd!.compose(null, inPlace, ab, aw, ah, w, h, map, inPlace);
  let off = 0;
  for (let i = 0; i < rgb.length; i++) {
    const d = Math.abs(inPlace[i] - jsFloat[i]);
    assert.ok(d <= 1, `byte ${i}: ${inPlace[i]} vs ${jsFloat[i]}`);
    if (d) off++;
  }
  assert.ok(off < rgb.length * 0.01, `${off} bytes differ by one`);
});

test('SIMD keeps a gray frame gray where ab = 0 and reproduces colours from their own Lab', () => {
  const w = 8, h = 4;
  const rgb = new Uint8Array(w * h * 3), L = new Float32Array(w * h), ab = new Float32Array(2 * w * h);
  for (let i = 0; i < w * h; i++) {
    const c = [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256];
    rgb.set(c, 3 * i);
    const lab = srgbToLab(c[0], c[1], c[2]);
    L[i] = lab[0];
    ab[i] = lab[1];
    ab[w * h + i] = lab[2];
  }
  const out = new Uint8Array(rgb.length);
  simd!.compose(L, null, ab, w, h, w, h, makeUpsampleMap(w, h, w, h), out);
  for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i] - rgb[i]) <= 1, `byte ${i}`);
  const gray = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) gray.fill(v, 3 * v, 3 * v + 3);
  const g2 = Uint8Array.from(gray);
  simd!.compose(null, g2, new Float32Array(2 * 16 * 16), 16, 16, 16, 16, makeUpsampleMap(16, 16, 16, 16), g2);
  assert.deepEqual(g2, gray);
});

test('resampling gray codes (SIMD rows, and the JS path) equals resampling their L plane', async () => {
  const { PlaneResampler } = await import('../src/color/resample.js');
  const { GRAY_TO_L, grayRgbToL } = await import('../src/color/lab.js');
  for (const [w, h, ow, oh] of [[643, 481, 344, 256], [1921, 1079, 456, 256], [30, 22, 64, 48]]) {
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) rgb.fill((i * 13 + ((i / w) | 0) * 7) & 255, 3 * i, 3 * i + 3);
    const L = new Float32Array(w * h);
    grayRgbToL(rgb, L, w * h);
    const r = new PlaneResampler(w, h, ow, oh);
    const ref = new Float32Array(ow * oh), simd = new Float32Array(ow * oh), js = new Float32Array(ow * oh);
    r.run(L, ref);
    r.runCodes(rgb, 3, GRAY_TO_L, simd);
    r.runCodes(rgb, 3, GRAY_TO_L, simd); // a second frame through the same resampler
    const codes = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) codes[i] = rgb[3 * i];
    r.runCodes(codes, 1, GRAY_TO_L, js);
    for (let i = 0; i < ref.length; i++) {
      assert.ok(Math.abs(simd[i] - ref[i]) < 1e-3, `${w}x${h} simd ${i}: ${simd[i]} vs ${ref[i]}`);
      assert.ok(Math.abs(js[i] - ref[i]) < 1e-3, `${w}x${h} js ${i}: ${js[i]} vs ${ref[i]}`);
    }
  }
});

test('SIMD yuv420p output is the JS conversion of the SIMD rgb24, byte for byte (widths off the 8-pixel step, bands, all three sources)', () => {
  const simdYuv = simdComposer()!;
  // [width, height, ab width, ab height, band from, band to]
  const cases: Array<[number, number, number, number, number, number]> = [
    [16, 8, 4, 2, 0, 8], [18, 6, 5, 2, 0, 6], [22, 10, 6, 3, 2, 8], [30, 4, 8, 1, 0, 4], [2, 2, 1, 1, 0, 2],
    [1920, 1080, 64, 36, 0, 1080], [642, 482, 48, 36, 240, 482], [1282, 722, 80, 45, 0, 360],
  ];
  let seed = 5;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (const [w, h, aw, ah, from, to] of cases) {
    const n = w * h;
    const L = new Float32Array(n).map(() => rnd() * 100);
    // Wide ab: saturated colours, so codes 0 and 255 show up in every channel.
    const ab = new Float32Array(2 * aw * ah).map(() => rnd() * 260 - 130);
    const codes = new Uint8Array(n).map(() => rnd() * 256);
    const map = makeUpsampleMap(w, h, aw, ah);
    for (const source of ['float', 'codes', 'gray'] as const) {
      const rgbIn = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) rgbIn.fill(codes[i], 3 * i, 3 * i + 3);
      const [l, input, stride] = source === 'float' ? [L, null, 3 as const] : source === 'codes' ? [null, codes, 1 as const] : [null, rgbIn, 3 as const];
      const rgb = new Uint8Array(n * 3);
      simdYuv.compose(l, input && Uint8Array.from(input), ab, aw, ah, w, h, map, rgb, from, to, 'rgb24', stride);
      const want = new Uint8Array((n * 3) / 2), got = new Uint8Array((n * 3) / 2);
      rgbToYuv420Rows(rgb.subarray(from * w * 3), 0, w, h, from, to - from, want);
      simdYuv.compose(l, input && Uint8Array.from(input), ab, aw, ah, w, h, map, got, from, to, 'yuv420p', stride);
      let differ = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) differ++;
      assert.equal(differ, 0, `${w}x${h} rows ${from}-${to} from ${source}: ${differ} bytes differ`);
      if (source === 'float' && w === 1920) {
        const seen = new Set(rgb.subarray(from * w * 3, to * w * 3));
        assert.ok(seen.has(0) && seen.has(255), 'the frame reaches both ends of the code range');
      }
    }
  }
});

test('composition of a luma plane through a Y -> code table equals composing the codes themselves (SIMD and JS, rgb24 and yuv420p)', () => {
  const simdYuv = simdComposer()!;
  const yToCode = Uint8Array.from({ length: 256 }, (_, y) => Math.max(0, Math.min(255, Math.round(((y - 16) * 255) / 219))));
  const reversed = Uint8Array.from(yToCode, (c) => 255 - c);
  for (const [w, h, aw, ah] of [[22, 10, 6, 3], [646, 362, 40, 23]]) {
    const n = w * h;
    const Y = new Uint8Array(n).map((_, i) => (i * 37 + ((i / w) | 0) * 11) & 255);
    const ab = new Float32Array(2 * aw * ah).map((_, i) => 90 * Math.sin(i / 3));
    const map = makeUpsampleMap(w, h, aw, ah);
    // Two tables in turn: the module's luma tables follow the table's content.
    for (const table of [yToCode, reversed, yToCode]) {
      const codes = Uint8Array.from(Y, (y) => table[y]);
      for (const [fmt, bytes] of [['rgb24', n * 3], ['yuv420p', (n * 3) / 2]] as const) {
        const want = new Uint8Array(bytes), got = new Uint8Array(bytes);
        simdYuv.compose(null, codes, ab, aw, ah, w, h, map, want, 0, h, fmt, 1);
        simdYuv.compose(null, Y, ab, aw, ah, w, h, map, got, 0, h, fmt, 1, Uint8Array.from(table));
        assert.ok(Buffer.from(got).equals(Buffer.from(want)), `${w}x${h} ${fmt}`);
        // The JS path (no SIMD) the same way.
        const jsWant = new Uint8Array(bytes), jsGot = new Uint8Array(bytes);
        composeBand(null, null, codes, 1, ab, aw, ah, w, h, map, jsWant, fmt);
        composeBand(null, null, Y, 1, ab, aw, ah, w, h, map, jsGot, fmt, 0, h, table);
        assert.ok(Buffer.from(jsGot).equals(Buffer.from(jsWant)), `${w}x${h} ${fmt}, JS path`);
      }
    }
  }
});
