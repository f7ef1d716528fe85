// Hints for a video file: a first pass that finds where each hint is in every frame of its span,
// so the colour pass (the usual graph) can paint it there. Tracking runs both ways from the frame a
// hint was placed on, and backwards needs frames the colour pass has not decoded yet, so the first
// pass decodes the video once at model resolution (ffmpeg scales it: about 30 KB a frame at
// 192x144) and spools the 8-bit L planes to a temporary file; the tracker then reads them back in
// either order. Memory stays bounded whatever the length of the film: the planes are on disk, and
// what stays in memory is two positions a hint a frame.
//
// Shots: the same scene-cut test as the smoothing stage (smoothing/scene-cut.ts) runs on the
// planes. A cut ends every hint (a point cannot be followed across one): `"shot"` lives from the
// cut before its frame to the one after it, a numeric `until` at most to the next cut.
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap } from 'rxjs';
import { decodeFrames } from '../operators/decode-frames.js';
import { FlowGate } from '../core/flow-gate.js';
import { FALLBACK_FPS } from '../core/defaults.js';
import { ChromaError, outputError, usageError } from '../core/errors.js';
import { modelSize } from '../color/resample.js';
import { rgbToL } from '../color/lab.js';
import { ShotCollector, type FilmShots, type ShotInfo, type ShotMap } from '../shots/shot-map.js';
import { otherShotsOfSetup, setupReach, shotOf } from './setup-hints.js';
import { drain } from '../shots/find-shots.js';
import { hintFrame, type Hint, type HintsFile } from '../hints/hints-file.js';
import { toInputPixels, toModelPixels, type RasterHint } from '../hints/rasterize.js';
import { trackAt, trackHints, type HintTrack, type HintTrackOptions, type LostReason, type PlaneReader, type TrackSpec } from '../hints/hint-tracks.js';
import type { HintProvider } from '../operators/apply-hints.js';
import { ChildGroup } from '../media/child.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';

/** A hint point that stopped being followed: from `frame` on (in `direction`), it paints nothing. */
export interface HintLoss {
  /** The hint's `id`, or `hints[i]` when it has none. */
  hint: string;
  /** Index in the file's `hints`. */
  index: number;
  frame: number;
  direction: 'forward' | 'backward';
  /** 'not-found': a setup hint not re-found in another shot of its setup (`shot`; its patch did not match, or it fell outside the picture), at that shot's first frame. */
  reason: LostReason | 'past-the-end' | 'not-found';
  /** A setup hint's loss in another shot of its setup: that shot's index (ShotMap.shots). */
  shot?: number;
  /** The frame the point was found again (hint-tracks.ts): absent from `frame` to the frame before; none when it never was. */
  back?: number;
}

export interface VideoHintsPlan {
  /** Per-frame hints for the colour pass (applyHints). */
  provider: HintProvider;
  losses: HintLoss[];
  /** First frames of shots after the first (scene cuts), in order. */
  cuts: number[];
  /** Frames the first pass decoded. */
  frames: number;
  /** Per hint: the frames it lives in after tracking in its own shot, inclusive (null: none). */
  spans: ({ first: number; last: number } | null)[];
  /** Per hint: the shots it paints in, ascending (its own; a setup hint's others where re-found). */
  reaches: number[][];
  /** The film's shots and camera setups (the pass found them on the planes). */
  shots: ShotMap;
}

export interface VideoHintsOptions {
  /** Model input short side (default: the model's training size), as the colour pass uses it. */
  size?: number;
  /** ffmpeg filters before scaling (the job's deinterlacing). Default: none. */
  filters?: string[];
  /** Histogram distance above which a frame starts a new shot (default: the smoothing stage's, 0.2). */
  cutThreshold?: number;
  /** Tracking settings (default: hint-tracks.ts's). */
  tracking?: HintTrackOptions;
  signal?: AbortSignal;
  /** The job's ffmpeg children: the decoder joins them. */
  children: ChildGroup;
}

/** Run the first pass and the tracking; the returned provider serves the colour pass. */
export async function planVideoHints(model: LoadedModel, info: MediaInfo, file: HintsFile, opts: VideoHintsOptions): Promise<VideoHintsPlan> {
  const planes = await spoolFilmPlanes(model, info, opts);
  try {
    return await planFromPlanes(planes, info, file, opts.tracking);
  } finally {
    await planes.close();
  }
}

/** The film at model resolution, spooled to disk, for tracking in any order. */
export interface FilmPlanes {
  /** Model-resolution size. */
  width: number;
  height: number;
  frames: number;
  /** First frames of shots after the first (scene cuts), in order. */
  cuts: number[];
  /** The shots and their camera setups, found on the same planes in the same pass (src/shots/). */
  shots: FilmShots;
  /** Frame `i`'s 8-bit L plane (L* x 2.55), in a buffer that the next read overwrites. */
  read: PlaneReader;
  /** Remove the spool. */
  close(): Promise<void>;
}

/** Decode `info` once at model size (the first pass) into a temporary spool; close() removes it. */
export async function spoolFilmPlanes(model: LoadedModel, info: MediaInfo, opts: VideoHintsOptions): Promise<FilmPlanes> {
  const { width: mw, height: mh } = modelSize(info.width, info.height, opts.size ?? model.info.trainSize, model.info.sizeMultiple);
  const plane = mw * mh;
  const dir = await mkdtemp(join(tmpdir(), 'chroma-hints-')).catch((err: Error) => {
    throw outputError(`cannot create a temporary folder for hint tracking (${err.message})`);
  });
  const fh = await open(join(dir, 'planes.u8'), 'w+');
  const close = async () => {
    await fh.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { frames, cuts, shots } = await spoolPlanes(info, mw, mh, fh, opts);
    const buf = new Uint8Array(plane);
    // Reads are serialised by their callers (one tracker at a time), so one buffer serves them all.
    const read = async (i: number) => {
      await fh.read(buf, 0, plane, i * plane);
      return buf;
    };
    return { width: mw, height: mh, frames, cuts, shots, read, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Where a hint lives before tracking: its placed frame, its span (cuts, `until`) and its point in model pixels. */
export function hintSpec(hint: Hint, planes: Pick<FilmPlanes, 'width' | 'height' | 'frames' | 'cuts'>, info: MediaInfo): TrackSpec | null {
  const start = hintFrame(hint, info.fps ?? FALLBACK_FPS);
  const { frames, cuts } = planes;
  if (start >= frames) return null;
  const shotFirst = cuts.filter((c) => c <= start).pop() ?? 0;
  const shotLast = (cuts.find((c) => c > start) ?? frames) - 1;
  // In its own shot a setup hint lives as a shot hint; setup-hints.ts takes it to the others.
  const until = hint.until === 'setup' ? 'shot' : hint.until ?? 'shot';
  const first = until === 'shot' ? shotFirst : start;
  const last = until === 'shot' ? shotLast : until === 'frame' ? start : Math.min(until, shotLast);
  const sx = planes.width / info.width, sy = planes.height / info.height;
  return { start, first, last, x: toModelPixels(hint.x, sx), y: toModelPixels(hint.y, sy) };
}

/** Track every hint of `file` through the spooled planes (a setup hint through every shot of its setup). */
export async function planFromPlanes(planes: FilmPlanes, info: MediaInfo, file: HintsFile, tracking?: HintTrackOptions): Promise<VideoHintsPlan> {
  const { frames, cuts } = planes;
  const { map } = planes.shots;
  const losses: HintLoss[] = [];
  const specs: TrackSpec[] = [];
  // Per spec: its hint's index, and the shot it was re-found in (a setup hint's other shots).
  const owners: { index: number; shot?: number }[] = [];
  const name = (i: number) => file.hints[i].id ?? `hints[${i}]`;
  for (const [i, h] of file.hints.entries()) {
    const spec = hintSpec(h, planes, info);
    if (!spec) {
      losses.push({ hint: name(i), index: i, frame: hintFrame(h, info.fps ?? FALLBACK_FPS), direction: 'forward', reason: 'past-the-end' });
      continue;
    }
    specs.push(spec);
    owners.push({ index: i });
    if (h.until !== 'setup') continue;
    if (otherShotsOfSetup(map, spec.start).length === 0) throw loneSetupError(name(i), shotOf(map, spec.start), map);
    for (const r of await setupReach(spec.start, spec.x, spec.y, planes)) {
      const shot = map.shots[r.shot];
      if (r.spec) {
        specs.push(r.spec);
        owners.push({ index: i, shot: r.shot });
      } else losses.push({ hint: name(i), index: i, frame: shot.start, direction: 'forward', reason: 'not-found', shot: r.shot });
    }
  }
  const tracks = await trackHints(specs, planes.width, planes.height, planes.read, tracking);
  const spans: VideoHintsPlan['spans'] = file.hints.map(() => null);
  const reaches: number[][] = file.hints.map(() => []);
  const placed: PlacedTrack[] = [];
  tracks.forEach((t, k) => {
    const { index: i, shot } = owners[k];
    const h = file.hints[i];
    if (shot === undefined) spans[i] = { first: t.first, last: t.last };
    reaches[i].push(shot ?? shotOf(map, t.first).index);
    placed.push({ hint: h, track: t });
    for (const l of t.lost) losses.push({ hint: name(i), index: i, ...l, ...(shot !== undefined ? { shot } : {}) });
  });
  for (const r of reaches) r.sort((a, b) => a - b);
  losses.sort((a, b) => a.index - b.index || a.frame - b.frame);
  return { provider: trackedHintProvider(placed, planes.width / info.width, planes.height / info.height), losses, cuts, frames, spans, reaches, shots: map };
}

/** A setup hint whose shot is the only one of its setup: refused, as a hint that cannot do what it says. */
function loneSetupError(hint: string, shot: ShotInfo, map: ShotMap): ChromaError {
  const film = map.shots.length === 1 ? 'the film is one shot' : `no other shot of the film shows its camera setup (${map.setups.length} setups in ${map.shots.length} shots: chroma shots FILM lists them)`;
  return usageError(`hints: ${hint}: "until": "setup", but ${film}; its shot is frames ${shot.start}-${shot.end - 1}; use "until": "shot"`);
}

/** A hint with its track. */
export interface PlacedTrack {
  hint: Hint;
  track: HintTrack;
}

/** Per frame, every tracked hint alive there, at its tracked point in input pixels; sx, sy: model / input pixels. */
export function trackedHintProvider(placed: readonly PlacedTrack[], sx: number, sy: number): HintProvider {
  return (t) => {
    const out: RasterHint[] = [];
    for (const { hint: h, track } of placed) {
      const at = trackAt(track, t);
      if (!at) continue;
      out.push({ x: toInputPixels(at[0], sx), y: toInputPixels(at[1], sy), ab: h.ab, ...(h.size !== undefined ? { size: h.size } : {}) });
    }
    return out;
  };
}

/** Decode at model size, write each frame's 8-bit L plane at its index, and find the shots (cuts, setups). */
function spoolPlanes(info: MediaInfo, mw: number, mh: number, fh: FileHandle, opts: VideoHintsOptions): Promise<{ frames: number; cuts: number[]; shots: FilmShots }> {
  const plane = mw * mh;
  const gate = new FlowGate(8);
  const L = new Float32Array(plane);
  const codes = new Uint8Array(plane);
  const fps = info.fps ?? FALLBACK_FPS;
  const collector = new ShotCollector(mw, mh, opts.cutThreshold !== undefined ? { cutThreshold: opts.cutThreshold } : {});
  let frames = 0;
  const frames$ = decodeFrames({
    input: info.path, width: mw, height: mh, gate, fps: info.fps, label: info.path, codecName: info.codecLongName,
    // Area averaging, as the colour pass resamples L for the model.
    filters: [...(opts.filters ?? []), `scale=${mw}:${mh}:flags=area`],
    children: opts.children,
  }).pipe(concatMap(async (f) => {
    rgbToL(f.rgb, L, plane);
    for (let i = 0; i < plane; i++) codes[i] = Math.round(L[i] * 2.55);
    collector.push(f.index, L, f.pts ?? f.index / fps);
    await fh.write(codes, 0, plane, f.index * plane);
    frames = f.index + 1;
    gate.release();
  }));
  return drain(frames$, opts.signal).then(() => ({ frames, cuts: collector.cuts, shots: collector.finish(fps, { width: info.width, height: info.height }) }));
}

/**
 * The first pass for a file job, with the job's own settings (model size, deinterlacing, the
 * smoothing's cut threshold); waits for its decoder to exit, also on failure.
 */
export async function videoHintsForJob(
  model: LoadedModel, info: MediaInfo, file: HintsFile, o: { size?: number; deinterlace: boolean; cutThreshold?: number; signal?: AbortSignal },
): Promise<VideoHintsPlan> {
  const children = new ChildGroup();
  try {
    return await planVideoHints(model, info, file, {
      ...(o.size !== undefined ? { size: o.size } : {}),
      ...(o.cutThreshold !== undefined ? { cutThreshold: o.cutThreshold } : {}),
      filters: o.deinterlace ? ['yadif=0'] : [], children, ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (err) {
    children.killAll();
    throw err;
  } finally {
    await children.settled();
  }
}
