// Colour hints on real clips: what hints placed on one frame do over the whole shot, how many
// tracked points survive, and what a reference photo does.
//
//   node --import tsx bench/hints.ts --model PATH [--clips DIR] [--counts 0,1,3,5] [--size PX] [--reach CELLS] [--edge-cost C] [--lightness-chroma G] [--placement worst|grid] [--no-reference] [--work DIR] [--json]
//
// For each clip in DIR (default /work/shared/data/videos/*.mp4): the colour original is turned gray
// (ffmpeg format=gray, lossless FFV1) and colorized with 0 hints, then with the first 1, 3, 5 hints
// of one ranking placed on frame 0 "from the colour original", as a person with the original would
// place them: where the automatic result is most wrong (the ab error of the 0-hint frame averaged
// over a hint patch, peaks at least a fifth of the short side apart), each hint coloured with the
// mean true ab of its patch, `until: "shot"` (--placement grid: at the centre and then the quadrants'
// centres instead, wherever the objects are). Reported: mean ab error (Lab units, per pixel, over
// every frame, at long side 320) and its change against 0 hints. Tracking: a 5x5 grid of points on
// frame 0 followed for 100 frames (or to the clip's end): the share still alive at the end. Reference:
// the clip's own first colour frame as --reference (strength 0.7), no hints: colourfulness ratio
// and class-balanced AuC against the original, beside the 0-hint run's. Output is lossless (FFV1) so
// the codec does not blur the figures; smoothing is the default (medium).
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { Colorizer } from '../src/colorizer.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { probeMedia } from '../src/media/probe.js';
import { measureVideo } from '../src/metrics/index.js';
import { metricSize } from '../src/metrics/frames.js';
import { abErrorPerFrame } from './lib/ab-error.js';
import { allocLab, rgbToLabPlanes } from '../src/metrics/lab-planes.js';
import { defaultHintSize, type Hint } from '../src/hints/hints-file.js';
import { planVideoHints } from '../src/jobs/video-hints.js';
import { ChildGroup } from '../src/media/child.js';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string' },
    clips: { type: 'string', default: '/work/shared/data/videos' },
    counts: { type: 'string', default: '0,1,3,5' },
    work: { type: 'string', default: join(tmpdir(), 'chroma-bench-hints') },
    /** Hint patch side in input pixels (default: the hints file's default, short side / 48). */
    size: { type: 'string' },
    /** The propagation stage's reach in output cells and edge cost (default: the app's, 24 and 0.3). */
    reach: { type: 'string' },
    'edge-cost': { type: 'string' },
    /** The propagation stage's lightness-chroma gate (default the app's, 200; Infinity: off). */
    'lightness-chroma': { type: 'string' },
    /** Where the hints go: 'worst' (where the automatic frame is most wrong) or 'grid' (the centre, then the quadrants' centres; at most 5). */
    placement: { type: 'string', default: 'worst' },
    'no-reference': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
if (!opts.model) throw new Error('--model PATH is required (a hint-capable model)');
if (opts.placement !== 'worst' && opts.placement !== 'grid') throw new Error("--placement is 'worst' or 'grid'");
const COUNTS = opts.counts!.split(',').map(Number);
const WORK = opts.work!;
mkdirSync(WORK, { recursive: true });

const ff = (args: string[]) => execFileSync(FFMPEG, ['-v', 'error', '-y', ...args]);
const frame0 = (path: string, w: number, h: number) => execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: w * h * 3 + 1024 });

/** Mean per-pixel ab error of a colorized video against its original, at long side 320. */
async function abError(colorized: string, original: string, width: number, height: number): Promise<number> {
  const errs = await abErrorPerFrame(colorized, original, metricSize(width, height, 320));
  return errs.reduce((x, y) => x + y, 0) / errs.length;
}

/** Mean true ab over the hint patch at (x, y). */
function patchAb(pt: ReturnType<typeof allocLab>, w: number, x: number, y: number, r: number): [number, number] {
  let sa = 0, sb = 0, n = 0;
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
    const i = (y + dy) * w + x + dx;
    sa += pt.a[i];
    sb += pt.b[i];
    n++;
  }
  return [Math.round((sa / n) * 10) / 10, Math.round((sb / n) * 10) / 10];
}

/** Up to 5 hints on a fixed grid (centre, then the quadrants' centres), coloured from the original. */
function gridHints(truth: Buffer, w: number, h: number, k: number, size: number): Hint[] {
  const pt = allocLab(w, h);
  rgbToLabPlanes(truth, pt);
  const at = [[0.5, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]].slice(0, k);
  return at.map(([fx, fy], i) => {
    const x = Math.round(fx * w), y = Math.round(fy * h);
    return { id: `g${i + 1}`, frame: 0, x, y, ab: patchAb(pt, w, x, y, size >> 1), size, until: 'shot' };
  });
}

/** Up to `k` hints where the automatic frame 0 is most wrong, coloured from the original. */
function placeHints(auto: Buffer, truth: Buffer, w: number, h: number, k: number, size: number): Hint[] {
  const pa = allocLab(w, h), pt = allocLab(w, h);
  rgbToLabPlanes(auto, pa);
  rgbToLabPlanes(truth, pt);
  const r = size >> 1, step = 2;
  const minGap = Math.min(w, h) / 5;
  const cands: { x: number; y: number; e: number }[] = [];
  for (let y = r; y < h - r; y += step) for (let x = r; x < w - r; x += step) {
    let e = 0;
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
      const i = (y + dy) * w + x + dx;
      e += Math.hypot(pa.a[i] - pt.a[i], pa.b[i] - pt.b[i]);
    }
    cands.push({ x, y, e });
  }
  cands.sort((p, q) => q.e - p.e);
  const chosen: typeof cands = [];
  for (const c of cands) {
    if (chosen.length >= k) break;
    if (chosen.every((o) => Math.hypot(o.x - c.x, o.y - c.y) >= minGap)) chosen.push(c);
  }
  return chosen.map((c, i) => ({ id: `h${i + 1}`, frame: 0, x: c.x, y: c.y, ab: patchAb(pt, w, c.x, c.y, r), size, until: 'shot' }));
}

interface ClipResult {
  clip: string;
  frames: number;
  abError: Record<string, number>;
  hintsLost: Record<string, number>;
  trackedKept: { points: number; kept: number; frames: number };
  reference: { colorfulnessRatio: [number | null, number | null]; aucBalanced: [number | null, number | null] };
}

const colorizer = await Colorizer.create({ model: opts.model });
const results: ClipResult[] = [];
try {
  const clips = readdirSync(opts.clips!).filter((f) => f.endsWith('.mp4')).sort();
  for (const file of clips) {
    const original = join(opts.clips!, file);
    const name = basename(file, '.mp4');
    const info = await probeMedia(original);
    const { width: w, height: h } = info;
    const gray = join(WORK, `${name}-gray.mkv`);
    ff(['-i', original, '-an', '-vf', 'format=gray', '-c:v', 'ffv1', gray]);
    const out = (tag: string) => join(WORK, `${name}-${tag}.mkv`);
    const run = async (tag: string, extra: Record<string, unknown>) => {
      const propagate = { ...(opts.reach !== undefined ? { reach: Number(opts.reach) } : {}), ...(opts['edge-cost'] !== undefined ? { edgeCost: Number(opts['edge-cost']) } : {}), ...(opts['lightness-chroma'] !== undefined ? { lightnessChroma: Number(opts['lightness-chroma']) } : {}) };
      const r = await colorizer.colorize(gray, out(tag), { overwrite: true, encode: { codec: 'ffv1' }, propagate, ...extra }).done;
      return r;
    };
    const res: ClipResult = { clip: name, frames: 0, abError: {}, hintsLost: {}, trackedKept: { points: 0, kept: 0, frames: 0 }, reference: { colorfulnessRatio: [null, null], aucBalanced: [null, null] } };
    const r0 = await run('h0', {});
    res.frames = r0.frames;
    res.abError['0'] = await abError(out('h0'), original, w, h);
    const size = opts.size !== undefined ? Number(opts.size) : defaultHintSize(w, h);
    const ranked = opts.placement === 'grid'
      ? gridHints(frame0(original, w, h), w, h, Math.max(...COUNTS), size)
      : placeHints(frame0(out('h0'), w, h), frame0(original, w, h), w, h, Math.max(...COUNTS), size);
    for (const k of COUNTS.filter((c) => c > 0)) {
      const hints = { hints: ranked.slice(0, k) };
      writeFileSync(join(WORK, `${name}-h${k}.json`), JSON.stringify(hints));
      const r = await run(`h${k}`, { hints });
      res.abError[String(k)] = await abError(out(`h${k}`), original, w, h);
      res.hintsLost[String(k)] = r.hints?.losses.length ?? 0;
    }
    // Tracking: a 5x5 grid on frame 0, followed to frame 99 (or the end).
    const last = Math.min(99, r0.frames - 1);
    const grid: Hint[] = [];
    for (let j = 1; j <= 5; j++) for (let i = 1; i <= 5; i++) grid.push({ x: Math.round((i * w) / 6), y: Math.round((j * h) / 6), ab: [0, 0], frame: 0, until: last });
    const plan = await planVideoHints(colorizer.model, info, { hints: grid }, { children: new ChildGroup() });
    res.trackedKept = { points: grid.length, kept: plan.spans.filter((s) => s !== null && s.last >= last).length, frames: last + 1 };
    if (opts['no-reference']) {
      results.push(res);
      if (!opts.json) console.error(`${name}: ${JSON.stringify(res)}`);
      continue;
    }
    // Reference: the clip's own first colour frame.
    const ref = join(WORK, `${name}-ref.png`);
    ff(['-i', original, '-frames:v', '1', ref]);
    await run('ref', { reference: { image: ref, strength: 0.7 } });
    const m0 = await measureVideo(out('h0'), original);
    const mr = await measureVideo(out('ref'), original);
    res.reference = {
      colorfulnessRatio: [m0.accuracy?.colorfulnessRatio ?? null, mr.accuracy?.colorfulnessRatio ?? null],
      aucBalanced: [m0.accuracy?.aucBalanced ?? null, mr.accuracy?.aucBalanced ?? null],
    };
    results.push(res);
    if (!opts.json) console.error(`${name}: ${JSON.stringify(res)}`);
  }
} finally {
  await colorizer.close();
}

if (opts.json) console.log(JSON.stringify({ model: opts.model, load: loadavg()[0], cores: cpus().length, results }, null, 1));
else {
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  console.log(`model ${opts.model}; load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  console.log(`| clip | frames | ${COUNTS.map((c) => `ab err ${c} hints`).join(' | ')} | tracked kept | colourfulness ratio 0 -> ref | class-bal. AuC 0 -> ref |`);
  console.log(`| --- | ---: | ${COUNTS.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`);
  for (const r of results) {
    const base = r.abError['0'];
    const cells = COUNTS.map((c) => (c === 0 ? f(base) : `${f(r.abError[String(c)])} (${(100 * (r.abError[String(c)] / base - 1)).toFixed(1)} %)`));
    console.log(`| ${r.clip} | ${r.frames} | ${cells.join(' | ')} | ${r.trackedKept.kept}/${r.trackedKept.points} over ${r.trackedKept.frames} | ${f(r.reference.colorfulnessRatio[0])} -> ${f(r.reference.colorfulnessRatio[1])} | ${f(r.reference.aucBalanced[0])} -> ${f(r.reference.aucBalanced[1])} |`);
  }
  const mean = (k: string) => results.reduce((s, r) => s + r.abError[k] / r.abError['0'], 0) / results.length;
  console.log(`mean change of ab error against 0 hints: ${COUNTS.filter((c) => c > 0).map((c) => `${c}: ${(100 * (mean(String(c)) - 1)).toFixed(1)} %`).join(', ')}`);
}
