import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rasterizeHints, toInputPixels, toModelPixels, type HintGeometry, type RasterHint } from '../src/hints/rasterize.js';

/** The model pixels a case expects hinted: [x0, y0, x1, y1] inclusive, with the hint's ab. */
type Rect = { box: [number, number, number, number]; ab: [number, number] };

/** Planes a frame with the given rectangles should have (later rectangles win). */
function expected(W: number, H: number, rects: Rect[]): Float32Array {
  const hw = W * H, out = new Float32Array(3 * hw);
  out.fill(-0.5, 2 * hw);
  for (const { box: [x0, y0, x1, y1], ab } of rects) {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
      out[y * W + x] = ab[0] / 110;
      out[hw + y * W + x] = ab[1] / 110;
      out[2 * hw + y * W + x] = 0.5;
    }
  }
  return out;
}

const g640: HintGeometry = { inputWidth: 640, inputHeight: 480, modelWidth: 192, modelHeight: 144 };
const g10: HintGeometry = { inputWidth: 10, inputHeight: 10, modelWidth: 10, modelHeight: 10, defaultSize: 3 };
const red: [number, number] = [55, 44];
const blue: [number, number] = [-22, -66];

test('hints become a/110, b/110, mask - 0.5 patches at model resolution', () => {
  const cases: { name: string; g: HintGeometry; hints: RasterHint[]; rects: Rect[] }[] = [
    { name: 'no hints', g: g640, hints: [], rects: [] },
    // 1:1: a 3-px patch centred on the pixel
    { name: 'one centred patch', g: g10, hints: [{ x: 5, y: 4, ab: red }], rects: [{ box: [4, 3, 6, 5], ab: red }] },
    { name: 'size 1', g: g10, hints: [{ x: 2, y: 7, ab: red, size: 1 }], rects: [{ box: [2, 7, 2, 7], ab: red }] },
    { name: 'even size 4 leans right/down', g: g10, hints: [{ x: 5, y: 5, ab: red, size: 4 }], rects: [{ box: [4, 4, 7, 7], ab: red }] },
    { name: 'clipped at the top-left corner, not shifted', g: g10, hints: [{ x: 0, y: 0, ab: red, size: 5 }], rects: [{ box: [0, 0, 2, 2], ab: red }] },
    { name: 'clipped at the bottom-right corner', g: g10, hints: [{ x: 9, y: 9, ab: blue }], rects: [{ box: [8, 8, 9, 9], ab: blue }] },
    {
      name: 'later hint wins the overlap', g: g10,
      hints: [{ x: 3, y: 3, ab: red, size: 5 }, { x: 5, y: 5, ab: blue }],
      rects: [{ box: [1, 1, 5, 5], ab: red }, { box: [4, 4, 6, 6], ab: blue }],
    },
    {
      name: 'order matters: the other way round', g: g10,
      hints: [{ x: 5, y: 5, ab: blue }, { x: 3, y: 3, ab: red, size: 5 }],
      rects: [{ box: [4, 4, 6, 6], ab: blue }, { box: [1, 1, 5, 5], ab: red }],
    },
    { name: 'patch wholly off the frame leaves nothing', g: g10, hints: [{ x: -5, y: 4, ab: red }], rects: [] },
    // 640x480 -> 192x144 (scale 0.3): the default side 10 input px -> 3 model px; pixel 320 -> 95.65
    { name: 'default size scales to model pixels', g: g640, hints: [{ x: 320, y: 240, ab: red }], rects: [{ box: [95, 71, 97, 73], ab: red }] },
    { name: 'explicit size 20 -> 6 model px', g: g640, hints: [{ x: 100, y: 50, ab: blue, size: 20 }], rects: [{ box: [27, 12, 32, 17], ab: blue }] },
    { name: 'tiny size still marks one pixel', g: g640, hints: [{ x: 639, y: 479, ab: red, size: 1 }], rects: [{ box: [191, 143, 191, 143], ab: red }] },
    // anisotropic: 200x100 -> 50x50 scales x by 0.25, y by 0.5
    {
      name: 'each axis scales on its own', g: { inputWidth: 200, inputHeight: 100, modelWidth: 50, modelHeight: 50 },
      hints: [{ x: 100, y: 50, ab: red, size: 8 }], rects: [{ box: [24, 23, 25, 26], ab: red }],
    },
  ];
  for (const { name, g, hints, rects } of cases) {
    const out = new Float32Array(3 * g.modelWidth * g.modelHeight).fill(123); // stale contents must go
    rasterizeHints(hints, g, out);
    const want = expected(g.modelWidth, g.modelHeight, rects);
    for (let i = 0; i < want.length; i++) {
      if (Math.abs(out[i] - want[i]) > 1e-6) assert.fail(`${name}: value ${i} (plane ${Math.floor(i / (g.modelWidth * g.modelHeight))}) is ${out[i]}, expected ${want[i]}`);
    }
  }
});

test('the buffer is the caller\'s: reused across frames, refused when too small', () => {
  const out = new Float32Array(3 * 100);
  rasterizeHints([{ x: 5, y: 5, ab: red }], g10, out);
  rasterizeHints([], g10, out);
  assert.deepEqual(out, expected(10, 10, []));
  assert.throws(() => rasterizeHints([], g10, new Float32Array(299)), /hint planes need 300 floats, got 299/);
});

test('input and model pixel coordinates map centre to centre, and back', () => {
  const cases: [number, number, number][] = [
    // input coordinate, scale (model / input), model coordinate
    [0, 1, 0], [9, 1, 9], [320, 0.3, 95.65], [-0.5, 0.3, -0.5], [639.5, 0.3, 191.5], [1.5, 0.5, 0.5], [0.5, 0.5, 0],
  ];
  for (const [input, scale, model] of cases) {
    assert.ok(Math.abs(toModelPixels(input, scale) - model) < 1e-9, `${input} at ${scale}`);
    assert.ok(Math.abs(toInputPixels(model, scale) - input) < 1e-9, `back from ${model} at ${scale}`);
  }
});
