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
import { DEFAULT_ENCODE, segmentEncodeArgs, type EncodeSettings } from '../media/encode-args.js';
import { ChildGroup } from '../media/child.js';
import { joinSegments } from '../media/join.js';
import { decoderTimestampOffset, type MediaInfo } from '../media/probe.js';
import { FlowGate } from '../core/flow-gate.js';
import { outputError } from '../core/errors.js';
import { DEFAULT_BATCH } from '../core/defaults.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { Progress } from '../core/frames.js';
import { colorGraph } from '../graph/color-graph.js';
import { smoothStage } from '../operators/smooth-ab.js';
import { fixVariableRateMp4, jobGateLimit, restoreStageOf, smoothingKey, smoothingOf, sourceNotes, wantsDeinterlace, type VideoJob, type VideoJobOptions, type VideoJobResult } from './video-job.js';
import { checkpointStore, identify, MANIFEST_VERSION, prune, readManifest, resumeDirFor, takeLock, writeManifest, type Manifest, type SegmentRecord } from './checkpoint.js';
import { seekSource } from './seek-source.js';
import { segmentSink } from './sinks/segment-sink.js';
import { runVideoJob } from './run-video-job.js';

export const DEFAULT_SEGMENT_SECONDS = 10;

export interface ResumeOptions {
  /** Seconds of source per segment (default 10). Shorter: less lost on a crash, more keyframes. */
  segmentSeconds?: number;
  /** Called after each segment is safely on disk. Default: none. */
  onSegment?: (s: SegmentRecord & { index: number }) => void;
}

/**
 * The resumable variant of colorizeVideoFile: same graph, segment encoders instead of one
 * encoder, then a lossless join into `tempOutput`. The caller renames the output into place and
 * then calls discardResume().
 */
export function colorizeVideoResumable(
  model: LoadedModel, info: MediaInfo, tempOutput: string, finalName: string,
  opts: VideoJobOptions & { resume: ResumeOptions }, signal?: AbortSignal,
): VideoJob {
  const progress$ = new Subject<Progress>();
  const children = new ChildGroup();
  const done = (async (): Promise<VideoJobResult> => {
    const started = performance.now();
    const dir = resumeDirFor(finalName);
    const segmentSeconds = opts.resume.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
    const encode: EncodeSettings = { ...DEFAULT_ENCODE, ...opts.encode };
    const deint = wantsDeinterlace(info, opts);
    const notes = [...sourceNotes(info, deint), ...segmentEncodeArgs('-', finalName, info, encode).notes];
    const note = (n: string) => {
      notes.push(n);
      opts.onNote?.(n);
    };
    notes.forEach((n) => opts.onNote?.(n));

    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw outputError(`${finalName}: cannot create the resume folder ${dir} (${(err as Error).message})`);
    }
    const unlock = await takeLock(dir, finalName);
    let job: EncodeJob | null = null;
    try {
      const temperature = typeof opts.temperature === 'function' ? 'live' : opts.temperature ?? null;
      const settings: Record<string, unknown> = {
        model: { path: model.path, name: model.info.name, kind: model.info.kind },
        temperature, size: opts.size ?? null, batch: opts.batch ?? DEFAULT_BATCH,
        deinterlace: deint, encode, container: basename(finalName).split('.').pop() ?? '',
        width: info.width, height: info.height, smooth: smoothingKey(smoothingOf(opts.smooth)),
        restore: opts.restore?.settings ?? null,
        ...(opts.hintsKey ? { hints: opts.hintsKey } : {}),
      };
      const input = await identify(info.path);
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

      const done0 = manifest.segments.length;
      const last = manifest.segments[done0 - 1];
      const startFrame = last ? last.firstFrame + last.frames : 0;
      const resumePts = last ? last.nextPts : null;
      const resumedFrom = done0 > 0 ? { frame: startFrame, seconds: resumePts ?? last.endPts, segments: done0 } : undefined;
      if (resumedFrom && !manifest.complete) {
        note(`resuming at frame ${startFrame} (${resumedFrom.seconds.toFixed(3)} s) from ${done0} finished segment(s); temporal smoothing restarts here`);
      } else if (resumedFrom) {
        note(`all ${done0} segment(s) were already finished; joining them`);
      }

      let written = startFrame;
      if (!manifest.complete) {
        job = {
          model, info, opts, encode, dir, manifest, startFrame, resumePts, deint, children, progress$, signal, started, label: finalName,
          ptsOffset: await decoderTimestampOffset(info),
          onWritten: (n) => (written = n),
        };
        await encodeRemaining(job);
      }
      if (signal?.aborted) throw signal.reason;
      const joinNotes = await joinSegments(dir, manifest.segments, tempOutput, finalName, info, children, signal);
      await fixVariableRateMp4(info, tempOutput, finalName);
      joinNotes.forEach(note);
      progress$.complete();
      return {
        frames: manifest.segments.reduce((n, s) => n + s.frames, 0) || written,
        seconds: (performance.now() - started) / 1000,
        notes,
        ...(resumedFrom ? { resumedFrom } : {}),
      };
    } catch (err) {
      children.killAll();
      await children.settled();
      await job?.drain?.();
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

interface EncodeJob {
  model: LoadedModel;
  info: MediaInfo;
  opts: VideoJobOptions & { resume: ResumeOptions };
  encode: EncodeSettings;
  dir: string;
  manifest: Manifest;
  startFrame: number;
  resumePts: number | null;
  deint: boolean;
  children: ChildGroup;
  progress$: Subject<Progress>;
  signal: AbortSignal | undefined;
  started: number;
  /** The output name, for messages. */
  label: string;
  /** Seconds to take off -copyts timestamps to get those of a decode without it. */
  ptsOffset: number;
  /** Resolves when the segment writer has no file operation in flight (set by encodeSegments). */
  drain?: () => Promise<void>;
  onWritten: (n: number) => void;
}

/** Decode from the resume point, colorize, and write segments until the video ends. */
async function encodeRemaining(j: EncodeJob): Promise<void> {
  const { info, opts } = j;
  const gate = new FlowGate(jobGateLimit(opts));
  const frameDuration = info.fps ? 1 / info.fps : null;

  const decoded$ = seekSource({ ...j, gate });
  const { sink, drain } = segmentSink({
    ...j, gate, timer: opts.timer, onSegment: opts.resume.onSegment,
    segmentSeconds: j.manifest.segmentSeconds, firstNumber: j.manifest.segments.length, store: checkpointStore(j.dir, j.manifest),
  });
  j.drain = drain;
  const written = await runVideoJob(decoded$.pipe(colorGraph(j.model, {
    ...opts,
    smooth: smoothStage(smoothingOf(opts.smooth), opts.timer),
    // No preview with resume (the colorizer refuses it); restoration restarts where a job resumes.
    restore: restoreStageOf(opts, info, j.children, opts.timer),
  })), sink, {
    children: j.children, progress$: j.progress$, signal: j.signal, started: j.started,
    total: info.frames, frameDuration: info.fps ? 1 / info.fps : null, startFrame: j.startFrame,
  });
  j.onWritten(written);
}
