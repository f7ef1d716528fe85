// Submitting a run: probe each film, cut its video at keyframes into pieces (stream copy), put the
// pieces and the source in the store, and add one BullMQ flow per film: a join job whose children
// are the film's segment jobs. The join runs only when every segment has completed; a segment that
// fails for good fails its join (failParentOnFailure), so a run never waits forever.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { FlowProducer, type FlowJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { cutAtKeyframes, packetTimes } from '../../media/cut.js';
import { firstFramePts, probeMedia, type MediaInfo } from '../../media/probe.js';
import { prepareOutput } from '../../core/output-file.js';
import { SMOOTH_DEFAULTS, smoothingAlpha } from '../../smoothing/options.js';
import { inputError, usageError } from '../../core/errors.js';
import { restoreHold } from '../../graph/restore-stage.js';
import { serializeHints } from '../../hints/hints-file.js';
import { loadJobHints, type HintsInput } from '../job-hints.js';
import type { RestoreSettings } from '../../restore/options.js';
import { JOIN_QUEUE, SEGMENT_QUEUE, joinJobId, newRunId, runPrefix, segmentJobId } from './connection.js';
import type { Store } from './store.js';
import type { ColourSettings, JoinJobData, PieceInfo, SegmentJobData } from './types.js';

/** Default source seconds per queued segment: long enough that queue, store and carry costs stay small. */
export const DEFAULT_QUEUE_SEGMENT_SECONDS = 30;
/** Tries per segment (and per join) before the run fails; retries wait 2 s, 4 s, ... */
export const DEFAULT_ATTEMPTS = 3;
const BACKOFF = { type: 'exponential' as const, delay: 2000 };
/** Finished jobs stay in Redis this long (for `chroma status`), then BullMQ drops them. */
const KEEP_SECONDS = 7 * 24 * 3600;

/**
 * Frames of warm-up a segment needs so that the smoothing's history at its first frame is within 1 %
 * of a continuous run's: the recursive filter's weight of a frame n frames back is alpha^n. The
 * restoration's windows (flicker, motion) need their own frames on both sides of a seam too.
 */
export function carryFrames(smooth: number, restore: RestoreSettings | null = null): { carry: number; lookahead: number } {
  const alpha = smoothingAlpha(smooth);
  const hold = restoreHold(restore);
  if (alpha === 0) return { carry: hold, lookahead: hold };
  return { carry: Math.max(hold, Math.min(200, Math.ceil(Math.log(0.01) / Math.log(alpha)))), lookahead: Math.max(hold, SMOOTH_DEFAULTS.window) };
}

export interface FilmSpec {
  input: string;
  output: string;
}

export interface SubmitOptions {
  redis: Redis;
  store: Store;
  films: FilmSpec[];
  settings: ColourSettings;
  /**
   * Colour hints for the one film of the run (a hints file's path or its parsed form), checked
   * against it before anything is queued; a `reference` photo in them is refused. Default: none.
   */
  hints?: HintsInput;
  /** Source seconds per segment (default DEFAULT_QUEUE_SEGMENT_SECONDS). */
  segmentSeconds?: number;
  /** Tries per segment before the run fails (default DEFAULT_ATTEMPTS). */
  attempts?: number;
  overwrite?: boolean;
  onNote?: (line: string) => void;
}

export interface SubmittedFilm {
  film: number;
  input: string;
  output: string;
  segments: number;
  frames: number;
}

export interface SubmittedRun {
  run: string;
  films: SubmittedFilm[];
}

/** A film split into pieces for the queue. */
export interface SplitFilm {
  info: MediaInfo;
  pieces: PieceInfo[];
  frames: number;
}

/** The run's hints checked against the film they are for, as a segment job carries them (without the source's key). */
async function queuedHints(hints: HintsInput, info: MediaInfo, films: number): Promise<unknown> {
  if (films !== 1) throw usageError('hints are for one film, not a folder (their points are pixels of one film)');
  const { file } = await loadJobHints(hints, { width: info.width, height: info.height, media: 'video', frameCount: info.frames ?? undefined, fps: info.fps ?? undefined });
  if (file.reference) throw usageError('hints: a reference photo does not work with --queue yet; colorize without --queue');
  return JSON.parse(serializeHints(file));
}

/** Probe one film for the queue: a video, not a still. */
async function probeFilm(input: string): Promise<MediaInfo> {
  const info = await probeMedia(input);
  if (info.still) throw inputError(`${input}: a still image; the queue takes videos (colorize stills without --queue)`);
  return info;
}

/** Cut one film and upload its pieces; returns the piece list with exact frame timing. */
export async function splitFilm(store: Store, run: string, film: number, input: string, info: MediaInfo, seconds: number): Promise<SplitFilm> {
  const work = await mkdtemp(join(tmpdir(), 'chroma-cut-'));
  try {
    const [files, sourcePts, plainFirst] = await Promise.all([
      cutAtKeyframes(input, work, seconds), packetTimes(input), firstFramePts(input, false),
    ]);
    if (!sourcePts.length) throw inputError(`${input}: no video frames`);
    // A one-pass decode's timestamps: the packets' own, moved so the first is where ffmpeg puts it.
    const toPlain = (plainFirst ?? 0) - sourcePts[0];
    const pieces: PieceInfo[] = [];
    let next = 0;
    for (const [i, file] of files.entries()) {
      const pts = await packetTimes(file, `${input} (piece ${i})`);
      if (!pts.length) continue;
      const key = `${runPrefix(run)}f${film}/piece-${String(pieces.length).padStart(6, '0')}.nut`;
      const first = sourcePts[next], last = sourcePts[next + pts.length - 1];
      if (first === undefined || last === undefined) break;
      // The segment muxer may shift a piece's timestamps (it did so for the first piece of a file
      // with B-frames); the worker takes the shift off again.
      const ptsOffset = pts[0] - first - toPlain;
      pieces.push({ key, firstFrame: next, frames: pts.length, firstPts: first + toPlain, lastPts: last + toPlain, ptsOffset });
      await store.put(key, file);
      next += pts.length;
    }
    if (next !== sourcePts.length) {
      throw inputError(`${input}: cutting at keyframes gave ${next} frames, the source has ${sourcePts.length} (unsupported stream layout for the queue; colorize it without --queue)`);
    }
    return { info, pieces, frames: next };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Why a film gave fewer segments than --segment-seconds asks for, or null: pieces start at the
 * source's keyframes, so a film with few of them (one, for many screen recordings) cannot be cut
 * finer, and fewer workers share it.
 */
export function fewerSegmentsNote(label: string, pieces: number, duration: number | null, seconds: number): string | null {
  const asked = duration ? Math.ceil(duration / seconds - 1e-6) : 0;
  if (asked < 2 || (pieces > 1 && pieces * 2 > asked)) return null;
  return `${label}: ${pieces} segment(s), not the ${asked} that --segment-seconds ${seconds} asks for: segments start at the source's keyframes and it has fewer (to cut it finer, re-encode it with a keyframe every few seconds, e.g. ffmpeg -g 75)`;
}

/** Cut, upload and enqueue every film; returns the fresh run id. Nothing is queued if any film fails. */
export async function submitRun(o: SubmitOptions): Promise<SubmittedRun> {
  const run = newRunId();
  const seconds = o.segmentSeconds ?? DEFAULT_QUEUE_SEGMENT_SECONDS;
  const attempts = o.attempts ?? DEFAULT_ATTEMPTS;
  const { carry, lookahead } = carryFrames(o.settings.smooth, o.settings.restore ?? null);
  const keep = { age: KEEP_SECONDS };
  const flows: FlowJob[] = [];
  const films: SubmittedFilm[] = [];
  try {
    for (const [film, spec] of o.films.entries()) {
      const probed = await probeFilm(spec.input);
      // Hints are checked before the output is touched or a piece cut.
      const hintsFile = o.hints !== undefined ? await queuedHints(o.hints, probed, o.films.length) : null;
      const target = await prepareOutput(spec.input, spec.output, o.overwrite ?? false);
      const split = await splitFilm(o.store, run, film, spec.input, probed, seconds);
      const sourceKey = `${runPrefix(run)}f${film}/source${extname(spec.input).toLowerCase()}`;
      await o.store.put(sourceKey, spec.input);
      const hints = hintsFile === null ? null : { file: hintsFile, sourceKey };
      const label = basename(spec.input);
      const info = { ...split.info, path: resolve(spec.input) };
      const children: FlowJob[] = split.pieces.map((piece, index) => {
        const data: SegmentJobData = {
          run, film, label, index, count: split.pieces.length, piece,
          previous: split.pieces[index - 1] ?? null, next: split.pieces[index + 1] ?? null,
          carry, lookahead, info, output: target.final, settings: o.settings, ...(hints ? { hints } : {}),
        };
        return {
          name: 'segment', queueName: SEGMENT_QUEUE, data,
          opts: { jobId: segmentJobId(run, film, index), attempts, backoff: BACKOFF, failParentOnFailure: true, removeOnComplete: keep, removeOnFail: keep },
        };
      });
      const data: JoinJobData = {
        run, film, input: resolve(spec.input), output: target.final, sourceKey,
        outputKey: `${runPrefix(run)}f${film}/output${extname(target.final)}`,
        segments: split.pieces.length, frames: split.frames, info, submittedAt: Date.now(), films: o.films.length, overwrite: o.overwrite ?? false,
      };
      flows.push({ name: 'join', queueName: JOIN_QUEUE, data, children, opts: { jobId: joinJobId(run, film), attempts, backoff: BACKOFF, removeOnComplete: keep, removeOnFail: keep } });
      films.push({ film, input: spec.input, output: target.final, segments: split.pieces.length, frames: split.frames });
      o.onNote?.(`${label}: ${split.pieces.length} segment(s), ${split.frames} frames, ${carry} carry + ${lookahead} look-ahead frames at each seam`);
      const few = fewerSegmentsNote(label, split.pieces.length, split.info.durationSeconds, seconds);
      if (few) o.onNote?.(few);
    }
    const producer = new FlowProducer({ connection: o.redis });
    producer.on('error', () => {}); // a failed add rejects below; BullMQ would also print it
    try {
      await producer.addBulk(flows);
    } finally {
      await producer.close();
    }
  } catch (err) {
    await o.store.removeAll(runPrefix(run)).catch(() => {});
    throw err;
  }
  return { run, films };
}
