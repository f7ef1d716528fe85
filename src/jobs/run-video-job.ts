// The one video-job engine: colour frames from a source run into a sink (one encoder, or
// checkpointed segments) while this module reports progress with an ETA, honours an abort signal,
// and settles only once every ffmpeg child of the job has exited, so whoever removes the temporary
// files after a failure cannot race a child still writing them.
import type { Observable, OperatorFunction, Subject } from 'rxjs';
import type { ChildGroup } from '../media/child.js';
import type { ColorFrame, Progress } from '../core/frames.js';

/** A sink takes colour frames and emits the total frames written after each one. */
export type VideoSink = OperatorFunction<ColorFrame, number>;

export interface VideoRunOptions {
  /** Every ffmpeg child of the job (decoder, encoders): the run settles after they have exited. */
  children: ChildGroup;
  /** Receives a Progress after each written frame; errored or completed with the run. */
  progress$: Subject<Progress>;
  signal?: AbortSignal;
  /** Frames in the whole video, when known: gives the ETA. */
  total: number | null;
  /** Seconds per frame, for the encoded-seconds figure (null: unknown, reported as 0). */
  frameDuration: number | null;
  /** Frames written by earlier runs (a resumed job): counted in `frames`, not in the rate. Default 0. */
  startFrame?: number;
  /** performance.now() when the job started (default: now). */
  started?: number;
}

/** The error an abort signal carries (the CLI's says which signal). */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Runs `source` into `sink` to the end; resolves with the total frames written. */
export function runVideoJob(source: Observable<ColorFrame>, sink: VideoSink, o: VideoRunOptions): Promise<number> {
  const { children, progress$, signal } = o;
  const started = o.started ?? performance.now();
  const startFrame = o.startFrame ?? 0;
  let written = startFrame;
  const report = (n: number) => {
    written = n;
    const elapsed = (performance.now() - started) / 1000;
    const fps = (n - startFrame) / Math.max(elapsed, 1e-6);
    progress$.next({
      frames: n,
      total: o.total,
      seconds: o.frameDuration ? n * o.frameDuration : 0,
      fps,
      etaSeconds: o.total ? Math.max(0, (o.total - n) / Math.max(fps, 1e-6)) : null,
    });
  };
  return new Promise<number>((resolve, reject) => {
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
    sub = source.pipe(sink).subscribe({
      next: report,
      error: stop,
      complete: () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        progress$.complete();
        void children.settled().then(() => resolve(written));
      },
    });
    if (settled) sub.unsubscribe();
  });
}
