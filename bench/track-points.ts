// Point tracker (src/motion/track-points.ts): cost and accuracy.
//
//   node --import tsx bench/track-points.ts [--frames N] [--points N] [--clips DIR | --no-clips] [--min-correlation C] [--json]
//
// Synthetic part, at 192x144 (model resolution of a 640x480 frame) and 640x480: a multi-octave
// texture translated by a known sub-pixel step per frame; every frame is pushed (pyramid and
// gradients: "ms per frame") and a grid of points is tracked forward with the forward-backward
// check ("us per point": both directions); printed with the mean and worst error against the truth
// and the share of points kept. Real part: each clip in DIR (default /work/shared/data/videos),
// decoded at long side 192, a grid of points tracked through its first N frames: the share kept
// after 25, 50 and N frames (no ground truth there: a kept point is not proven right).
import { parseArgs } from 'node:util';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import {
  LOST_FORWARD_BACKWARD, LOST_MISMATCH, LOST_OUTSIDE, LOST_WEAK, PointTracker, TRACK_KEPT, createTrackResult, type TrackResult, type TrackerOptions,
} from '../src/motion/track-points.js';
import { rgbToL } from '../src/color/lab.js';
import { probeMedia } from '../src/media/probe.js';
import { metricSize, readRgbFrames } from '../src/metrics/frames.js';
import { fractalNoise } from '../test/helpers/synthetic.js';

const { values: opts } = parseArgs({
  options: {
    frames: { type: 'string', default: '100' },
    points: { type: 'string', default: '100' },
    clips: { type: 'string', default: '/work/shared/data/videos' },
    'no-clips': { type: 'boolean', default: false },
    'min-correlation': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const FRAMES = Number(opts.frames), POINTS = Number(opts.points);
const TRACKER: TrackerOptions = opts['min-correlation'] !== undefined ? { minCorrelation: Number(opts['min-correlation']) } : {};

/** About `count` points on a grid, `margin` px inside a w x h frame. */
function grid(w: number, h: number, count: number, margin: number): Float32Array {
  const step = Math.sqrt(((w - 2 * margin) * (h - 2 * margin)) / count);
  const pts: number[] = [];
  for (let y = margin; y <= h - 1 - margin; y += step) for (let x = margin; x <= w - 1 - margin; x += step) pts.push(x, y);
  return Float32Array.from(pts);
}

interface SyntheticRow { size: string; points: number; msPerFrame: number; usPerPoint: number; meanErr: number; maxErr: number; kept: number }

/** Errors of kept points against a known motion, summed over calls. */
class Score {
  kept = 0;
  sum = 0;
  max = 0;
  add(r: TrackResult, start: Float32Array, step: [number, number]): void {
    for (let i = 0; i < start.length / 2; i++) {
      if (r.lost[i] !== TRACK_KEPT) continue;
      const e = Math.hypot(r.points[2 * i] - start[2 * i] - step[0], r.points[2 * i + 1] - start[2 * i + 1] - step[1]);
      this.kept++;
      this.sum += e;
      this.max = Math.max(this.max, e);
    }
  }
}

function synthetic(w: number, h: number): SyntheticRow {
  const step: [number, number] = [3.4 * (w / 192), -2.1 * (w / 192)]; // the same motion in picture terms
  const frames = Array.from({ length: Math.min(FRAMES, 20) }, (_, f) => {
    const p = new Float32Array(w * h), s = 192 / w; // texture scaled with the frame
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p[y * w + x] = 100 * fractalNoise((x - step[0] * f) * s, (y - step[1] * f) * s, 5);
    return p;
  });
  const tracker = new PointTracker(w, h, TRACKER);
  const margin = Math.ceil(Math.hypot(...step)) + 8;
  const start = grid(w, h, POINTS, margin), n = start.length / 2;
  const result = createTrackResult(n);
  let pushMs = 0, trackMs = 0, pushes = 0, tracked = 0;
  const score = new Score();
  tracker.pushFrame(frames[0]);
  for (let f = 1; f < frames.length; f++) {
    let t0 = performance.now();
    tracker.pushFrame(frames[f]);
    pushMs += performance.now() - t0;
    pushes++;
    t0 = performance.now();
    tracker.track(start, result); // the same grid each pair: every point is tracked every time
    trackMs += performance.now() - t0;
    tracked += n;
    score.add(result, start, step);
  }
  return { size: `${w}x${h}`, points: n, msPerFrame: pushMs / pushes, usPerPoint: (1000 * trackMs) / tracked, meanErr: score.sum / score.kept, maxErr: score.max, kept: score.kept / tracked };
}

interface ClipRow {
  clip: string; size: string; points: number; frames: number; kept25: number; kept50: number; keptEnd: number; msPerFrame: number;
  /** Points lost over the clip, by reason. */
  lost: { outside: number; forwardBackward: number; weak: number; mismatch: number };
  /** The first frame against itself moved by SHIFT (bilinear): real texture, known motion. */
  shifted: { kept: number; meanErr: number; maxErr: number };
}

const SHIFT: [number, number] = [3.4, -2.1];

/** `src` (w x h) with its content moved by (dx, dy), bilinear, edges replicated. */
function shiftPlane(src: Float32Array, w: number, h: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(w * h);
  const at = (x: number, y: number) => src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = x - dx, sy = y - dy, x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
      out[y * w + x] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
  return out;
}

/** Track `start` from `a` to `b`, known motion `step`: share kept, mean and worst error of the kept. */
function accuracy(tracker: PointTracker, a: Float32Array, b: Float32Array, start: Float32Array, step: [number, number]) {
  const n = start.length / 2, r = createTrackResult(n), e = new Score();
  tracker.pushFrame(a);
  tracker.pushFrame(b);
  e.add(tracker.track(start, r), start, step);
  return { kept: e.kept / n, meanErr: e.sum / e.kept, maxErr: e.max };
}

async function clip(path: string): Promise<ClipRow> {
  const info = await probeMedia(path);
  const { width: w, height: h } = metricSize(info.width, info.height, 192);
  const tracker = new PointTracker(w, h, TRACKER);
  const pts = grid(w, h, POINTS, 10), n = pts.length / 2;
  const result = createTrackResult(n);
  const L = new Float32Array(w * h);
  let f = 0, kept25 = NaN, kept50 = NaN, ms = 0, first = L;
  const lost = { outside: 0, forwardBackward: 0, weak: 0, mismatch: 0 };
  const alive = new Uint8Array(n).fill(1);
  const keptShare = () => result.lost.subarray(0, n).reduce((s, v) => s + (v === TRACK_KEPT ? 1 : 0), 0) / n;
  for await (const rgb of readRgbFrames(path, { width: w, height: h, maxFrames: FRAMES })) {
    rgbToL(rgb, L, w * h);
    const t0 = performance.now();
    tracker.pushFrame(L);
    if (f > 0) {
      tracker.track(pts, result);
      pts.set(result.points.subarray(0, 2 * n)); // lost points become NaN and stay lost
      for (let i = 0; i < n; i++) {
        const s = result.lost[i];
        if (!alive[i] || s === TRACK_KEPT) continue;
        alive[i] = 0;
        if (s === LOST_OUTSIDE) lost.outside++;
        else if (s === LOST_FORWARD_BACKWARD) lost.forwardBackward++;
        else if (s === LOST_WEAK) lost.weak++;
        else if (s === LOST_MISMATCH) lost.mismatch++;
      }
    }
    ms += performance.now() - t0;
    if (f === 0) first = L.slice();
    f++;
    if (f === 25) kept25 = keptShare();
    if (f === 50) kept50 = keptShare();
  }
  const shifted = accuracy(new PointTracker(w, h, TRACKER), first, shiftPlane(first, w, h, ...SHIFT), grid(w, h, POINTS, 10), SHIFT);
  return { clip: path.split('/').pop()!, size: `${w}x${h}`, points: n, frames: f, kept25, kept50, keptEnd: keptShare(), msPerFrame: ms / f, lost, shifted };
}

synthetic(192, 144); // warm-up: let the JIT compile the hot loops before anything is timed
const syn = [synthetic(192, 144), synthetic(640, 480)];
const clips: ClipRow[] = [];
if (!opts['no-clips'] && existsSync(opts.clips!)) {
  for (const name of readdirSync(opts.clips!).filter((n) => n.endsWith('.mp4')).sort()) clips.push(await clip(join(opts.clips!, name)));
}

if (opts.json) {
  console.log(JSON.stringify({ cores: cpus().length, loadAverage: loadavg()[0], synthetic: syn, clips }));
} else {
  const pct = (v: number) => (Number.isNaN(v) ? '   -' : `${(100 * v).toFixed(0).padStart(3)}%`);
  console.log(`${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} (timings scale with it)`);
  console.log(`synthetic translation, ${Math.min(FRAMES, 20) - 1} frame pairs, default options (window 15x15, 3 levels, FB 1 px, correlation 0.6)${opts['min-correlation'] !== undefined ? `, min correlation ${opts['min-correlation']}` : ''}`);
  console.log('size       points  ms/frame  us/point  mean err  max err  kept');
  for (const r of syn) {
    console.log(`${r.size.padEnd(10)} ${String(r.points).padStart(6)}  ${r.msPerFrame.toFixed(2).padStart(8)}  ${r.usPerPoint.toFixed(1).padStart(8)}  ${r.meanErr.toFixed(3).padStart(8)}  ${r.maxErr.toFixed(3).padStart(7)}  ${pct(r.kept)}`);
  }
  if (clips.length) {
    console.log(`\nreal clips: a grid tracked from frame 0 through ${FRAMES} frames (share still kept)`);
    console.log('clip                          size     points  kept@25  kept@50  kept@end       ms/frame  lost: outside/FB/weak/mismatch  | frame 0 moved (3.4, -2.1): kept, mean/max err');
    for (const r of clips) {
      console.log(`${r.clip.padEnd(29)} ${r.size.padEnd(8)} ${String(r.points).padStart(6)}  ${pct(r.kept25).padStart(7)}  ${pct(r.kept50).padStart(7)}  ${pct(r.keptEnd).padStart(8)} @${r.frames}  ${r.msPerFrame.toFixed(2).padStart(6)}  ${`${r.lost.outside}/${r.lost.forwardBackward}/${r.lost.weak}/${r.lost.mismatch}`.padEnd(30)}  | ${pct(r.shifted.kept)}, ${r.shifted.meanErr.toFixed(3)}/${r.shifted.maxErr.toFixed(3)} px`);
    }
  }
}
