// Hint tracks (src/hints/hint-tracks.ts) on synthetic planes with known motion: a textured object,
// a plain one (its centre has no texture: it must follow its ring's median), a plain picture (it
// coasts, then is lost as weak), both directions from a middle frame, and spans kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trackAt, trackHints, type TrackSpec } from '../src/hints/hint-tracks.js';
import { fractalNoise } from './helpers/synthetic.js';

const W = 96, H = 72;

/** Planes of a background texture with a SIDE-px object whose left edge is at left(t), row 20. */
function scene(frames: number, left: (t: number) => number, o: { side?: number; plainObject?: boolean; plainAll?: boolean } = {}) {
  const side = o.side ?? 20;
  return Array.from({ length: frames }, (_, t) => {
    const p = new Uint8Array(W * H);
    const ox = left(t);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      let v = o.plainAll ? 90 : 40 + 120 * fractalNoise(x, y, 3);
      const inside = !o.plainAll && x >= ox && x < ox + side && y >= 20 && y < 20 + side;
      if (inside) v = o.plainObject || o.plainAll ? 200 : 150 + 90 * fractalNoise(x - ox, y - 20, 9);
      p[y * W + x] = Math.round(Math.min(255, v));
    }
    return p;
  });
}
const reader = (planes: Uint8Array[]) => async (i: number) => planes[i];

const CASES: { name: string; planes: Uint8Array[]; spec: TrackSpec; truth: (t: number) => number; tolerance: number; lostFrom?: number }[] = [
  { name: 'a textured object, forwards', planes: scene(30, (t) => 10 + 1.5 * t), spec: { start: 0, first: 0, last: 29, x: 20, y: 30 }, truth: (t) => 20 + 1.5 * t, tolerance: 1 },
  { name: 'a textured object, both ways from frame 15', planes: scene(30, (t) => 10 + 1.5 * t), spec: { start: 15, first: 0, last: 29, x: 42.5, y: 30 }, truth: (t) => 20 + 1.5 * t, tolerance: 1 },
  { name: 'a plain 24-px object on texture: its rings follow it', planes: scene(30, (t) => 8 + t, { side: 24, plainObject: true }), spec: { start: 0, first: 0, last: 29, x: 20, y: 32 }, truth: (t) => 20 + t, tolerance: 3 },
  { name: 'a span of frames 0..9 only', planes: scene(30, (t) => 10 + t), spec: { start: 0, first: 0, last: 9, x: 20, y: 30 }, truth: (t) => 20 + t, tolerance: 1 },
  { name: 'a plain picture: coasts 10 frames, then lost as weak', planes: scene(30, () => 30, { plainAll: true }), spec: { start: 0, first: 0, last: 29, x: 40, y: 30 }, truth: () => 40, tolerance: 0.01, lostFrom: 11 },
];

for (const c of CASES) {
  test(`hint tracks: ${c.name}`, async () => {
    const [track] = await trackHints([c.spec], W, H, reader(c.planes));
    const lastAlive = c.lostFrom !== undefined ? c.lostFrom - 1 : c.spec.last;
    assert.equal(track.first, c.spec.first);
    assert.equal(track.last, lastAlive);
    for (let t = c.spec.first; t <= lastAlive; t++) {
      const at = trackAt(track, t)!;
      assert.ok(Math.abs(at[0] - c.truth(t)) <= c.tolerance && Math.abs(at[1] - c.spec.y) <= c.tolerance, `frame ${t}: ${at} vs ${c.truth(t)}`);
    }
    assert.equal(trackAt(track, lastAlive + 1), null);
    if (c.lostFrom !== undefined) assert.deepEqual(track.lost, [{ frame: c.lostFrom, direction: 'forward', reason: 'weak' }]);
    else assert.deepEqual(track.lost, []);
  });
}

test('hint tracks: a point that leaves the frame is lost there, and hints placed on one frame share a pass', async () => {
  const planes = scene(30, (t) => 50 + 3 * t);
  const [gone, stays] = await trackHints([
    { start: 0, first: 0, last: 29, x: 60, y: 30 },
    { start: 0, first: 0, last: 29, x: 20, y: 60 },
  ], W, H, reader(planes));
  assert.equal(gone.lost.length, 1);
  assert.equal(gone.lost[0].direction, 'forward');
  assert.ok(gone.lost[0].frame <= 13, `lost at ${gone.lost[0].frame} (the point reaches x = 95 at frame 11.7)`);
  assert.equal(stays.last, 29);
});
