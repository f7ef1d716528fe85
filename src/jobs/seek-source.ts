// The source of a resumable job: the decoder, seeked to a little before the first frame not yet
// in a checkpointed segment. -ss goes on the input side with -copyts so timestamps stay those of
// the source; frames before the resume point are dropped by timestamp, and the first frame kept
// must be exactly the one the checkpoint recorded as next.
import { Observable, catchError, defer, throwError, type OperatorFunction } from 'rxjs';
import { decodeFrames, PTS_TOLERANCE } from '../operators/decode-frames.js';
import type { ChildGroup } from '../media/child.js';
import type { MediaInfo } from '../media/probe.js';
import { ChromaError } from '../core/errors.js';
import type { FlowGate } from '../core/flow-gate.js';
import type { RawFrame } from '../core/frames.js';

/** Seconds the decoder seeks before the resume point, so it starts from an earlier keyframe. */
const SEEK_MARGIN = 1;

export interface SeekSourceOptions {
  info: MediaInfo;
  gate: FlowGate;
  children: ChildGroup;
  deint: boolean;
  /** Timestamp (s) of the first frame wanted; null: from the start. */
  resumePts: number | null;
  /** Index of that frame in the whole video. */
  startFrame: number;
  /** Seconds to take off -copyts timestamps to get those of a decode without it. */
  ptsOffset: number;
  /** Named in the message when the resume point cannot be found. */
  dir: string;
}

export function seekSource(j: SeekSourceOptions): Observable<RawFrame> {
  const { info, gate } = j;
  // Every decode of a resumable job keeps the source's own timestamps (-copyts, which seeking needs)
  // and takes off what ffmpeg takes off without -copyts (measured: decoderTimestampOffset); so a
  // resumed decode, a fresh one and a one-pass run all give the same timestamps.
  const decodeFrom = (seek: boolean): Observable<RawFrame> => {
    const at = j.resumePts;
    const seekTo = at !== null && seek ? Math.max(0, at - SEEK_MARGIN) : 0;
    // ffmpeg adds the file's start time to -ss itself, with or without -copyts.
    const inputArgs = ['-copyts', ...(seekTo > 0 ? ['-ss', seekTo.toFixed(6), '-noaccurate_seek'] : [])];
    const frames$ = decodeFrames({
      input: info.path,
      width: info.width,
      height: info.height,
      inputArgs,
      filters: j.deint ? ['yadif=0'] : [],
      gate,
      fps: info.fps,
      expectedFrames: at === null ? info.frames : null,
      label: info.path,
      codecName: info.codecLongName,
      children: j.children,
      ptsOffset: j.ptsOffset,
      ...(at !== null ? { skipBefore: at, firstIndex: j.startFrame } : {}),
    });
    return at === null ? frames$ : frames$.pipe(expectFirst(at, gate));
  };
  const decoded$ = j.resumePts === null
    ? decodeFrom(false)
    : defer(() => decodeFrom(true)).pipe(
      // A seek that lands past the resume point (imprecise index): decode from the start instead.
      catchError((err) => (err instanceof ResumeMismatch ? decodeFrom(false) : throwError(() => err))),
      catchError((err) => throwError(() => (err instanceof ResumeMismatch
        ? new ChromaError('input', `${info.path}: cannot resume: ${err.message}; delete ${j.dir} to start over`)
        : err))),
    );

  return decoded$;
}

/** Thrown when the first frame after a seek is not the one the checkpoint expects. */
export class ResumeMismatch extends Error {}

/** Checks that the first frame kept after a seek is the one the checkpoint recorded as next. */
function expectFirst(pts: number, gate: FlowGate): OperatorFunction<RawFrame, RawFrame> {
  return (source) => new Observable<RawFrame>((subscriber) => {
    let first = true;
    return source.subscribe({
      next(f) {
        if (first) {
          first = false;
          if (f.pts === null || Math.abs(f.pts - pts) > 2 * PTS_TOLERANCE) {
            gate.release();
            subscriber.error(new ResumeMismatch(`expected the frame at ${pts.toFixed(6)} s, the decoder gave ${f.pts?.toFixed(6) ?? 'none'}`));
            return;
          }
        }
        subscriber.next(f);
      },
      error: (e) => subscriber.error(e),
      complete: () => {
        if (first) subscriber.error(new ResumeMismatch(`no frame at or after ${pts.toFixed(6)} s`));
        else subscriber.complete();
      },
    });
  });
}
