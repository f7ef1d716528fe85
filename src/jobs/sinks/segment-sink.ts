// The sink of a resumable job (and, for one segment, of a queue worker): checkpointed segments.
// Each segment of `segmentSeconds` of source time gets its own encoder child, so each starts with
// a keyframe; segments are video only, in NUT, which keeps the encoder's time base exactly.
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import { FrameEncoder } from '../../media/frame-encoder.js';
import { encoderStart, lastFrameDuration, segmentEncodeArgs, type EncodeSettings } from '../../media/encode-args.js';
import type { ChildGroup } from '../../media/child.js';
import type { MediaInfo } from '../../media/probe.js';
import { fsyncPath } from '../../core/output-file.js';
import { ChromaError, outputError } from '../../core/errors.js';
import { FALLBACK_FPS } from '../../core/defaults.js';
import type { FlowGate } from '../../core/flow-gate.js';
import type { ColorFrame } from '../../core/frames.js';
import type { StageTimer } from '../../core/stage-timer.js';
import type { SegmentRecord } from '../checkpoint.js';
import type { VideoSink } from '../run-video-job.js';

/** Lists finished segments, in order. */
export interface SegmentStore {
  /** A segment is on disk under its final name: list it; returns its index in the list. */
  add(rec: SegmentRecord): Promise<number>;
  /** The source ended exactly where the last listed segment did: mark that one the last. */
  endAtLast(): Promise<void>;
}

/** A store in memory, for a sink run on its own (a single segment for a queue worker). */
export function memoryStore(): SegmentStore & { segments: SegmentRecord[] } {
  const segments: SegmentRecord[] = [];
  return {
    segments,
    add: async (rec) => segments.push(rec) - 1,
    endAtLast: async () => {
      const last = segments.at(-1);
      if (last) last.nextPts = null;
    },
  };
}

export interface SegmentSinkOptions {
  info: MediaInfo;
  /** Codec settings (complete: the manifest compares them). */
  encode: EncodeSettings;
  /** The folder the segment files go in. */
  dir: string;
  /** Seconds of source time per segment (Infinity: one segment). */
  segmentSeconds: number;
  /** Number of the first new segment's file (seg-NNNNNN.nut). */
  firstNumber: number;
  /** Where finished segments are listed (the checkpoint manifest, or a list in memory). */
  store: SegmentStore;
  /** Index of the first frame this sink receives in the whole video. */
  startFrame: number;
  /** The output name, for messages. */
  label: string;
  gate: FlowGate;
  children: ChildGroup;
  timer?: StageTimer;
  /** Called after each segment is safely on disk. */
  onSegment?: (s: SegmentRecord & { index: number }) => void;
}

/** A segment being encoded. */
interface OpenSegment {
  enc: FrameEncoder;
  /** Its temporary name while it is written, and its final name, in the sink's folder. */
  partial: string;
  file: string;
  /** Its number of `segmentSeconds` slots from the start. */
  slot: number;
  first: ColorFrame;
  firstPts: number;
  lastPts: number;
  frames: number;
}

/** A new encoder child for the segment numbered `number`, starting with frame `f` at `pts`. */
function openSegment(j: SegmentSinkOptions, number: number, f: ColorFrame, pts: number): OpenSegment {
  const { info } = j;
  const name = `seg-${String(number).padStart(6, '0')}`;
  const partial = join(j.dir, `${name}.partial-${process.pid}.nut`);
  const { args } = segmentEncodeArgs(partial, j.label, info, j.encode);
  const enc = new FrameEncoder({ width: info.width, height: info.height, frameDuration: lastFrameDuration(info), args, label: j.label, children: j.children, keepStart: (p) => encoderStart(info, p) });
  return { enc, partial, file: `${name}.nut`, slot: Math.floor(pts / j.segmentSeconds + 1e-9), first: f, firstPts: pts, lastPts: pts, frames: 0 };
}

/** Once its encoder has `finished`: flush the segment, rename it into place and list it. */
async function storeSegment(j: SegmentSinkOptions, c: OpenSegment, nextPts: number | null, finished: Promise<unknown>): Promise<void> {
  await finished;
  await fsyncPath(c.partial);
  await rename(c.partial, join(j.dir, c.file));
  const bytes = (await stat(join(j.dir, c.file))).size;
  const encodedStart = encoderStart(j.info, c.firstPts);
  const rec: SegmentRecord = { file: c.file, firstFrame: c.first.index, frames: c.frames, startPts: c.firstPts, endPts: c.lastPts, nextPts, encodedStart, bytes };
  const index = await j.store.add(rec);
  j.onSegment?.({ ...rec, index });
}

/**
 * The sink of a resumable job: a new encoder child for each segment of `segmentSeconds` of source
 * time. A segment is committed (flushed, renamed, listed in the manifest) when the first frame of
 * the next one arrives, or when the video ends. Emits the total frames written after each frame.
 */
export function segmentSink(j: SegmentSinkOptions): { sink: VideoSink; drain: () => Promise<void> } {
  const { gate } = j;
  const frameDuration = j.info.fps ? 1 / j.info.fps : null;
  let drain = () => Promise.resolve();
  const sink: VideoSink = (source) => new Observable<number>((subscriber) => {
    const { dir, store } = j;
    const L = j.segmentSeconds;
    let current: OpenSegment | null = null;
    let nextNumber = j.firstNumber;
    let total = j.startFrame;
    let stopped = false;
    /** Encoders closing in the background, while the next segment is already being encoded. */
    const closing = new Set<FrameEncoder>();
    let chain = Promise.resolve();
    let commits = Promise.resolve();
    drain = () => Promise.all([chain, commits]).then(() => {}, () => {});
    const timer = j.timer;
    const ptsOf = (f: ColorFrame) => f.pts ?? (frameDuration ? f.index * frameDuration : f.index / FALLBACK_FPS);

    const open = (f: ColorFrame): OpenSegment => {
      const c = openSegment(j, nextNumber++, f, ptsOf(f));
      c.enc.exit.catch((err) => fail(err));
      return c;
    };
    /** Close a segment's encoder, then flush, rename and list it; commits happen in order. */
    const commit = (c: OpenSegment, nextPts: number | null): Promise<void> => {
      closing.add(c.enc);
      const finished = c.enc.finish().finally(() => closing.delete(c.enc));
      finished.catch(() => {}); // reported through the commit chain (or the encoder's exit)
      commits = commits.then(() => storeSegment(j, c, nextPts, finished));
      commits.catch(fail);
      return commits;
    };
    const handle = async (f: ColorFrame) => {
      const pts = ptsOf(f);
      if (current && Math.floor(pts / L + 1e-9) > current.slot) {
        void commit(current, pts);
        current = null;
      }
      current ??= open(f);
      const c = current;
      const t0 = performance.now();
      try {
        await c.enc.write(f);
      } finally {
        gate.release();
      }
      timer?.add('encode', performance.now() - t0);
      c.frames++;
      c.lastPts = pts;
      total++;
      if (!stopped) subscriber.next(total);
    };
    const fail = (err: unknown) => {
      if (stopped) return;
      stopped = true;
      current?.enc.kill();
      for (const e of closing) e.kill();
      // File-system failures (ENOSPC on the rename or the manifest...) are the output's problem.
      const errno = (err as NodeJS.ErrnoException | null)?.code;
      subscriber.error(err instanceof ChromaError || !errno ? err : outputError(`${j.label}: cannot write a segment to ${dir} (${(err as Error).message})`));
    };

    const sub = source.subscribe({
      next(f) {
        chain = chain.then(() => (stopped ? gate.release() : handle(f))).catch(fail);
      },
      error: (e) => fail(e),
      complete() {
        chain = chain.then(async () => {
          if (stopped) return;
          if (current) {
            const last = current;
            current = null;
            await commit(last, null);
          } else {
            await commits;
            await store.endAtLast();
          }
          stopped = true;
          subscriber.complete();
        }).catch(fail);
      },
    });
    return () => {
      sub.unsubscribe();
      if (!stopped) {
        stopped = true;
        current?.enc.kill();
        for (const e of closing) e.kill();
      }
    };
  });
  return { sink, drain: () => drain() };
}
