// Sink stage: an ffmpeg child encodes the colour frames. Frames go in as a Matroska stream of raw
// rgb24 with their own timestamps (src/media/mkv-writer.ts); the source file is a second input for
// its audio, subtitles and metadata. One frame is in the pipe at a time, and a frame's gate slot is
// released only once the pipe has taken it, so a slow encoder slows the decoder down.
import { Observable, type OperatorFunction } from 'rxjs';
import { FFMPEG } from '../media/ffmpeg-paths.js';
import { spawnTracked, killChild, StderrTail } from '../media/child.js';
import { mkvHeader, mkvFramePrefix } from '../media/mkv-writer.js';
import { ChromaError } from '../errors.js';
import type { FlowGate } from '../pipeline/flow-gate.js';
import type { ColorFrame } from '../pipeline/types.js';
import type { StageTimer } from '../pipeline/stage-timer.js';

export interface EncodeFramesOptions {
  width: number;
  height: number;
  /** Nominal seconds per frame (the last frame's duration). */
  frameDuration: number | null;
  /** Arguments after the frame input (from encodeArgs), ending with the output path. */
  args: string[];
  gate: FlowGate;
  timer?: StageTimer;
  label: string;
}

/** Emits the number of frames written after each one; completes once ffmpeg has closed the file. */
export function encodeFrames(opts: EncodeFramesOptions): OperatorFunction<ColorFrame, number> {
  return (source) =>
    new Observable<number>((subscriber) => {
      const child = spawnTracked(FFMPEG, [
        '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'level+error', '-y',
        '-f', 'matroska', '-i', 'pipe:0',
        ...opts.args,
      ]);
      const stderr = new StderrTail(20);
      const queue: ColorFrame[] = [];
      let writing = false;
      let sourceDone = false;
      let written = 0;
      let finished = false;
      let lastPts = -Infinity;
      const frameBytes = opts.width * opts.height * 3;

      const fail = (err: Error) => {
        if (finished) return;
        finished = true;
        killChild(child);
        subscriber.error(err);
      };
      const pump = () => {
        if (writing || finished) return;
        const f = queue.shift();
        if (!f) {
          if (sourceDone) child.stdin!.end();
          return;
        }
        writing = true;
        const t0 = performance.now();
        // Timestamps must increase; a source glitch (repeated pts) is nudged by a microsecond.
        let pts = f.pts ?? (opts.frameDuration ? f.index * opts.frameDuration : f.index / 25);
        if (pts <= lastPts) pts = lastPts + 1e-6;
        lastPts = pts;
        child.stdin!.write(mkvFramePrefix(pts, frameBytes));
        child.stdin!.write(f.out, (err) => {
          writing = false;
          opts.gate.release();
          if (err) return; // the close handler reports why ffmpeg stopped
          opts.timer?.add('encode', performance.now() - t0);
          written++;
          subscriber.next(written);
          pump();
        });
      };

      child.stdin!.on('error', () => {}); // EPIPE when ffmpeg dies; reported from 'close'
      child.stderr!.on('data', (c: Buffer) => stderr.push(c));
      child.on('error', (err) => fail(new ChromaError('internal', `cannot start ffmpeg: ${err.message}`)));
      child.on('close', (code, signal) => {
        stderr.end();
        if (finished) return;
        if (code === 0 && sourceDone && queue.length === 0 && !writing) {
          finished = true;
          subscriber.complete();
          return;
        }
        const why = signal ? `encoder was killed (${signal})` : stderr.summary() || `encoder exited with code ${code}`;
        const kind = /space|permission|denied|read-only|i\/o error/i.test(why) ? 'output' : 'internal';
        fail(new ChromaError(kind, `${opts.label}: encoding failed after ${written} frames: ${why}`));
      });
      child.stdin!.write(mkvHeader({ width: opts.width, height: opts.height, frameDuration: opts.frameDuration ?? undefined }));

      const sub = source.subscribe({
        next(f) {
          queue.push(f);
          pump();
        },
        error(e) {
          fail(e as Error);
        },
        complete() {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        sub.unsubscribe();
        if (!finished) {
          finished = true;
          killChild(child);
        }
        if (queue.length) opts.gate.release(queue.length);
      };
    });
}
