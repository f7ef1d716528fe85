// Sink stage: the colour frames go to one ffmpeg encoder (media/frame-encoder.ts). One frame is in
// the pipe at a time, and a frame's gate slot is released only once the pipe has taken it, so a
// slow encoder slows the decoder down.
import { Observable, type OperatorFunction } from 'rxjs';
import { FrameEncoder, type FrameEncoderOptions } from '../media/frame-encoder.js';
import type { FlowGate } from '../core/flow-gate.js';
import type { FrameBuffers } from '../core/frame-buffers.js';
import type { ColorFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface EncodeFramesOptions extends FrameEncoderOptions {
  gate: FlowGate;
  /** Charges each frame's write to 'encode'. Default: none. */
  timer?: StageTimer;
  /** Each frame's decoded buffer goes back here once the pipe has taken it (the decoder's FrameBuffers). Default: none. */
  buffers?: FrameBuffers | null;
  /** The same for composed frames in buffers of their own (yuv420p: the compose stage's). Default: none. */
  outBuffers?: FrameBuffers | null;
}

/** Emits the number of frames written after each one; completes once ffmpeg has closed the file. */
export function encodeFrames(opts: EncodeFramesOptions): OperatorFunction<ColorFrame, number> {
  return (source) =>
    new Observable<number>((subscriber) => {
      const encoder = new FrameEncoder(opts);
      const queue: ColorFrame[] = [];
      let writing = false;
      let sourceDone = false;
      let finished = false;

      const fail = (err: unknown) => {
        if (finished) return;
        finished = true;
        encoder.kill();
        subscriber.error(err);
      };
      // An encoder that dies while idle (killed, disk full) fails the job at once.
      encoder.exit.catch((err) => fail(err));

      const pump = () => {
        if (writing || finished) return;
        const f = queue.shift();
        if (!f) {
          if (sourceDone) {
            encoder.finish().then(() => {
              if (finished) return;
              finished = true;
              subscriber.complete();
            }, fail);
          }
          return;
        }
        writing = true;
        const t0 = performance.now();
        encoder.write(f).then(
          () => {
            writing = false;
            // (Not f.rgb of a yuv420p frame: reading it would build it.)
            const decoded = f.yuv ? f.yuv.planes : f.rgb;
            opts.buffers?.give(decoded);
            if (f.out !== decoded) opts.outBuffers?.give(f.out);
            opts.gate.release();
            opts.timer?.add('encode', performance.now() - t0);
            if (finished) return;
            subscriber.next(encoder.written);
            pump();
          },
          (err) => {
            writing = false;
            opts.gate.release();
            fail(err);
          },
        );
      };

      const sub = source.subscribe({
        next(f) {
          queue.push(f);
          pump();
        },
        error(e) {
          fail(e);
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
          encoder.kill();
        }
        if (queue.length) opts.gate.release(queue.length);
        queue.length = 0;
      };
    });
}
