// Film restoration (--restore): before/after figures against a clean original.
//
//   node --import tsx bench/restore.ts [--frames N] [--clips a,b] [--cases blotches,all] [--preset auto|light|strong]
//                                      [--seed N] [--cost-frames N] [--no-cost] [--bw] [--png DIR] [--json] [--clean] [--sheets DIR]
//                                      [--motion plain|x3|pan]
//
// Clean gray clips (the colour clips in /work/shared/data/videos, converted to gray) are damaged
// by the synthetic generator (src/restore/synthetic-damage.ts): one defect at a time (repaired by
// that defect's repair alone), then all together (repaired by the whole preset). The
// restoration stage (the real operators, look-ahead mode) repairs them and each
// result is compared with the clean clip: PSNR and SSIM of L (peak 100) damaged vs restored,
// flicker (mean frame-to-frame change of mean L), and for dust the share of blobs removed (a blob
// counts as removed when its mean error against the clean frame falls to 30 % of the damaged
// one, or to 1.5 times the restored frame's own mean error, i.e. it no longer stands out from
// the rest of the frame; blobs whose damaged mean error is under 10 L are too faint to count);
// (each case and clip damaged with its own seed, counted up from --seed, default 1: another
// --seed gives other damage on the same frames);
// for blotches and tears (25-100 px, one frame or two), PSNR over their own pixels and the share
// repaired (bench/blotch-metrics.ts), and the learned fill against the directional fill on the
// same blotches. Two more cases: faint hairlines (repaired by the scratch stage) and one region
// breathing (src/restore/synthetic-regional-flicker.ts, repaired by the flicker stage). The clean clips are also run through the
// stage as they are: the PSNR of what it changed, and the share of pixels it took for dust
// (false detections on moving clean content). Then the cost per frame at 480p and 1080p (all
// damage, every stage), and with --bw the real black-and-white clip (what was found; --png DIR
// writes before|after frames side by side).
// --motion x3|pan runs the damage cases on the fast-motion versions of the clips (FAST_MOTION) instead.
import { parseArgs } from 'node:util';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { join, basename } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import sharp from 'sharp';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { GRAY_TO_L } from '../src/color/lab.js';
import { FilmDamage, seededRandom, type DamageOptions } from '../src/restore/synthetic-damage.js';
import { RegionalFlicker } from '../src/restore/synthetic-regional-flicker.js';
import { RESTORE_PRESETS, type RestoreDefect, type RestoreSettings } from '../src/restore/options.js';
import { restoreStage, type RestoreEvents } from '../src/graph/restore-stage.js';
import { StageTimer } from '../src/core/stage-timer.js';
import { psnrL, Ssim } from '../src/metrics/image-quality.js';
import type { LFrame } from '../src/core/frames.js';
import { blotchStats, poolBlotchStats, type BlotchGroupStats, type PlacedBlotch } from './blotch-metrics.js';

const run = promisify(execFile);
export const CLIP_DIR = '/work/shared/data/videos';
const BW_CLIP = join(CLIP_DIR, 'bw', 'oldfilm_001.mp4');

export interface Clip {
  name: string;
  width: number;
  height: number;
  frames: Float32Array[];
}

/** The first `frames` frames of `path` as L planes (gray, optionally scaled to width x height). */
export async function readGrayL(path: string, frames: number, size?: { width: number; height: number }, filter?: string): Promise<Clip> {
  const vf = [filter, size ? `scale=${size.width}:${size.height}:flags=area` : ''].filter(Boolean).join(',');
  const vfArgs = vf ? ['-vf', vf] : [];
  const probe = await run(FFMPEG, ['-v', 'error', '-i', path, '-frames:v', '1', ...vfArgs, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 });
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-i', path], { encoding: 'utf8' }).catch((e: { stderr: string }) => ({ stderr: e.stderr }));
  let width = size?.width ?? 0, height = size?.height ?? 0;
  const crop = filter ? /crop=(\d+):(\d+)/.exec(filter) : null;
  if (crop && !size) {
    width = Number(crop[1]);
    height = Number(crop[2]);
  } else if (!size) {
    const m = /Video:.*?(\d{2,5})x(\d{2,5})/.exec(stderr);
    if (!m) throw new Error(`cannot read the size of ${path}`);
    width = Number(m[1]);
    height = Number(m[2]);
  }
  if (probe.stdout.length !== width * height) throw new Error(`unexpected frame size for ${path}`);
  const out = await run(FFMPEG, ['-v', 'error', '-i', path, '-frames:v', String(frames), ...vfArgs, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer', maxBuffer: 1 << 30 });
  const n = width * height;
  const list: Float32Array[] = [];
  for (let k = 0; k + n <= out.stdout.length; k += n) {
    const L = new Float32Array(n);
    for (let i = 0; i < n; i++) L[i] = GRAY_TO_L[out.stdout[k + i]];
    list.push(L);
  }
  return { name: basename(path, '.mp4'), width, height, frames: list };
}

/**
 * Runs the restoration stage over copies of `frames`; returns the restored planes and the wall
 * time of the stage alone (copying the frames in is not counted).
 */
export async function restoreFrames(frames: Float32Array[], width: number, height: number, settings: RestoreSettings, timer?: StageTimer, events?: RestoreEvents): Promise<Float32Array[] & { ms?: number }> {
  const records = frames.map((L, index) => ({ index, pts: index / 25, width, height, rgb: Buffer.alloc(0), L: L.slice(), gray: false }) as LFrame);
  const t0 = performance.now();
  // The blotch stage's net runs asynchronously: wait for the last frame.
  const done = await lastValueFrom(from(records).pipe(restoreStage(settings, { mode: 'lookahead', ...(timer ? { timer } : {}), ...(events ? { events } : {}) }), toArray()));
  const out: Float32Array[] & { ms?: number } = done.map((f) => f.L);
  out.ms = performance.now() - t0;
  return out;
}

function meanL(L: Float32Array): number {
  let s = 0;
  for (let i = 0; i < L.length; i++) s += L[i];
  return s / L.length;
}

/** Mean absolute frame-to-frame change of mean L. */
export function flickerOf(frames: Float32Array[]): number {
  let s = 0;
  for (let t = 1; t < frames.length; t++) s += Math.abs(meanL(frames[t]) - meanL(frames[t - 1]));
  return frames.length > 1 ? s / (frames.length - 1) : 0;
}

function quality(frames: Float32Array[], clean: Float32Array[], ssim: Ssim): { psnr: number; ssim: number } {
  let p = 0, s = 0;
  for (let t = 0; t < frames.length; t++) {
    p += Math.min(99, psnrL(frames[t], clean[t]));
    s += ssim.measure(frames[t], clean[t]);
  }
  return { psnr: p / frames.length, ssim: s / frames.length };
}

/** A blob whose mean error is under this many L units is not counted (too faint to see as dust). */
const VISIBLE = 10;

function meanAbs(x: Float32Array, ref: Float32Array): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += Math.abs(x[i] - ref[i]);
  return s / ref.length;
}

function blobError(L: Float32Array, clean: Float32Array, px: Int32Array): number {
  let s = 0;
  for (const i of px) s += Math.abs(L[i] - clean[i]);
  return s / px.length;
}

interface Row {
  clip: string;
  damage: string;
  psnrDamaged: number;
  psnrRestored: number;
  ssimDamaged: number;
  ssimRestored: number;
  flickerDamaged: number;
  flickerRestored: number;
  flickerClean: number;
  dustRemoved: number | null;
  dustBlobs: number;
  /** Blotch pixels, per group (cases with blotches). */
  blotches?: BlotchGroupStats[];
  /** The faint lines (the hairlines case). */
  lines?: LineStats;
}

/** Lines (one per frame each) and their mean column offset from the clean frame (L), damaged and restored; the share taken out. */
interface LineStats {
  count: number;
  damaged: number;
  restored: number;
  takenOut: number;
  /** The restored columns 2 px either side: their mean offset (0 before the repair, but for the grain). */
  beside: number;
}

/** A damage case: FilmDamage's options, what else is added to each frame, and which repair alone mends it. */
interface Case {
  name: string;
  damage: DamageOptions;
  /** Adds more damage to each frame in order (after FilmDamage's). */
  extra?: (width: number, height: number, seed: number) => (L: Float32Array) => number[] | void;
  /** The repair measured alone (default: the case's name). */
  repair?: RestoreDefect;
}

const NOTHING: DamageOptions = { dust: false, scratches: false, flicker: false, grain: false };

/**
 * Faint hairlines: two or three 1-px lines down the frame, 2-4 L (dark or bright), each drifting
 * up to 0.05 px a frame (whole pixels), over grain of 1.5 L so they hide on any one row. Each
 * frame's call returns the columns its lines are on.
 */
function hairlines(width: number, height: number, seed: number): (L: Float32Array) => number[] {
  const rand = seededRandom(seed);
  const lines = Array.from({ length: 2 + Math.floor(2 * rand()) }, () => ({ x: 8 + rand() * (width - 16), drift: 0.1 * (rand() - 0.5), contrast: (rand() < 0.5 ? -1 : 1) * (2 + 2 * rand()) }));
  return (L) => {
    for (let i = 0; i < L.length; i++) L[i] += 1.5 * Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    return lines.map((line) => {
      const x = Math.round(line.x);
      for (let y = 0; y < height; y++) L[y * width + x] += line.contrast;
      line.x = Math.min(width - 8, Math.max(8, line.x + line.drift));
      return x;
    });
  };
}

export const CASES: Case[] = [
  { name: 'flicker', damage: { dust: false, scratches: false, grain: false } },
  { name: 'dust', damage: { flicker: false, scratches: false, grain: false } },
  { name: 'scratches', damage: { dust: false, flicker: false, grain: false } },
  { name: 'grain', damage: { dust: false, flicker: false, scratches: false } },
  { name: 'blotches', damage: { dust: false, flicker: false, scratches: false, grain: false, blotches: true } },
  { name: 'hairlines', damage: NOTHING, extra: hairlines, repair: 'scratches' },
  { name: 'regional', damage: NOTHING, extra: (w, h, seed) => { const g = new RegionalFlicker(w, h, { seed }); return (L) => g.apply(L); }, repair: 'flicker' },
  { name: 'all', damage: { blotches: true } },
];

/** The clip damaged by the generator (and `extra`): the frames, the dust blobs and the blotches put on them. */
export function damageClip(clip: Clip, damage: DamageOptions, seed: number, extra?: Case['extra']): { damaged: Float32Array[]; blobs: { t: number; px: Int32Array }[]; blotches: PlacedBlotch[]; lines: { t: number; x: number }[] } {
  const gen = new FilmDamage(clip.width, clip.height, { ...damage, seed });
  const more = extra?.(clip.width, clip.height, seed);
  const damaged: Float32Array[] = [];
  const blobs: { t: number; px: Int32Array }[] = [];
  const blotches: PlacedBlotch[] = [];
  const lines: { t: number; x: number }[] = [];
  clip.frames.forEach((L, t) => {
    const d = L.slice();
    const truth = gen.apply(d);
    for (const px of truth.blobs) blobs.push({ t, px });
    for (const b of truth.blotches) blotches.push({ t, truth: b });
    for (const x of more?.(d) ?? []) lines.push({ t, x });
    damaged.push(d);
  });
  return { damaged, blobs, blotches, lines };
}

export async function measureCase(clip: Clip, name: string, damage: DamageOptions, settings: RestoreSettings, seed: number, extra?: Case['extra']): Promise<Row> {
  const { width, height } = clip;
  const { damaged, blobs, blotches, lines } = damageClip(clip, damage, seed, extra);
  const restored = await restoreFrames(damaged, width, height, settings);
  const ssim = new Ssim(width, height);
  const qd = quality(damaged, clip.frames, ssim), qr = quality(restored, clip.frames, ssim);
  let counted = 0, removed = 0;
  const frameError = restored.map((L, t) => meanAbs(L, clip.frames[t]));
  for (const b of blobs) {
    const ed = blobError(damaged[b.t], clip.frames[b.t], b.px);
    if (ed < VISIBLE) continue;
    counted++;
    if (blobError(restored[b.t], clip.frames[b.t], b.px) <= Math.max(0.3 * ed, 1.5 * frameError[b.t])) removed++;
  }
  return {
    clip: clip.name, damage: name,
    psnrDamaged: qd.psnr, psnrRestored: qr.psnr, ssimDamaged: qd.ssim, ssimRestored: qr.ssim,
    flickerDamaged: flickerOf(damaged), flickerRestored: flickerOf(restored), flickerClean: flickerOf(clip.frames),
    dustRemoved: counted ? removed / counted : null, dustBlobs: counted,
    ...(blotches.length ? { blotches: blotchStats(blotches, damaged, restored, clip.frames) } : {}),
    ...(lines.length ? { lines: lineStats(lines, damaged, restored, clip.frames, width, height) } : {}),
  };
}

/**
 * The faint lines' own figure (the whole frame's PSNR hardly sees them under the grain put with
 * them): each line's column mean of L against the clean frame, damaged and restored (the grain
 * averages out over the rows), and the share of lines brought under 30 % of it.
 */
function lineStats(lines: { t: number; x: number }[], damaged: Float32Array[], restored: Float32Array[], clean: Float32Array[], w: number, h: number): LineStats {
  let d = 0, r = 0, out = 0, beside = 0;
  const columnOffset = (X: Float32Array, C: Float32Array, x: number) => {
    let s = 0;
    for (let y = 0; y < h; y++) s += X[y * w + x] - C[y * w + x];
    return Math.abs(s / h);
  };
  for (const { t, x } of lines) {
    const ed = columnOffset(damaged[t], clean[t], x), er = columnOffset(restored[t], clean[t], x);
    d += ed;
    r += er;
    if (er <= 0.3 * ed) out++;
    // A repair that takes a line's lobes for lines of their own shifts the columns beside it.
    beside += 0.5 * (columnOffset(restored[t], clean[t], Math.max(0, x - 2)) + columnOffset(restored[t], clean[t], Math.min(w - 1, x + 2)));
  }
  return { count: lines.length, damaged: d / lines.length, restored: r / lines.length, takenOut: out / lines.length, beside: beside / lines.length };
}

/**
 * The same blotches filled four ways: the net or the directional fill, each after the fill from
 * frames further away and alone (every blotch pixel filled spatially). PSNR over blotch pixels.
 */
export async function compareFills(clip: Clip, settings: RestoreSettings, seed: number): Promise<Record<string, BlotchGroupStats[]>> {
  const { damaged, blotches } = damageClip(clip, CASES.find((c) => c.name === 'blotches')!.damage, seed);
  const out: Record<string, BlotchGroupStats[]> = {};
  for (const fill of ['net', 'directional'] as const) {
    for (const fromFrames of [true, false]) {
      const only: RestoreSettings = { flicker: null, dust: null, scratches: null, grain: null, blotches: { ...settings.blotches!, fill, fromFrames } };
      const restored = await restoreFrames(damaged, clip.width, clip.height, only);
      out[`${fill}${fromFrames ? ' after frames' : ' alone'}`] = blotchStats(blotches, damaged, restored, clip.frames);
    }
  }
  return out;
}

/** The stage on a clean clip: PSNR of what it changed, share of pixels taken for dust, frames with scratches found. */

/** What the stage did to a clean clip (nothing to repair): every change is a false repair. */
export interface CleanResult {
  /** Mean over frames of the PSNR of L against the input (a frame left as it is counts 99). */
  psnr: number;
  /** The lowest frame's PSNR. */
  worst: number;
  /** PSNR over all frames' pixels at once (mean squared error pooled). */
  pooled: number;
  /** Share of pixels changed by 2 L or more (any repair; flicker's small shifts are not counted). */
  touchedShare: number;
  dustPixelShare: number;
  scratchPixelShare: number;
  blotchPixelShare: number;
}

/** L changes of at least this many units count as touched (a visible change). */
const TOUCHED = 2;

export async function measureClean(clip: Clip, settings: RestoreSettings): Promise<CleanResult> {
  let dustPixels = 0, scratchPixels = 0, blotchPixels = 0;
  const restored = await restoreFrames(clip.frames, clip.width, clip.height, settings, undefined, {
    dust: (_i, r) => (dustPixels += r?.pixels ?? 0),
    scratches: (_i, r) => (scratchPixels += r.pixels),
    blotches: (_i, r) => (blotchPixels += r ? r.fromFrames + r.spatial : 0),
  });
  let p = 0, worst = 99, se = 0, touched = 0;
  restored.forEach((L, t) => {
    const ref = clip.frames[t];
    const q = Math.min(99, psnrL(L, ref));
    p += q;
    worst = Math.min(worst, q);
    for (let i = 0; i < L.length; i++) {
      const d = L[i] - ref[i];
      se += d * d;
      if (d >= TOUCHED || d <= -TOUCHED) touched++;
    }
  });
  const total = clip.width * clip.height * clip.frames.length;
  const pooled = se > 0 ? Math.min(99, 10 * Math.log10((100 * 100) / (se / total))) : 99;
  return { psnr: p / restored.length, worst, pooled, touchedShare: touched / total, dustPixelShare: dustPixels / total, scratchPixelShare: scratchPixels / total, blotchPixelShare: blotchPixels / total };
}

/**
 * Fast motion made from a development clip with ffmpeg: every third frame (three times the
 * motion between frames), and a crop that pans back and forth across the frame (up to 27 px a
 * frame on top of the clip's own motion).
 */
export const FAST_MOTION: { suffix: string; filter: string }[] = [
  { suffix: 'x3', filter: 'framestep=3' },
  { suffix: 'pan', filter: "crop=480:300:x='80+80*sin(n/3)':y=30" },
];

const f1 = (x: number) => x.toFixed(1), f2 = (x: number) => x.toFixed(2), f3 = (x: number) => x.toFixed(3);

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      frames: { type: 'string', default: '48' },
      clips: { type: 'string' },
      cases: { type: 'string' },
      preset: { type: 'string', default: 'auto' },
      seed: { type: 'string', default: '1' },
      'cost-frames': { type: 'string', default: '12' },
      'no-cost': { type: 'boolean' },
      motion: { type: 'string', default: 'plain' },
      bw: { type: 'boolean' },
      png: { type: 'string' },
      json: { type: 'boolean' },
      clean: { type: 'boolean' },
      sheets: { type: 'string' },
    },
  });
  const settings = RESTORE_PRESETS[v.preset as keyof typeof RESTORE_PRESETS];
  if (!settings) throw new Error(`--preset ${v.preset}: expected auto, light or strong`);
  const frames = Number(v.frames);
  // --motion x3|pan: the damage cases on a fast-motion version of each clip (FAST_MOTION).
  const fast = v.motion === 'plain' ? undefined : FAST_MOTION.find((m) => m.suffix === v.motion);
  if (v.motion !== 'plain' && !fast) throw new Error(`--motion ${v.motion}: expected plain, ${FAST_MOTION.map((m) => m.suffix).join(' or ')}`);
  const names = v.clips ? v.clips.split(',') : ['davis_car-roundabout', 'sam2_dog', 'sam2_juggle', 'intel_asl_book'];
  if (v.sheets) {
    await bwSheets(v.sheets, frames === 48 ? 30 : frames, settings);
    return;
  }
  if (v.clean) {
    await cleanOnly(names, v.frames === '48' ? 100000 : frames, settings, v.json ?? false);
    return;
  }
  const rows: Row[] = [];
  const clean: ({ clip: string } & CleanResult)[] = [];
  const fills: Record<string, BlotchGroupStats[][]> = {};
  const out: Record<string, unknown> = { preset: v.preset, frames, motion: v.motion };
  console.log(`restore bench: preset ${v.preset}, ${frames} frames per clip${fast ? `, ${fast.suffix} versions` : ""}, look-ahead\n`);
  console.log('clip                  damage     PSNR dmg  PSNR rst   gain  SSIM dmg SSIM rst  flicker dmg -> rst (clean)  dust removed');
  let seed = Number(v.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed ${v.seed}: expected a whole number`);
  for (const name of names) {
    const path = join(CLIP_DIR, `${name}.mp4`);
    if (!existsSync(path)) {
      console.log(`${name}: not found, skipped`);
      continue;
    }
    const clip = await readGrayL(path, frames, undefined, fast?.filter);
    for (const c of CASES.filter((k) => !v.cases || v.cases.split(',').includes(k.name))) {
      // One defect: that repair alone (--restore <defect>); all: the whole preset.
      const repair = c.repair ?? (c.name as RestoreDefect);
      const only = c.name === 'all' ? settings : { flicker: null, dust: null, scratches: null, grain: null, blotches: null, [repair]: settings[repair] };
      const r = await measureCase(clip, c.name, c.damage, only, seed++, c.extra);
      rows.push(r);
      if (r.lines) console.log(`    lines ${r.lines.count}: column offset ${f2(r.lines.damaged)} -> ${f2(r.lines.restored)} L, taken out ${f1(100 * r.lines.takenOut)} %, 2 px beside ${f2(r.lines.beside)} L`);
      for (const g of r.blotches ?? []) console.log(`    blotches ${g.group.padEnd(22)} ${String(g.count).padStart(3)}: ${f2(g.psnrDamaged)} -> ${f2(g.psnrRestored)} dB over their pixels, repaired ${f1(100 * g.repaired)} %`);
      console.log(`${r.clip.padEnd(21)} ${r.damage.padEnd(9)} ${f2(r.psnrDamaged).padStart(8)} ${f2(r.psnrRestored).padStart(9)} ${(r.psnrRestored - r.psnrDamaged >= 0 ? '+' : '') + f2(r.psnrRestored - r.psnrDamaged)} ${f3(r.ssimDamaged).padStart(8)} ${f3(r.ssimRestored).padStart(8)}  ${f2(r.flickerDamaged).padStart(6)} -> ${f2(r.flickerRestored)} (${f2(r.flickerClean)})        ${r.dustRemoved === null ? '-' : `${f1(100 * r.dustRemoved)} % of ${r.dustBlobs}`}`);
    }
    if (settings.blotches) {
      for (const [k, stats] of Object.entries(await compareFills(clip, settings, seed++))) {
        (fills[k] ??= []).push(stats);
        console.log(`    fill ${k.padEnd(24)} ` + stats.map((g) => `${g.group}: ${f2(g.psnrRestored)} dB`).join(', '));
      }
    }
    const k = await measureClean(clip, settings);
    clean.push({ clip: clip.name, ...k });
  }
  console.log('\nmean over clips:');
  for (const c of CASES) {
    const rs = rows.filter((r) => r.damage === c.name);
    if (!rs.length) continue;
    const m = (f: (r: Row) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    const dust = rs.filter((r) => r.dustRemoved !== null);
    const removed = dust.length ? dust.reduce((s, r) => s + r.dustRemoved! * r.dustBlobs, 0) / dust.reduce((s, r) => s + r.dustBlobs, 0) : null;
    console.log(`  ${c.name.padEnd(9)} PSNR ${f2(m((r) => r.psnrDamaged))} -> ${f2(m((r) => r.psnrRestored))} dB (+${f2(m((r) => r.psnrRestored - r.psnrDamaged))}), SSIM ${f3(m((r) => r.ssimDamaged))} -> ${f3(m((r) => r.ssimRestored))}, flicker ${f2(m((r) => r.flickerDamaged))} -> ${f2(m((r) => r.flickerRestored))} (${f1(100 * (1 - m((r) => r.flickerRestored) / m((r) => r.flickerDamaged)))} % cut)${removed === null ? '' : `, dust removed ${f1(100 * removed)} %`}`);
    const ls = rs.flatMap((r) => (r.lines ? [r.lines] : []));
    if (ls.length) {
      const n = ls.reduce((s, l) => s + l.count, 0), w = (f: (l: LineStats) => number) => ls.reduce((s, l) => s + f(l) * l.count, 0) / n;
      console.log(`            lines ${n}: column offset ${f2(w((l) => l.damaged))} -> ${f2(w((l) => l.restored))} L, taken out ${f1(100 * w((l) => l.takenOut))} %, 2 px beside ${f2(w((l) => l.beside))} L`);
    }
  }
  for (const c of ['blotches', 'all']) {
    const rs = rows.filter((r) => r.damage === c && r.blotches);
    if (!rs.length) continue;
    console.log(`\nblotch pixels, damage "${c}" (PSNR of L over the blotches' pixels, pooled over clips):`);
    for (const g of poolBlotchStats(rs.map((r) => r.blotches!))) {
      console.log(`  ${g.group.padEnd(22)} ${String(g.count).padStart(4)} blotches  ${f2(g.psnrDamaged)} -> ${f2(g.psnrRestored)} dB (+${f2(g.psnrRestored - g.psnrDamaged)}), repaired ${f1(100 * g.repaired)} %`);
    }
  }
  if (Object.keys(fills).length) {
    console.log('\nlearned net vs directional fill on the same blotches (blotch pixels, pooled):');
    const pooled: Record<string, BlotchGroupStats[]> = {};
    for (const [k, list] of Object.entries(fills)) {
      pooled[k] = poolBlotchStats(list);
      console.log(`  ${k.padEnd(24)} ` + pooled[k]!.map((g) => `${g.group}: ${f2(g.psnrRestored)} dB`).join(', '));
    }
    out.fills = pooled;
  }
  console.log('\nclean clips through the stage (nothing to repair):');
  for (const c of clean) console.log(cleanLine(c.clip, c));
  out.rows = rows;
  out.clean = clean;

  if (!v['no-cost']) {
    console.log('\ncost per frame (all damage, every stage, look-ahead; ms):');
    const cost: Record<string, Record<string, number>> = {};
    const source = join(CLIP_DIR, 'davis_car-roundabout.mp4');
    for (const [label, width, height] of [['480p', 854, 480], ['1080p', 1920, 1080]] as const) {
      const clip = await readGrayL(source, Number(v['cost-frames']), { width, height });
      const gen = new FilmDamage(width, height, { seed: 99, blotches: true });
      const damaged = clip.frames.map((L) => {
        gen.apply(L);
        return L;
      });
      const timer = new StageTimer();
      const total = (await restoreFrames(damaged, width, height, settings, timer)).ms! / damaged.length;
      const per = timer.perFrame();
      cost[label] = { ...per, total };
      console.log(`  ${label.padEnd(6)} total ${f1(total)}  ` + Object.entries(per).map(([k, ms]) => `${k.replace('restore-', '')} ${f1(ms)}`).join('  '));
    }
    out.cost = cost;
  }

  if (v.bw && existsSync(BW_CLIP)) {
    const clip = await readGrayL(BW_CLIP, 1000);
    const found = { dust: 0, dustPixels: 0, scratchPixels: 0, grain: 0, grainFrames: 0, blotches: 0 };
    const restored = await restoreFrames(clip.frames, clip.width, clip.height, settings, undefined, {
      blotches: (_i, r) => (found.blotches += r?.blotches ?? 0),
      dust: (_i, r) => {
        found.dust += r?.blobs ?? 0;
        found.dustPixels += r?.pixels ?? 0;
      },
      scratches: (_i, r) => (found.scratchPixels += r.pixels),
      grain: (_i, level) => {
        if (level !== null) {
          found.grain += level;
          found.grainFrames++;
        }
      },
    });
    let p = 0;
    restored.forEach((L, t) => (p += Math.min(99, psnrL(L, clip.frames[t]))));
    const nf = clip.frames.length;
    console.log(`\nreal B&W clip ${basename(BW_CLIP)} (${clip.width}x${clip.height}, ${nf} frames): ${found.blotches} blotches, ${f1(found.dust / nf)} dust blobs a frame (${f3((100 * found.dustPixels) / (nf * clip.width * clip.height))} % of pixels), scratch pixels ${f3((100 * found.scratchPixels) / (nf * clip.width * clip.height))} %, grain level ${f2(found.grain / Math.max(1, found.grainFrames))} L, flicker ${f2(flickerOf(clip.frames))} -> ${f2(flickerOf(restored))}, PSNR restored vs input ${f2(p / nf)} dB`);
    out.bw = { ...found, frames: nf, flickerBefore: flickerOf(clip.frames), flickerAfter: flickerOf(restored) };
    if (v.png) {
      mkdirSync(v.png, { recursive: true });
      const { width: w, height: h } = clip;
      for (const t of [Math.floor(nf * 0.2), Math.floor(nf * 0.5), Math.floor(nf * 0.8)]) {
        const img = Buffer.alloc(2 * w * h);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            img[y * 2 * w + x] = Math.round(lToCode(clip.frames[t][y * w + x]));
            img[y * 2 * w + w + x] = Math.round(lToCode(restored[t][y * w + x]));
          }
        }
        const file = join(v.png, `bw-frame-${t}.png`);
        await sharp(img, { raw: { width: 2 * w, height: h, channels: 1 } }).png().toFile(file);
        console.log(`  wrote ${file} (left: input, right: restored)`);
      }
    }
  }
  if (v.json) console.log(JSON.stringify(out));
}

function cleanLine(name: string, c: CleanResult): string {
  return `  ${name.padEnd(24)} PSNR vs input ${f2(c.psnr)} dB (worst frame ${f2(c.worst)}, pooled ${f2(c.pooled)}), touched ${f3(100 * c.touchedShare)} %, taken for dust ${f3(100 * c.dustPixelShare)} %, for scratches ${f3(100 * c.scratchPixelShare)} %, for blotches ${f3(100 * c.blotchPixelShare)} %`;
}

/** --clean: only the clean clips (whole, unless --frames says otherwise) and their fast-motion versions. */
async function cleanOnly(names: string[], frames: number, settings: RestoreSettings, json: boolean): Promise<void> {
  console.log('clean clips through the stage (nothing to repair; every change is a false repair):');
  const out: Record<string, CleanResult> = {};
  for (const name of names) {
    const path = join(CLIP_DIR, `${name}.mp4`);
    if (!existsSync(path)) continue;
    for (const variant of [{ suffix: '', filter: '' }, ...FAST_MOTION]) {
      const clip = await readGrayL(path, frames, undefined, variant.filter || undefined);
      const label = variant.suffix ? `${name}-${variant.suffix}` : name;
      out[label] = await measureClean(clip, settings);
      console.log(cleanLine(label, out[label]));
    }
  }
  if (json) console.log(JSON.stringify(out));
}

/**
 * --sheets DIR: each real B&W clip (bw/*.mp4, 320 px wide) through the stage; a contact sheet per
 * clip (DIR/restore-bw-NAME.jpg): three frames, each as input | restored | change x8 (white =
 * changed by 12.5 L or more), and a line of what was found.
 */
async function bwSheets(dir: string, frames: number, settings: RestoreSettings): Promise<void> {
  const { readdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const bwDir = join(CLIP_DIR, 'bw');
  for (const file of readdirSync(bwDir).filter((f) => f.endsWith('.mp4')).sort()) {
    const path = join(bwDir, file);
    const { stderr } = await run(FFMPEG, ['-hide_banner', '-i', path], { encoding: 'utf8' }).catch((e: { stderr: string }) => ({ stderr: e.stderr }));
    const m = /Video:.*?(\d{2,5})x(\d{2,5})/.exec(stderr);
    if (!m) continue;
    const width = 320, height = 2 * Math.round((320 * Number(m[2])) / Number(m[1]) / 2);
    const clip = await readGrayL(path, frames, { width, height });
    const found = { blotches: 0, dust: 0, scratch: 0 };
    const restored = await restoreFrames(clip.frames, width, height, settings, undefined, {
      blotches: (_i, r) => (found.blotches += r?.blotches ?? 0),
      dust: (_i, r) => (found.dust += r?.blobs ?? 0),
      scratches: (_i, r) => (found.scratch += r.pixels),
    });
    const nf = clip.frames.length;
    const picks = [Math.floor(nf * 0.25), Math.floor(nf * 0.5), Math.floor(nf * 0.75)];
    const img = Buffer.alloc(3 * width * picks.length * height);
    picks.forEach((t, row) => {
      for (let y = 0; y < height; y++) {
        const o = (row * height + y) * 3 * width;
        for (let x = 0; x < width; x++) {
          const i = y * width + x, a = clip.frames[t]![i]!, b = restored[t]![i]!;
          img[o + x] = Math.round(lToCode(a));
          img[o + width + x] = Math.round(lToCode(b));
          img[o + 2 * width + x] = Math.min(255, Math.round(Math.abs(b - a) * 8 * 2.55));
        }
      }
    });
    const out = join(dir, `restore-bw-${basename(file, '.mp4')}.jpg`);
    await sharp(img, { raw: { width: 3 * width, height: picks.length * height, channels: 1 } }).jpeg({ quality: 70 }).toFile(out);
    let p = 0;
    restored.forEach((L, t) => (p += Math.min(99, psnrL(L, clip.frames[t]!))));
    console.log(`${file} (${nf} frames at ${width}x${height}): ${found.blotches} blotches, ${f1(found.dust / nf)} dust blobs a frame, scratch pixels ${f3((100 * found.scratch) / (nf * width * height))} %, PSNR restored vs input ${f2(p / nf)} dB, frames ${picks.join(', ')} -> ${out}`);
  }
}

/** CIE L* -> 8-bit sRGB gray code. */
function lToCode(L: number): number {
  const fy = (L + 16) / 116;
  const Y = L > 8 ? fy * fy * fy : L / 903.3;
  const c = Y <= 0.0031308 ? 12.92 * Y : 1.055 * Math.pow(Y, 1 / 2.4) - 0.055;
  return Math.max(0, Math.min(255, c * 255));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
