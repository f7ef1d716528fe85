// The editor's restored L (src/editor/restored-l.ts) against one pass of the restoration stage
// over the same frames, as `colorize --restore` runs it: how far the editor's frames are from the
// film's (|ΔL| per frame), and what the blocks cost (stepping through every frame, and the first
// frame asked for). The clip is made gray and small and damaged with the synthetic generator
// (src/restore/synthetic-damage.ts: dust, scratches, flicker, grain; seed 7), so there is work
// for every repair.
//
//   node --import tsx bench/editor-restore.ts [--clip FILE] [--restore auto] [--frames 32] [--size 320x180]
//
// Default clip: ../shared/data/videos/sam2_dog.mp4. Timings are wall clock on whatever else the
// machine runs (this bench prints the load).
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { lastValueFrom, from, toArray } from 'rxjs';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { extractL } from '../src/operators/extract-l.js';
import { restoreStage } from '../src/graph/restore-stage.js';
import { parseRestoreOption } from '../src/restore/options.js';
import { FilmDamage } from '../src/restore/synthetic-damage.js';
import { RestoredL } from '../src/editor/restored-l.js';
import { labToSrgb, srgbToLab } from '../src/color/lab.js';
import type { RawFrame } from '../src/core/frames.js';

const { values: v } = parseArgs({
  options: {
    clip: { type: 'string', default: '../shared/data/videos/sam2_dog.mp4' },
    restore: { type: 'string', default: 'auto' },
    frames: { type: 'string', default: '32' },
    size: { type: 'string', default: '320x180' },
  },
});
const [W, H] = v.size.split('x').map(Number);
const N = Number(v.frames);
const settings = parseRestoreOption(v.restore);
if (!settings) throw new Error('--restore off: nothing to compare');

/** The clip's first N frames, gray, at W x H, damaged in L and back to gray bytes. */
function damagedFrames(): RawFrame[] {
  const gray = execFileSync(FFMPEG, ['-v', 'error', '-i', v.clip, '-vf', `scale=${W}:${H},format=gray`, '-frames:v', String(N),
    '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { maxBuffer: 1 << 28 });
  const toL = Float32Array.from({ length: 256 }, (_, g) => srgbToLab(g, g, g)[0]);
  const damage = new FilmDamage(W, H, { seed: 7 });
  const out: RawFrame[] = [];
  for (let t = 0; t * W * H < gray.length && t < N; t++) {
    const L = new Float32Array(W * H);
    for (let i = 0; i < L.length; i++) L[i] = toL[gray[t * W * H + i]];
    damage.apply(L);
    const rgb = Buffer.alloc(W * H * 3);
    for (let i = 0; i < L.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = Math.max(0, Math.min(255, Math.round(labToSrgb(L[i], 0, 0)[0])));
    out.push({ index: t, pts: t / 25, width: W, height: H, rgb });
  }
  return out;
}

const frames = damagedFrames();
const copy = (f: RawFrame): RawFrame => ({ ...f, rgb: Buffer.from(f.rgb) });
console.log(`${v.clip.split('/').pop()}: ${frames.length} frames at ${W}x${H}, --restore ${v.restore}; load ${loadavg()[0].toFixed(1)}`);

let t0 = performance.now();
const pass = await lastValueFrom(from(frames.map(copy)).pipe(extractL(), restoreStage(settings, { mode: 'lookahead' }), toArray()));
const passMs = (performance.now() - t0) / frames.length;

const editor = new RestoredL({ frames: frames.length, read: async (i) => copy(frames[i]) }, settings);
let worst = 0, meanSum = 0, firstMs = 0;
t0 = performance.now();
for (let t = 0; t < frames.length; t++) {
  const a = performance.now();
  const L = await editor.get(t);
  if (t === 0) firstMs = performance.now() - a;
  let max = 0, sum = 0;
  for (let i = 0; i < L.length; i++) {
    const d = Math.abs(L[i] - pass[t].L[i]);
    max = Math.max(max, d);
    sum += d;
  }
  worst = Math.max(worst, max);
  meanSum += sum / L.length;
  if (max > 0.01) console.log(`  frame ${t}: max |ΔL| ${max.toFixed(2)}, mean ${(sum / L.length).toFixed(4)}`);
}
const stepMs = (performance.now() - t0) / frames.length;
console.log(`editor against one pass: worst |ΔL| ${worst.toFixed(2)}, mean ${(meanSum / frames.length).toFixed(4)}`);
console.log(`cost: one pass ${passMs.toFixed(0)} ms a frame; the editor stepping through ${stepMs.toFixed(0)} ms a frame, its first frame ${firstMs.toFixed(0)} ms`);
