// One segment job: decode the segment's piece (with a few frames of each neighbour for the
// smoothing), run the colour graph, and write the segment with the --resume segment sink. The
// result is checked (frame count, first timestamp), checksummed, and committed to the store only
// if no other worker committed that segment first, so a duplicate delivery changes nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY, Subject, concat, defer, filter, take, tap, type Observable } from 'rxjs';
import { decodeFrames, PTS_TOLERANCE } from '../../operators/decode-frames.js';
import { smoothStage } from '../../operators/smooth-ab.js';
import { colorGraph } from '../../graph/color-graph.js';
import { FlowGate, defaultGateLimit } from '../../core/flow-gate.js';
import { DEFAULT_BATCH } from '../../core/defaults.js';
import { ChromaError, inputError } from '../../core/errors.js';
import { sha256File } from '../../core/sha256.js';
import { ChildGroup } from '../../media/child.js';
import { DEFAULT_ENCODE } from '../../media/encode-args.js';
import { runVideoJob } from '../run-video-job.js';
import { memoryStore, segmentSink } from '../sinks/segment-sink.js';
import { smoothingOf, wantsDeinterlace } from '../video-job.js';
import { runPrefix } from './connection.js';
import type { LoadedModel } from '../../core/model-contract.js';
import type { Progress, RawFrame } from '../../core/frames.js';
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
}

export const segmentKey = (d: Pick<SegmentJobData, 'run' | 'film' | 'index'>) =>
  `${runPrefix(d.run)}f${d.film}/seg-${String(d.index).padStart(6, '0')}.nut`;

const frameLength = (p: PieceInfo) => (p.frames > 1 ? (p.lastPts - p.firstPts) / (p.frames - 1) : 0.04);

/** The message of a decode failure inside a segment: the film and the frame, nothing else. */
function damaged(d: SegmentJobData, frame: number, why: string): ChromaError {
  return inputError(`${d.label}: damaged at frame ${frame} (segment ${d.index + 1} of ${d.count}): ${why}`);
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
    const self = await fetch(d.piece);
    const prev = d.carry > 0 && d.previous ? await fetch(d.previous) : null;
    const next = d.lookahead > 0 && d.next ? await fetch(d.next) : null;
    const colorStarted = performance.now();

    const s = d.settings;
    const deinterlace = wantsDeinterlace(info, { deinterlace: s.deinterlace });
    const graph = {
      ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
      ...(s.size !== undefined ? { size: s.size } : {}),
      batch: s.batch ?? DEFAULT_BATCH,
      smooth: smoothStage(smoothingOf(s.smooth)),
    };
    const gate = new FlowGate(defaultGateLimit(graph.batch));
    const children = new ChildGroup();
    const filters = deinterlace ? ['yadif=0'] : [];
    const decode = (input: string, p: PieceInfo, extra: Partial<Parameters<typeof decodeFrames>[0]>): Observable<RawFrame> => decodeFrames({
      input, width: info.width, height: info.height, filters, gate, fps: info.fps, children,
      codecName: info.codecLongName, ptsOffset: p.ptsOffset, inputArgs: ['-copyts'], label: '\0', ...extra,
    });

    // Warm-up: the last `carry` frames of the previous piece (a seek to a keyframe before them).
    let carried: Observable<RawFrame> = EMPTY;
    if (prev && d.previous) {
      const from = d.previous.lastPts - (d.carry - 0.5) * frameLength(d.previous);
      const seek = Math.max(0, from - d.previous.firstPts - SEEK_MARGIN);
      carried = decode(prev, d.previous, {
        inputArgs: ['-copyts', ...(seek > 0 ? ['-ss', seek.toFixed(6), '-noaccurate_seek'] : [])], skipBefore: from, firstIndex: d.piece.firstFrame - d.carry,
      });
    }
    // The segment itself, counted as it leaves the decoder so a failure names the right frame.
    let decoded = 0;
    let lastPts: number | null = null;
    const own = decode(self, d.piece, { expectedFrames: d.piece.frames, firstIndex: d.piece.firstFrame }).pipe(
      tap({
        next: (f) => {
          if (decoded === 0 && (f.pts === null || Math.abs(f.pts - d.piece.firstPts) > 2 * PTS_TOLERANCE)) {
            throw damaged(d, d.piece.firstFrame, `its first frame is at ${f.pts?.toFixed(6) ?? 'no time'} s, expected ${d.piece.firstPts.toFixed(6)} s`);
          }
          decoded++;
          lastPts = f.pts;
        },
        complete: () => {
          if (decoded !== d.piece.frames) {
            const at = lastPts === null ? '' : ` (after ${lastPts.toFixed(3)} s)`;
            throw damaged(d, d.piece.firstFrame + decoded, `${decoded} of its ${d.piece.frames} frames decode; frame ${d.piece.firstFrame + decoded}${at} and later are missing`);
          }
        },
      }),
    );
    // Look-ahead: the first frames of the next piece, so the last frames are smoothed both ways.
    const ahead = next && d.next ? decode(next, d.next, { firstIndex: d.next.firstFrame }).pipe(take(d.lookahead)) : EMPTY;

    // Only the segment's own frames reach the encoder; the others give their gate slot back here.
    const lo = d.piece.firstPts - 2 * PTS_TOLERANCE, hi = d.piece.lastPts + 2 * PTS_TOLERANCE;
    // The --resume segment sink with one unbounded segment, listing it in memory.
    const store = memoryStore();
    const { sink, drain } = segmentSink({
      info, encode: { ...DEFAULT_ENCODE, ...s.encode }, dir: work, segmentSeconds: Infinity, firstNumber: 0, store,
      startFrame: d.piece.firstFrame, label: d.output, gate, children,
    });
    const frames$ = concat(carried, own, defer(() => ahead)).pipe(
      colorGraph(ctx.model, graph),
      filter((f) => {
        const mine = f.pts !== null && f.pts >= lo && f.pts <= hi;
        if (!mine) gate.release();
        return mine;
      }),
    );
    const progress$ = new Subject<Progress>();
    progress$.subscribe({ next: (p) => ctx.onFrames?.(p.frames - d.piece.firstFrame), error: () => {} });
    try {
      await runVideoJob(frames$, sink, { children, progress$, signal: ctx.signal, total: null, frameDuration: null, startFrame: d.piece.firstFrame });
    } catch (err) {
      await drain();
      // Messages of the decoders carry the marker label '\0': put the film and frame there instead.
      if (err instanceof ChromaError && err.message.startsWith('\0')) {
        // (Without the decoder's info-level stderr lines, which say nothing about the damage.)
        const why = err.message.replace(/^\0: /, '').replace(/ \(\[info\][^)]*\)$/, '');
        throw err.kind === 'input' ? damaged(d, d.piece.firstFrame + decoded, why) : new ChromaError(err.kind, `${d.label}: ${why}`);
      }
      throw err;
    }
    const rec = store.segments[0];
    if (!rec || rec.frames !== d.piece.frames) {
      throw damaged(d, d.piece.firstFrame + (rec?.frames ?? 0), `the encoder wrote ${rec?.frames ?? 0} of ${d.piece.frames} frames`);
    }
    const colorSeconds = (performance.now() - colorStarted) / 1000;
    const file = join(work, rec.file);
    const key = segmentKey(d);
    let sha256 = await sha256File(file);
    await ctx.beforeCommit?.();
    const duplicate = !(await ctx.store.putIfAbsent(key, file));
    if (duplicate) {
      // Another worker finished this segment first (this one was presumed dead): keep theirs.
      const theirs = await ctx.store.local(key);
      try {
        sha256 = await sha256File(theirs.path);
      } finally {
        await theirs.release();
      }
    }
    return {
      index: d.index, key, frames: rec.frames, bytes: (await ctx.store.size(key)) ?? rec.bytes, sha256, encodedStart: rec.encodedStart,
      seconds: (performance.now() - started) / 1000, colorSeconds, worker: ctx.worker, duplicate,
    };
  } finally {
    for (const f of locals) await f.release();
    await rm(work, { recursive: true, force: true });
  }
}
