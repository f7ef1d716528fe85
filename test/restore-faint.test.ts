// The faint defects (src/restore/hairlines.ts, src/restore/flicker-regions.ts): what is found and
// taken out, and what real content and real lighting changes keep, on synthetic planes with
// known truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HairlineDetector } from '../src/restore/hairlines.js';
import { RESTORE_PRESETS } from '../src/restore/options.js';
import { movingScene, gauss, rng } from './helpers/synthetic.js';

const AUTO = RESTORE_PRESETS.auto;

function meanAbsColumn(x: Float32Array, ref: Float32Array, w: number, h: number, col: number): number {
  let s = 0;
  for (let y = 0; y < h; y++) s += Math.abs(x[y * w + col] - ref[y * w + col]);
  return s / h;
}

test('hairlines: a faint 1-px line down the frame is taken out; grain, edges and short poles are not touched', () => {
  const W = 160, H = 120, N = W * H;
  const cases: { name: string; line: { x: number; contrast: number; rows?: [number, number] } | null; edge: boolean; found: boolean }[] = [
    { name: 'bright hairline, 3 L', line: { x: 70, contrast: 3 }, edge: false, found: true },
    { name: 'dark hairline, 2.5 L', line: { x: 111, contrast: -2.5 }, edge: false, found: true },
    { name: 'grain only', line: null, edge: false, found: false },
    { name: 'a vertical edge', line: null, edge: true, found: false },
    { name: 'a thin pole in the upper third only', line: { x: 90, contrast: 12, rows: [0, 40] }, edge: false, found: false },
  ];
  for (const c of cases) {
    const det = new HairlineDetector(W, H);
    const r = rng(11);
    const clean = movingScene(W, H, 3);
    for (let i = 0; i < N; i++) clean[i] += 1.5 * gauss(r);
    if (c.edge) for (let i = 0; i < N; i++) if (i % W >= 100) clean[i] += 20;
    const L = clean.slice();
    if (c.line) {
      const [y0, y1] = c.line.rows ?? [0, H];
      for (let y = y0; y < y1; y++) L[y * W + c.line.x] += c.line.contrast;
    }
    const truth = c.line?.rows ? L.slice() : clean;
    const before = c.line ? meanAbsColumn(L, truth, W, H, c.line.x) : 0;
    const res = det.repair(L, AUTO.scratches!);
    if (c.found) {
      const after = meanAbsColumn(L, clean, W, H, c.line!.x);
      assert.ok(res.columns >= 1, `${c.name}: not found`);
      assert.ok(after < 0.4 * before, `${c.name}: column error ${before.toFixed(2)} -> ${after.toFixed(2)} L`);
    } else {
      assert.equal(res.pixels, 0, `${c.name}: ${res.pixels} pixels changed in ${res.columns} columns`);
    }
  }
});
