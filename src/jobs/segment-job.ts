// One segment on its own: the unit of work of a queue worker. An input file and a range of source
// time go in; one segment file comes out, written by the same segment sink (and so the same
// encoder arguments) as --resume, so segments made by different workers join losslessly
// (media/join.ts). The checksum lets the joiner check what it received.
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Subject, takeWhile } from 'rxjs';
import { colorGraph } from '../graph/color-graph.js';
import { smoothStage } from '../operators/smooth-ab.js';
import { DEFAULT_ENCODE } from '../media/encode-args.js';
import { ChildGroup } from '../media/child.js';
import { decoderTimestampOffset, type MediaInfo } from '../media/probe.js';
import { FlowGate } from '../core/flow-gate.js';
import { FALLBACK_FPS } from '../core/defaults.js';
import { inputError } from '../core/errors.js';
import { sha256File } from '../core/sha256.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { Progress } from '../core/frames.js';
import { seekSource } from './seek-source.js';
import { memoryStore, segmentSink } from './sinks/segment-sink.js';
import { runVideoJob } from './run-video-job.js';
import { jobGateLimit, restoreStageOf, smoothingOf, wantsDeinterlace, type VideoJobOptions } from './video-job.js';
import type { SegmentRecord } from './checkpoint.js';

export interface SegmentJob extends VideoJobOptions {
  info: MediaInfo;
  /** Timestamp (s) of the segment's first frame, exactly as the decoder gives it; null: the start. */
  startPts: number | null;
  /** Frames at or after this timestamp (s) are not in the segment; null: to the end. */
  endPts: number | null;
  /** Index of the first frame in the whole video (for the record). Default 0. */
  firstFrame?: number;
  /** The segment file to write (NUT, video only). */
  output: string;
  signal?: AbortSignal;
}

export interface SegmentResult extends SegmentRecord {
  /** SHA-256 of the segment file. */
  sha256: string;
}

export async function colorizeSegment(model: LoadedModel, job: SegmentJob): Promise<SegmentResult> {
  const { info } = job;
  const gate = new FlowGate(jobGateLimit(job));
  const children = new ChildGroup();
  const end = job.endPts ?? Infinity;
  const frameDuration = info.fps ? 1 / info.fps : null;
  const dir = await mkdtemp(join(dirname(job.output), `.${basename(job.output)}.chroma-segment-`));
  try {
    const store = memoryStore();
    const decoded$ = seekSource({
      info, gate, children, deint: wantsDeinterlace(info, job), resumePts: job.startPts, startFrame: job.firstFrame ?? 0,
      ptsOffset: await decoderTimestampOffset(info), dir: job.output,
    }).pipe(takeWhile((f) => {
      const inside = (f.pts ?? f.index / (info.fps ?? FALLBACK_FPS)) < end;
      if (!inside) gate.release(); // the frame that ends the range never enters the graph
      return inside;
    }));
    const { sink } = segmentSink({
      info, encode: { ...DEFAULT_ENCODE, ...job.encode }, dir, segmentSeconds: Infinity, firstNumber: 0, store,
      startFrame: job.firstFrame ?? 0, label: job.output, gate, children, timer: job.timer,
    });
    await runVideoJob(decoded$.pipe(colorGraph(model, {
      ...job, smooth: smoothStage(smoothingOf(job.smooth), job.timer), restore: restoreStageOf(job, info, children, job.timer),
    })), sink, {
      children, progress$: new Subject<Progress>(), signal: job.signal, total: null, frameDuration,
    });
    const rec = store.segments[0];
    if (!rec) throw inputError(`${info.path}: no frames in the range ${job.startPts ?? 0} s to ${job.endPts ?? 'the end'}`);
    await rename(join(dir, rec.file), job.output);
    return { ...rec, file: job.output, nextPts: job.endPts, sha256: await sha256File(job.output) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
