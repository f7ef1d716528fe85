// Resumable jobs (--resume). The video is encoded in fixed-length segments of source time, each by
// its own encoder child (sinks/segment-sink.ts), into a hidden folder beside the output
// (checkpoint.ts). A rerun with --resume checks the input and settings against the manifest and
// seeks the decoder to the first missing frame (seek-source.ts). When every segment is done they
// are joined without re-encoding (media/join.ts) and the folder is removed once the output is in
// place.
//
// Known limit: the temporal smoothing stage starts afresh at the frame a job resumes from.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Subject } from 'rxjs';
import { segmentEncodeArgs } from '../media/encode-args.js';
import { joinSegments } from '../media/join.js';
import { decoderTimestampOffset } from '../media/probe.js';
import { outputError } from '../core/errors.js';
import type { Progress } from '../core/frames.js';
import { fixVariableRateMp4, type VideoJob, type VideoJobResult } from './video-job.js';
import { colourRun, runParts, type RunParts, type VideoPlan } from './video-plan.js';
import { checkpointStore, identify, MANIFEST_VERSION, prune, readManifest, resumeDirFor, takeLock, writeManifest, type Manifest, type SegmentRecord } from './checkpoint.js';
import { seekSource } from './seek-source.js';
import { segmentSink } from './sinks/segment-sink.js';

export const DEFAULT_SEGMENT_SECONDS = 10;

export interface ResumeOptions {
  /** Seconds of source per segment (default 10). Shorter: less lost on a crash, more keyframes. */
  segmentSeconds?: number;
  /** Called after each segment is safely on disk. Default: none. */
  onSegment?: (s: SegmentRecord & { index: number }) => void;
}

/** Where a job takes over from earlier runs. */
interface ResumePoint {
  manifest: Manifest;
  startFrame: number;
  /** Timestamp of the first frame not yet in a segment (null: the start). */
  resumePts: number | null;
  resumedFrom?: { frame: number; seconds: number; segments: number };
}

/**
 * The manifest in `dir` if it was made for this input and these settings (else a fresh one, the
 * old segments pruned), and where the job takes over.
 */
async function resumePoint(plan: VideoPlan, dir: string, finalName: string, segmentSeconds: number, note: (n: string) => void): Promise<ResumePoint> {
  const settings = plan.fingerprint(basename(finalName).split('.').pop() ?? '');
  const input = await identify(plan.info.path);
  const previous = await readManifest(dir);
  let manifest: Manifest;
  const same = previous !== null && previous.segmentSeconds === segmentSeconds
    && JSON.stringify(previous.input) === JSON.stringify(input)
    && JSON.stringify(previous.settings) === JSON.stringify(JSON.parse(JSON.stringify(settings)));
  if (same) {
    manifest = previous;
  } else {
    if (previous) note(`resume data in ${dir} was for a different input or settings; starting over`);
    manifest = { version: MANIFEST_VERSION, input, settings, segmentSeconds, segments: [], complete: false };
  }
  await prune(dir, manifest);
  await writeManifest(dir, manifest);

  const finished = manifest.segments.length;
  const last = manifest.segments[finished - 1];
  const startFrame = last ? last.firstFrame + last.frames : 0;
  const resumePts = last ? last.nextPts : null;
  const resumedFrom = last ? { frame: startFrame, seconds: resumePts ?? last.endPts, segments: finished } : undefined;
  if (resumedFrom && !manifest.complete) {
    note(`resuming at frame ${startFrame} (${resumedFrom.seconds.toFixed(3)} s) from ${finished} finished segment(s); temporal smoothing restarts here`);
  } else if (resumedFrom) {
    note(`all ${finished} segment(s) were already finished; joining them`);
  }
  return { manifest, startFrame, resumePts, ...(resumedFrom ? { resumedFrom } : {}) };
}

/**
 * The resumable variant of colorizeVideoFile: the same plan and chain, segment encoders instead of
 * one encoder, then a lossless join into `tempOutput`. The caller renames the output into place
 * and then calls discardResume().
 */
export function colorizeVideoResumable(
  plan: VideoPlan, tempOutput: string, finalName: string, resume: ResumeOptions, signal?: AbortSignal,
): VideoJob {
  const progress$ = new Subject<Progress>();
  const parts = runParts(plan);
  const { children } = parts;
  const { info } = plan;
  const done = (async (): Promise<VideoJobResult> => {
    const started = performance.now();
    const dir = resumeDirFor(finalName);
    const notes = [...plan.notes, ...segmentEncodeArgs('-', finalName, info, plan.encode).notes];
    const note = (n: string) => {
      notes.push(n);
      plan.onNote?.(n);
    };
    notes.forEach((n) => plan.onNote?.(n));

    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw outputError(`${finalName}: cannot create the resume folder ${dir} (${(err as Error).message})`);
    }
    const unlock = await takeLock(dir, finalName);
    let drain: (() => Promise<void>) | null = null;
    try {
      const at = await resumePoint(plan, dir, finalName, resume.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS, note);
      let written = at.startFrame;
      if (!at.manifest.complete) {
        const run = { plan, parts, resume, dir, at, progress$, signal, started, label: finalName, onDrain: (d: () => Promise<void>) => (drain = d) };
        written = await encodeRemaining(run);
      }
      if (signal?.aborted) throw signal.reason;
      const { segments } = at.manifest;
      const joinNotes = await joinSegments(dir, segments, tempOutput, finalName, info, children, signal);
      await fixVariableRateMp4(info, tempOutput, finalName);
      joinNotes.forEach(note);
      progress$.complete();
      return {
        frames: segments.reduce((n, s) => n + s.frames, 0) || written,
        seconds: (performance.now() - started) / 1000,
        notes,
        ...(at.resumedFrom ? { resumedFrom: at.resumedFrom } : {}),
      };
    } catch (err) {
      children.killAll();
      await children.settled();
      await (drain as (() => Promise<void>) | null)?.();
      // Keep finished segments for the next --resume; drop the one that was being written.
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (f.includes('.partial-') || f.startsWith('manifest.json.tmp-') || f === 'segments.txt') await rm(join(dir, f), { force: true });
      }
      throw err;
    } finally {
      await unlock();
    }
  })();
  done.catch((err) => progress$.error(err));
  return { progress$: progress$.asObservable(), done };
}

interface RemainingRun {
  plan: VideoPlan;
  parts: RunParts;
  resume: ResumeOptions;
  dir: string;
  at: ResumePoint;
  progress$: Subject<Progress>;
  signal: AbortSignal | undefined;
  started: number;
  /** The output name, for messages. */
  label: string;
  /** Receives the segment writer's drain (resolves when no file operation is in flight). */
  onDrain: (drain: () => Promise<void>) => void;
}

/** Decode from the resume point, colorize, and write segments until the video ends; the total frames written. */
async function encodeRemaining(r: RemainingRun): Promise<number> {
  const { plan, parts, at } = r;
  const { info } = plan;
  const decoded$ = seekSource({
    info, gate: parts.gate, children: parts.children, deint: plan.deinterlace, resumePts: at.resumePts, startFrame: at.startFrame,
    ptsOffset: await decoderTimestampOffset(info), dir: r.dir,
  });
  const { sink, drain } = segmentSink({
    info, encode: plan.encode, dir: r.dir, label: r.label, gate: parts.gate, children: parts.children, timer: plan.graph.timer,
    onSegment: r.resume.onSegment, segmentSeconds: at.manifest.segmentSeconds, firstNumber: at.manifest.segments.length,
    startFrame: at.startFrame, store: checkpointStore(r.dir, at.manifest),
  });
  r.onDrain(drain);
  // No preview with resume (the colorizer refuses it); restoration restarts where a job resumes.
  return colourRun(plan, parts, decoded$, sink, {
    progress$: r.progress$, signal: r.signal, started: r.started,
    total: info.frames, frameDuration: info.fps ? 1 / info.fps : null, startFrame: at.startFrame,
  });
}
