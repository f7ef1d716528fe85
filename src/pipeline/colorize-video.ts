// The file graph: decode -> L -> resize -> batch -> infer -> annealed mean -> [smooth] -> compose
// -> encode, each stage an operator from src/operators, backpressure through one FlowGate.
import { Observable, Subject } from 'rxjs';
import { colorGraph, type GraphOptions } from '../graph/color-graph.js';
import { decodeFrames } from '../operators/decode-frames.js';
import { encodeFrames } from '../operators/encode-frames.js';
import { containerOf, encodeArgs, encoderStart, lastFrameDuration, DEFAULT_ENCODE, type EncodeSettings } from '../media/encode-args.js';
import { fixLastFrameDuration } from '../media/mp4-fix.js';
import { FlowGate, defaultGateLimit } from '../core/flow-gate.js';
import { ChildGroup } from '../media/child.js';
import { StageTimer } from '../core/stage-timer.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { Progress } from '../core/frames.js';
import { DEFAULT_BATCH, FALLBACK_FPS } from '../core/defaults.js';

export interface VideoJobOptions extends GraphOptions {
  encode?: Partial<EncodeSettings>;
  /** Deinterlace interlaced sources (auto: when the stream says it is interlaced). */
  deinterlace?: 'auto' | 'on' | 'off';
  /** Frames allowed between decoder and encoder (default: defaultGateLimit(batch)). */
  inFlight?: number;
  onNote?: (line: string) => void;
}

export interface VideoJobResult {
  frames: number;
  seconds: number;
  notes: string[];
  /** Set when a resumable job continued from checkpointed segments (src/pipeline/resume.ts). */
  resumedFrom?: { frame: number; seconds: number; segments: number };
}

export interface VideoJob {
  progress$: Observable<Progress>;
  done: Promise<VideoJobResult>;
}

/** Notes about what the job does to this source, said once before it starts. */
export function sourceNotes(info: MediaInfo, deinterlace: boolean): string[] {
  const notes: string[] = [];
  if (deinterlace) notes.push(`interlaced source: deinterlaced (yadif, one output frame per input frame)`);
  if (info.hasAlpha) notes.push(`the source has an alpha channel (${info.pixFmt}); video output is opaque, so alpha is dropped`);
  if (info.rotation) notes.push(`the source is rotated ${info.rotation}° for display: the output is stored upright (${info.width}x${info.height})`);
  return notes;
}

export function wantsDeinterlace(info: MediaInfo, opts: VideoJobOptions): boolean {
  return opts.deinterlace === 'on' || (opts.deinterlace !== 'off' && info.interlaced);
}

/** The error an abort signal carries (the CLI's says which signal). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/**
 * Runs a frame pipeline to completion and settles only once every ffmpeg child of the job has
 * exited, so whoever removes the temporary files after a failure cannot race a child still
 * writing them.
 */
export function runToEnd(
  frames$: Observable<number>, children: ChildGroup, progress$: Subject<Progress>, signal: AbortSignal | undefined,
  onProgress: (written: number) => void, result: () => VideoJobResult,
): Promise<VideoJobResult> {
  return new Promise<VideoJobResult>((resolve, reject) => {
    let settled = false;
    const stop = (err: unknown) => {
      if (settled) return;
      settled = true;
      sub?.unsubscribe();
      children.killAll();
      signal?.removeEventListener('abort', onAbort);
      progress$.error(err);
      void children.settled().then(() => reject(err));
    };
    const onAbort = () => stop(abortReason(signal!));
    let sub: { unsubscribe(): void } | undefined;
    if (signal?.aborted) return stop(abortReason(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    sub = frames$.subscribe({
      next: onProgress,
      error: stop,
      complete: () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        progress$.complete();
        void children.settled().then(() => resolve(result()));
      },
    });
    if (settled) sub.unsubscribe();
  });
}

/** Colorize `info.path` into `tempOutput` (the caller renames it into place). */
export function colorizeVideoFile(
  model: LoadedModel, info: MediaInfo, tempOutput: string, finalName: string, opts: VideoJobOptions, signal?: AbortSignal,
): VideoJob {
  const batch = opts.batch ?? DEFAULT_BATCH;
  const gate = new FlowGate(opts.inFlight ?? defaultGateLimit(batch));
  const encode = { ...DEFAULT_ENCODE, ...opts.encode };
  const plan = encodeArgs(tempOutput, finalName, info, encode);
  const deint = wantsDeinterlace(info, opts);
  const notes = [...sourceNotes(info, deint), ...plan.notes];
  notes.forEach((n) => opts.onNote?.(n));
  const progress$ = new Subject<Progress>();
  const started = performance.now();
  const frameDuration = info.fps ? 1 / info.fps : null;
  const children = new ChildGroup();

  const frames$ = decodeFrames({
    input: info.path,
    width: info.width,
    height: info.height,
    filters: deint ? ['yadif=0'] : [],
    gate,
    fps: info.fps,
    expectedFrames: info.frames,
    label: info.path,
    codecName: info.codecLongName,
    children,
  }).pipe(
    colorGraph(model, opts),
    encodeFrames({ width: info.width, height: info.height, frameDuration: lastFrameDuration(info), args: plan.args, gate, label: finalName, children, keepStart: (pts) => encoderStart(info, pts), ...(opts.timer ? { timer: opts.timer } : {}) }),
  );

  let count = 0;
  const ran = runToEnd(frames$, children, progress$, signal, (written) => {
    count = written;
    const elapsed = (performance.now() - started) / 1000;
    const fps = written / Math.max(elapsed, 1e-6);
    const total = info.frames;
    progress$.next({
      frames: written,
      total,
      seconds: frameDuration ? written * frameDuration : 0,
      fps,
      etaSeconds: total ? Math.max(0, (total - written) / Math.max(fps, 1e-6)) : null,
    });
  }, () => ({ frames: count, seconds: (performance.now() - started) / 1000, notes }));
  const done = ran.then(async (r) => {
    await fixVariableRateMp4(info, tempOutput, finalName);
    return r;
  });
  return { progress$: progress$.asObservable(), done };
}

/**
 * A variable-frame-rate encode into MP4 leaves the last frame without a duration, and players
 * drop it (src/media/mp4-fix.ts); give it one frame of the source's base rate.
 */
export async function fixVariableRateMp4(info: MediaInfo, file: string, finalName: string): Promise<void> {
  if (containerOf(finalName) !== 'mp4' || !info.variableFrameRate) return;
  await fixLastFrameDuration(file, lastFrameDuration(info) ?? 1 / FALLBACK_FPS);
}
