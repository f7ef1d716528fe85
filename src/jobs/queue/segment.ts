// One segment job: decode the segment's piece (with a few frames of each neighbour for the
// smoothing), run the colour graph, and write the segment with the --resume segment sink. The
// result is checked (frame count, first timestamp), checksummed, and committed to the store only
// if no other worker committed that segment first, so a duplicate delivery changes nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY, Subject, concat, defer, filter, pipe, take, tap, type Observable } from 'rxjs';
import { decodeFrames, PTS_TOLERANCE } from '../../operators/decode-frames.js';
import { DEFAULT_BATCH } from '../../core/defaults.js';
import { ChromaError, inputError } from '../../core/errors.js';
import { sha256File } from '../../core/sha256.js';
import { StageTimer } from '../../core/stage-timer.js';
import { memoryStore, segmentSink } from '../sinks/segment-sink.js';
import { loadJobHints, type HintsInput } from '../job-hints.js';
import { colourRun, planVideo, runParts, type RunParts, type VideoPlan, type VideoPlanOptions } from '../video-plan.js';
import { runPrefix } from './connection.js';
import type { LoadedModel } from '../../core/model-contract.js';
import type { ColorFrame, Progress, RawFrame } from '../../core/frames.js';
import type { LocalFile, Store } from './store.js';
import type { PieceInfo, SegmentJobData, SegmentResult } from './types.js';

/** Seconds the decoder of the previous piece seeks before the first carry frame (to a keyframe). */
const SEEK_MARGIN = 1;

export interface SegmentContext {
  store: Store;
  model: LoadedModel;
  /** Who did the work, for the result and the log ("host/pid"). */
  worker: string;
  signal?: AbortSignal;
  /** Frames of this segment written so far. */
  onFrames?: (frames: number) => void;
  /** Throws when this worker no longer holds the job (its lock lapsed): the result is then dropped. */
  beforeCommit?: () => Promise<void>;
  /**
   * Plans of films with hints, kept between their segments (the tracking pass decodes the whole
   * film once per worker, not once per segment). Default: none (each segment plans its own).
   */
  plans?: Map<string, Promise<VideoPlan>>;
}

/** Films whose plans a worker keeps at once. */
const KEPT_PLANS = 4;

export const segmentKey = (d: Pick<SegmentJobData, 'run' | 'film' | 'index'>) =>
  `${runPrefix(d.run)}f${d.film}/seg-${String(d.index).padStart(6, '0')}.nut`;

const frameLength = (p: PieceInfo) => (p.frames > 1 ? (p.lastPts - p.firstPts) / (p.frames - 1) : 0.04);

/** The message of a decode failure inside a segment: the film and the frame, nothing else. */
function damaged(d: SegmentJobData, frame: number, why: string): ChromaError {
  return inputError(`${d.label}: damaged at frame ${frame} (segment ${d.index + 1} of ${d.count}): ${why}`);
}

/**
 * The run's settings resolved into a plan, as `colorize` resolves its options. With hints, the
 * film's source is read from the store and tracked here; the tracking is deterministic, so every
 * worker finds the same tracks (as a resumed job does).
 */
async function queuedPlan(d: SegmentJobData, ctx: SegmentContext): Promise<VideoPlan> {
  const s = d.settings;
  const opts: VideoPlanOptions = {
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s.size !== undefined ? { size: s.size } : {}),
    batch: s.batch ?? DEFAULT_BATCH, smooth: s.smooth, deinterlace: s.deinterlace, encode: s.encode,
    restore: s.restore ? { settings: s.restore } : null,
  };
  if (!d.hints) return planVideo(ctx.model, d.info, opts);
  const source = await ctx.store.local(d.hints.sourceKey);
  try {
    const info = { ...d.info, path: source.path };
    // Checked by the submitter already; checked again as any hints a job is given.
    const { file } = await loadJobHints(d.hints.file as HintsInput, {
      width: info.width, height: info.height, media: 'video', frameCount: info.frames ?? undefined, fps: info.fps ?? undefined,
    });
    return { ...(await planVideo(ctx.model, info, { ...opts, hints: file, ...(ctx.signal ? { signal: ctx.signal } : {}) })), info: d.info };
  } finally {
    await source.release();
  }
}

/** The segment's plan: the film's kept one (hints), or a fresh one; with this segment's own stage timer. */
async function segmentPlan(d: SegmentJobData, ctx: SegmentContext, timer: StageTimer): Promise<VideoPlan> {
  const key = `${d.run}/f${d.film}/${d.settings.model}`;
  let plan = ctx.plans?.get(key);
  if (!plan) {
    plan = queuedPlan(d, ctx);
    if (d.hints && ctx.plans) {
      const plans = ctx.plans;
      plans.set(key, plan);
      plan.catch(() => plans.delete(key));
      for (const old of plans.keys()) if (plans.size > KEPT_PLANS) plans.delete(old);
    }
  }
  const p = await plan;
  return { ...p, graph: { ...p.graph, timer } };
}

/** Decoders of the segment's piece and its neighbours' warm-up and look-ahead frames, in order. */
function segmentSource(d: SegmentJobData, paths: { self: string; prev: string | null; next: string | null }, plan: VideoPlan, parts: RunParts) {
  const { info } = d;
  const filters = plan.deinterlace ? ['yadif=0'] : [];
  const decode = (input: string, p: PieceInfo, extra: Partial<Parameters<typeof decodeFrames>[0]>): Observable<RawFrame> => decodeFrames({
    input, width: info.width, height: info.height, filters, gate: parts.gate, fps: info.fps, children: parts.children,
    codecName: info.codecLongName, ptsOffset: p.ptsOffset, inputArgs: ['-copyts'], label: '\0', ...extra,
  });

  // Warm-up: the last `carry` frames of the previous piece (a seek to a keyframe before them).
  let carried: Observable<RawFrame> = EMPTY;
  if (paths.prev && d.previous) {
    const from = d.previous.lastPts - (d.carry - 0.5) * frameLength(d.previous);
    const seek = Math.max(0, from - d.previous.firstPts - SEEK_MARGIN);
    carried = decode(paths.prev, d.previous, {
      inputArgs: ['-copyts', ...(seek > 0 ? ['-ss', seek.toFixed(6), '-noaccurate_seek'] : [])], skipBefore: from, firstIndex: d.piece.firstFrame - d.carry,
    });
  }
  // The segment itself, counted as it leaves the decoder so a failure names the right frame.
  const counted = { decoded: 0 };
  let lastPts: number | null = null;
  const own = decode(paths.self, d.piece, { expectedFrames: d.piece.frames, firstIndex: d.piece.firstFrame }).pipe(
    tap({
      next: (f) => {
        if (counted.decoded === 0 && (f.pts === null || Math.abs(f.pts - d.piece.firstPts) > 2 * PTS_TOLERANCE)) {
          throw damaged(d, d.piece.firstFrame, `its first frame is at ${f.pts?.toFixed(6) ?? 'no time'} s, expected ${d.piece.firstPts.toFixed(6)} s`);
        }
        counted.decoded++;
        lastPts = f.pts;
      },
      complete: () => {
        const n = counted.decoded;
        if (n !== d.piece.frames) {
          const at = lastPts === null ? '' : ` (after ${lastPts.toFixed(3)} s)`;
          throw damaged(d, d.piece.firstFrame + n, `${n} of its ${d.piece.frames} frames decode; frame ${d.piece.firstFrame + n}${at} and later are missing`);
        }
      },
    }),
  );
  // Look-ahead: the first frames of the next piece, so the last frames are smoothed both ways.
  const ahead = paths.next && d.next ? decode(paths.next, d.next, { firstIndex: d.next.firstFrame }).pipe(take(d.lookahead)) : EMPTY;
  return { frames$: concat(carried, own, defer(() => ahead)), counted };
}

export async function colorizeQueuedSegment(d: SegmentJobData, ctx: SegmentContext): Promise<SegmentResult> {
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), 'chroma-seg-'));
  const locals: LocalFile[] = [];
  const fetch = async (p: PieceInfo) => {
    const f = await ctx.store.local(p.key);
    locals.push(f);
    return f.path;
  };
  try {
    const info = d.info;
    const paths = {
      self: await fetch(d.piece),
      prev: d.carry > 0 && d.previous ? await fetch(d.previous) : null,
      next: d.lookahead > 0 && d.next ? await fetch(d.next) : null,
    };
    const timer = new StageTimer();
    const plan = await segmentPlan(d, ctx, timer);
    const colorStarted = performance.now();
    const parts = runParts(plan);
    const { gate } = parts;
    const { frames$, counted } = segmentSource(d, paths, plan, parts);

    // Only the segment's own frames reach the encoder; the others give their gate slot back here.
    const lo = d.piece.firstPts - 2 * PTS_TOLERANCE, hi = d.piece.lastPts + 2 * PTS_TOLERANCE;
    // The --resume segment sink with one unbounded segment, listing it in memory.
    const store = memoryStore();
    const segments = segmentSink({
      info, encode: plan.encode, dir: work, segmentSeconds: Infinity, firstNumber: 0, store,
      startFrame: d.piece.firstFrame, label: d.output, gate, children: parts.children, timer,
    });
    const mine = filter<ColorFrame>((f) => {
      const inside = f.pts !== null && f.pts >= lo && f.pts <= hi;
      if (!inside) gate.release();
      return inside;
    });
    const progress$ = new Subject<Progress>();
    progress$.subscribe({ next: (p) => ctx.onFrames?.(p.frames - d.piece.firstFrame), error: () => {} });
    try {
      await colourRun(plan, parts, frames$, pipe(mine, segments.sink), { progress$, signal: ctx.signal, total: null, frameDuration: null, startFrame: d.piece.firstFrame });
    } catch (err) {
      await segments.drain();
      // Messages of the decoders carry the marker label '\0': put the film and frame there instead.
      if (err instanceof ChromaError && err.message.startsWith('\0')) {
        // (Without the decoder's info-level stderr lines, which say nothing about the damage.)
        const why = err.message.replace(/^\0: /, '').replace(/ \(\[info\][^)]*\)$/, '');
        throw err.kind === 'input' ? damaged(d, d.piece.firstFrame + counted.decoded, why) : new ChromaError(err.kind, `${d.label}: ${why}`);
      }
      throw err;
    }
    const rec = store.segments[0];
    if (!rec || rec.frames !== d.piece.frames) {
      throw damaged(d, d.piece.firstFrame + (rec?.frames ?? 0), `the encoder wrote ${rec?.frames ?? 0} of ${d.piece.frames} frames`);
    }
    const colorSeconds = (performance.now() - colorStarted) / 1000;
    const { key, sha256, duplicate } = await commitSegment(d, ctx, join(work, rec.file));
    return {
      index: d.index, key, frames: rec.frames, bytes: (await ctx.store.size(key)) ?? rec.bytes, sha256, encodedStart: rec.encodedStart,
      seconds: (performance.now() - started) / 1000, colorSeconds, worker: ctx.worker, duplicate, stages: timer.perFrame(),
    };
  } finally {
    for (const f of locals) await f.release();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Put the segment file in the store unless another worker committed it first (this one was
 * presumed dead): then theirs is kept, and its checksum returned.
 */
async function commitSegment(d: SegmentJobData, ctx: SegmentContext, file: string): Promise<{ key: string; sha256: string; duplicate: boolean }> {
  const key = segmentKey(d);
  let sha256 = await sha256File(file);
  await ctx.beforeCommit?.();
  const duplicate = !(await ctx.store.putIfAbsent(key, file));
  if (duplicate) {
    const theirs = await ctx.store.local(key);
    try {
      sha256 = await sha256File(theirs.path);
    } finally {
      await theirs.release();
    }
  }
  return { key, sha256, duplicate };
}
