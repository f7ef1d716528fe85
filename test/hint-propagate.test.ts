// Hint propagation (src/hints/propagate.ts): where a hint's colour reaches, and where it stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HintPropagator } from '../src/hints/propagate.js';
import { noHintPlanes } from '../src/core/model-contract.js';

const w = 12, h = 8, f = 4, W = w * f, H = h * f;

/** Model-resolution planes with square hints (model pixels), L from a function of the model pixel. */
function scene(hints: { x: number; y: number; ab: [number, number] }[], L: (x: number, y: number) => number) {
  const planes = noHintPlanes(W, H);
  const modelL = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) modelL[y * W + x] = L(x, y);
  for (const p of hints) {
    for (let y = p.y; y < p.y + 2; y++) for (let x = p.x; x < p.x + 2; x++) {
      planes[y * W + x] = p.ab[0] / 110; planes[W * H + y * W + x] = p.ab[1] / 110; planes[2 * W * H + y * W + x] = 0.5;
    }
  }
  return { planes, modelL, ab: new Float32Array(2 * w * h) };
}
const a = (ab: Float32Array, x: number, y: number) => ab[y * w + x];

const p = new HintPropagator();
const flat = () => 50;
const cases: { name: string; check: () => void }[] = [
    { name: 'no hint leaves ab untouched', check: () => {
      const s = scene([], flat);
      s.ab.fill(3);
      assert.equal(p.apply(s.ab, w, h, s.planes, s.modelL, W, H), false);
      assert.ok(s.ab.every((v) => v === 3));
    } },
    { name: 'the hinted cell takes the hint colour; the pull fades with distance', check: () => {
      const s = scene([{ x: 4, y: 4, ab: [60, -20] }], flat);
      p.apply(s.ab, w, h, s.planes, s.modelL, W, H, { reach: 4, edgeCost: 0.3 });
      assert.ok(Math.abs(a(s.ab, 1, 1) - 60) < 1e-4);
      assert.ok(Math.abs(s.ab[w * h + w + 1] + 20) < 1e-4);
      assert.ok(a(s.ab, 3, 1) > a(s.ab, 6, 1) && a(s.ab, 6, 1) > a(s.ab, 11, 1) && a(s.ab, 11, 1) > 0);
    } },
    { name: 'an edge in L stops the hint', check: () => {
      const s = scene([{ x: 4, y: 4, ab: [60, 0] }], (x) => (x < 6 * f ? 30 : 80));
      p.apply(s.ab, w, h, s.planes, s.modelL, W, H, { reach: 4, edgeCost: 0.3 });
      // cells 5 and 6 are one step apart, but 6 is across a 50-unit edge
      assert.ok(a(s.ab, 5, 1) > 5 * a(s.ab, 6, 1), `${a(s.ab, 5, 1)} vs ${a(s.ab, 6, 1)}`);
    } },
    { name: 'each cell takes its nearest hint', check: () => {
      const s = scene([{ x: 0, y: 16, ab: [50, 0] }, { x: W - 2, y: 16, ab: [-50, 0] }], flat);
      p.apply(s.ab, w, h, s.planes, s.modelL, W, H, { reach: 100, edgeCost: 0 });
      assert.ok(a(s.ab, 1, 4) > 40 && a(s.ab, w - 2, 4) < -40);
    } },
    { name: 'a saturated hint stays on its own lightness; a near-neutral one spreads over the same ramp', check: () => {
      // A smooth ramp (no edge to stop at): L from 30 to 85 across the frame.
      const ramp = (x: number) => 30 + (55 * x) / W;
      const pull = (ab: [number, number]) => {
        const s = scene([{ x: 4, y: 16, ab }], ramp);
        p.apply(s.ab, w, h, s.planes, s.modelL, W, H, { reach: 100, edgeCost: 0, lightnessChroma: 200 });
        return a(s.ab, w - 1, 4) / ab[0];
      };
      const saturated = pull([60, 0]), neutral = pull([6, 0]);
      assert.ok(neutral > 0.15 && saturated < 0.001, `neutral ${neutral}, saturated ${saturated}`);
    } },
    { name: 'lightnessChroma Infinity turns the gate off', check: () => {
      const s = scene([{ x: 4, y: 16, ab: [60, 0] }], (x) => 30 + (55 * x) / W);
      p.apply(s.ab, w, h, s.planes, s.modelL, W, H, { reach: 100, edgeCost: 0, lightnessChroma: Infinity });
      assert.ok(Math.abs(a(s.ab, w - 1, 4) / 60 - Math.exp(-10 / 100)) < 1e-3, String(a(s.ab, w - 1, 4)));
    } },
    { name: "with the unhinted prediction given, the net's hinted change stays near the hint", check: () => {
      // The net painted the whole frame with the hint's colour; unhinted it predicted 0 everywhere.
      const s = scene([{ x: 4, y: 16, ab: [60, 0] }], flat);
      s.ab.fill(60);
      const base = new Float32Array(2 * w * h);
      p.apply(s.ab, w, h, s.planes, s.modelL, W, H, { reach: 2, edgeCost: 0, netReach: 3 }, base);
      const far = a(s.ab, w - 1, 4), near = a(s.ab, 2, 4);
      // Far cell: net change exp(-10/3) of 60 (~2.1), then the seed pull exp(-10/2) towards 60.
      const kn = Math.exp(-10 / 3), k = Math.exp(-10 / 2);
      assert.ok(Math.abs(far - (60 * kn + k * (60 - 60 * kn))) < 1e-3, String(far));
      assert.ok(near > 40 && far < 5, `near ${near}, far ${far}`);
    } },
    { name: 'with the unhinted prediction given, a frame without hints keeps the hinted ab untouched', check: () => {
      const s = scene([], flat);
      s.ab.fill(7);
      assert.equal(p.apply(s.ab, w, h, s.planes, s.modelL, W, H, {}, new Float32Array(2 * w * h)), false);
      assert.ok(s.ab.every((v) => v === 7));
    } },
];
for (const c of cases) test(`hint propagation: ${c.name}`, c.check);
