import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOST_FORWARD_BACKWARD, LOST_MISMATCH, LOST_OUTSIDE, LOST_WEAK, PointTracker, TRACK_KEPT, createTrackResult, type Plane, type TrackerOptions,
} from '../src/motion/track-points.js';
import { fractalNoise, valueNoise } from './helpers/synthetic.js';

const W = 192, H = 144;

/** A W x H L* plane (0..100) from a function of the pixel. */
function plane(f: (x: number, y: number) => number): Float32Array {
  const p = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) p[y * W + x] = f(x, y);
  return p;
}
/** The background texture, its content moved by (dx, dy). */
const moved = (dx: number, dy: number, seed = 3) => (x: number, y: number) => 100 * fractalNoise(x - dx, y - dy, seed);
const toBytes = (p: Float32Array): Uint8Array => Uint8Array.from(p, (v) => Math.round(v * 2.55));

/** A grid of points at least `margin` px inside the frame. */
function grid(step: number, margin: number): number[] {
  const pts: number[] = [];
  for (let y = margin; y <= H - 1 - margin; y += step) for (let x = margin; x <= W - 1 - margin; x += step) pts.push(x, y);
  return pts;
}

function trackPair(a: Plane, b: Plane, pts: number[], options: TrackerOptions = {}, guesses?: number[]) {
  const t = new PointTracker(W, H, options);
  t.pushFrame(a);
  t.pushFrame(b);
  return t.track(pts, createTrackResult(pts.length / 2), pts.length / 2, guesses);
}

test('known sub-pixel translations are recovered to < 0.3 px at every point', () => {
  const cases: { shift: [number, number]; bytes?: boolean }[] = [
    { shift: [3.4, -2.1] },
    { shift: [3.4, -2.1], bytes: true },
    { shift: [0.5, 0.25] },
    { shift: [-7.8, 5.3] },
    { shift: [12.6, -9.2] }, // needs the pyramid: beyond one window at full size
    { shift: [0, 0] },
  ];
  const pts = grid(12, 20);
  for (const { shift: [dx, dy], bytes } of cases) {
    let a: Plane = plane(moved(0, 0)), b: Plane = plane(moved(dx, dy));
    if (bytes) [a, b] = [toBytes(a as Float32Array), toBytes(b as Float32Array)];
    const r = trackPair(a, b, pts);
    let worst = 0, kept = 0;
    for (let i = 0; i < pts.length / 2; i++) {
      if (r.lost[i] !== TRACK_KEPT) continue;
      kept++;
      worst = Math.max(worst, Math.hypot(r.points[2 * i] - pts[2 * i] - dx, r.points[2 * i + 1] - pts[2 * i + 1] - dy));
    }
    const name = `shift (${dx}, ${dy})${bytes ? ' on 8-bit planes' : ''}`;
    assert.ok(kept >= 0.95 * (pts.length / 2), `${name}: kept ${kept} of ${pts.length / 2}`);
    assert.ok(worst < 0.3, `${name}: worst error ${worst.toFixed(3)} px`);
  }
});

test('points are lost when they leave, are covered, sit on nothing or on a straight edge', () => {
  const covered = (x: number, y: number) => x >= 60 && x < 100 && y >= 50 && y < 90;
  const flat = (x: number, y: number) => x >= 40 && x < 120 && y >= 30 && y < 110;
  const cases: { name: string; a: (x: number, y: number) => number; b: (x: number, y: number) => number; point: [number, number]; want: number[] }[] = [
    { name: 'control: an open point', a: moved(0, 0), b: moved(2, 1), point: [30, 30], want: [TRACK_KEPT] },
    { name: 'leaves the frame on the right', a: moved(0, 0), b: moved(10, 0), point: [W - 4, 70], want: [LOST_OUTSIDE] },
    { name: 'leaves the frame at the top', a: moved(0, 0), b: moved(0, -9), point: [90, 5], want: [LOST_OUTSIDE] },
    // a static object of another texture slides in front: where the point went is not where it came from
    { name: 'occluded by a textured object', a: moved(0, 0), b: (x, y) => (covered(x, y) ? 100 * fractalNoise(x, y, 77) : moved(2, 1)(x, y)), point: [80, 70], want: [LOST_FORWARD_BACKWARD] },
    { name: 'occluded by a flat object', a: moved(0, 0), b: (x, y) => (covered(x, y) ? 50 : moved(2, 1)(x, y)), point: [80, 70], want: [LOST_WEAK, LOST_FORWARD_BACKWARD] },
    { name: 'a blank region', a: (x, y) => (flat(x, y) ? 40 : moved(0, 0)(x, y)), b: (x, y) => (flat(x, y) ? 40 : moved(2, 1)(x, y)), point: [80, 70], want: [LOST_WEAK] },
    { name: 'a straight edge (aperture)', a: (x) => (x < 96 ? 20 : 80), b: (x) => (x < 98 ? 20 : 80), point: [96, 70], want: [LOST_WEAK] },
  ];
  for (const { name, a, b, point, want } of cases) {
    const r = trackPair(plane(a), plane(b), point);
    assert.ok(want.includes(r.lost[0]), `${name}: status ${r.lost[0]}, expected ${want.join(' or ')} (at ${r.points[0]}, ${r.points[1]}, FB ${r.fbError[0]})`);
    if (r.lost[0] !== TRACK_KEPT) assert.ok(Number.isNaN(r.points[0]) && Number.isNaN(r.points[1]), `${name}: a lost point has no position`);
  }
});

test('a covering texture that fools the forward-backward check fails the correlation check', () => {
  // fine texture only: a point inside the cover can settle on the cover's texture consistently both ways
  const fine = (x: number, y: number, seed: number) => 0.6 * valueNoise(x / 5, y / 5, seed) + 0.4 * valueNoise(x / 2.3, y / 2.3, seed + 6);
  const covered = (x: number, y: number) => x >= 60 && x < 100 && y >= 50 && y < 90;
  const a = plane((x, y) => 100 * fine(x, y, 3));
  const b = plane((x, y) => (covered(x, y) ? 100 * fine(x, y, 77) : 100 * fine(x - 2, y - 1, 3)));
  const pts: number[] = [];
  for (let y = 60; y <= 80; y += 5) for (let x = 70; x <= 90; x += 5) pts.push(x, y); // windows wholly covered
  const kept = (options: TrackerOptions) => trackPair(a, b, pts, options).lost.filter((s) => s === TRACK_KEPT).length;
  const cases: { name: string; options: TrackerOptions; most: number; least?: number }[] = [
    { name: 'forward-backward alone', options: { minCorrelation: -1 }, most: 49, least: 8 },
    { name: 'with the correlation check (default)', options: {}, most: 6 },
  ];
  for (const { name, options, most, least = 0 } of cases) {
    const n = kept(options);
    assert.ok(n <= most && n >= least, `${name}: ${n} of ${pts.length / 2} covered points kept`);
  }
  const r = trackPair(a, b, pts);
  assert.ok(r.lost.includes(LOST_MISMATCH) && r.lost.includes(LOST_FORWARD_BACKWARD));
});

test('flicker (gain and offset) does not lose points; a guess finds motion beyond the pyramid', () => {
  const a = plane(moved(0, 0));
  const cases: { name: string; b: Float32Array; guesses?: number[]; want: number; shift: [number, number] }[] = [
    { name: 'gain 0.8, offset +10', b: plane((x, y) => 0.8 * moved(2, 1)(x, y) + 10), want: TRACK_KEPT, shift: [2, 1] },
    { name: '50 px without a guess', b: plane(moved(50, 6)), want: LOST_FORWARD_BACKWARD, shift: [50, 6] },
    { name: '50 px with a rough guess', b: plane(moved(50, 6)), guesses: [47, 3], want: TRACK_KEPT, shift: [50, 6] },
  ];
  for (const { name, b, guesses, want, shift } of cases) {
    const r = trackPair(a, b, [70, 70], {}, guesses);
    assert.equal(r.lost[0], want, name);
    if (want === TRACK_KEPT) assert.ok(Math.hypot(r.points[0] - 70 - shift[0], r.points[1] - 70 - shift[1]) < 0.3, `${name}: at ${r.points[0]}, ${r.points[1]}`);
  }
});

test('points already off the frame or lost (NaN) stay lost, in their slots', () => {
  const pts = [-1, 10, 10, H, NaN, NaN, 30, 30, W - 1 + 1e-3, 5];
  const r = trackPair(plane(moved(0, 0)), plane(moved(1, 1)), pts);
  assert.deepEqual([...r.lost], [LOST_OUTSIDE, LOST_OUTSIDE, LOST_OUTSIDE, TRACK_KEPT, LOST_OUTSIDE]);
  assert.ok(Math.abs(r.points[6] - 31) < 0.3 && Math.abs(r.points[7] - 31) < 0.3, `${r.points[6]}, ${r.points[7]}`);
});

test('one tracker follows a point through a clip, forwards and (frames pushed in reverse) backwards', () => {
  const v: [number, number] = [1.7, -0.9], frames = 30;
  const clip = Array.from({ length: frames }, (_, f) => plane(moved(v[0] * f, v[1] * f)));
  for (const dir of [1, -1]) {
    const t = new PointTracker(W, H);
    const order = dir === 1 ? clip : [...clip].reverse();
    const start: [number, number] = dir === 1 ? [40, 110] : [40 + v[0] * (frames - 1), 110 + v[1] * (frames - 1)];
    const pts = new Float32Array(start);
    const r = createTrackResult(1);
    t.pushFrame(order[0]);
    for (let f = 1; f < frames; f++) {
      t.pushFrame(order[f]);
      t.track(pts, r);
      assert.equal(r.lost[0], TRACK_KEPT, `direction ${dir}, frame ${f}`);
      pts.set(r.points.subarray(0, 2));
    }
    const end = dir === 1 ? [40 + v[0] * (frames - 1), 110 + v[1] * (frames - 1)] : [40, 110];
    const drift = Math.hypot(pts[0] - end[0], pts[1] - end[1]);
    assert.ok(drift < 0.5, `direction ${dir}: drift ${drift.toFixed(3)} px over ${frames - 1} steps`);
    assert.equal(t.frameCount, frames);
  }
});

test('a point on a small object moving over a still background follows the object, not the background', () => {
  const v: [number, number] = [1.3, 0.6], frames = 40;
  for (const side of [16, 24, 36]) {
    const frame = (f: number) => {
      const ox = 40 + v[0] * f, oy = 50 + v[1] * f;
      return plane((x, y) => (x >= ox && x < ox + side && y >= oy && y < oy + side ? 100 * fractalNoise(x - ox, y - oy, 11) : 100 * fractalNoise(x, y, 3)));
    };
    const t = new PointTracker(W, H);
    const pts = new Float32Array([40 + side / 2, 50 + side / 2]), r = createTrackResult(1);
    t.pushFrame(frame(0));
    for (let f = 1; f < frames; f++) {
      t.pushFrame(frame(f));
      t.track(pts, r);
      assert.equal(r.lost[0], TRACK_KEPT, `object ${side} px, frame ${f}`);
      pts.set(r.points.subarray(0, 2));
    }
    const err = Math.hypot(pts[0] - (40 + side / 2 + v[0] * (frames - 1)), pts[1] - (50 + side / 2 + v[1] * (frames - 1)));
    assert.ok(err < 0.5, `object ${side} px: ${err.toFixed(2)} px off after ${frames - 1} frames`);
  }
});

test('bad use is refused clearly', () => {
  const t = new PointTracker(W, H);
  assert.throws(() => t.track([1, 1], createTrackResult(1)), /needs two frames/);
  assert.throws(() => t.pushFrame(new Float32Array(10)), /plane needs 27648 values, got 10/);
  t.pushFrame(plane(moved(0, 0)));
  t.pushFrame(plane(moved(0, 0)));
  assert.throws(() => t.track([1, 1, 2, 2], createTrackResult(1)), /room for 1 points, not 2/);
  assert.throws(() => new PointTracker(0, 10), /positive integers/);
  // fewer levels where the coarsest would be smaller than the window
  assert.equal(new PointTracker(192, 144).levels, 3);
  assert.equal(new PointTracker(40, 40).levels, 2);
  assert.equal(new PointTracker(20, 20).levels, 1);
});
