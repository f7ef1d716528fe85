// Stage: the --restore-debug preview. Wraps the restoration stage: the first frames' L is copied
// before the repair, and after it each of those frames is written as three panels side by side,
// original | restored | what changed (|difference| x 8, white = changed by 12.5 L or more), into
// a small H.264 file, so a user can see what the repair takes away before trusting it with a
// whole film. Only the previewed frames are copied (reused planes, as many as the repair holds),
// and the writer waits for ffmpeg's pipe, so memory stays bounded.
import { concat, concatMap, defer, finalize, from, ignoreElements, tap, type OperatorFunction } from 'rxjs';
import type { ChildProcess } from 'node:child_process';
import { FFMPEG } from '../media/ffmpeg-paths.js';
import { spawnTracked, killChild, StderrTail, exited, type ChildGroup } from '../media/child.js';
import { labToSrgb } from '../color/lab.js';
import { outputError } from '../core/errors.js';
import type { LFrame } from '../core/frames.js';

export interface RestorePreviewOptions {
  /** Where ffmpeg writes the preview (a temporary name; the job renames it into place). */
  file: string;
  /** The name the user asked for, for messages. */
  label: string;
  /** Seconds of film previewed from the first frame the stage sees (default 5). */
  seconds?: number;
  /** Frame rate of the preview (default 25; the file job passes the source's). */
  fps?: number;
  /** The job's children, so the job waits for this encoder too. Default: none (not tracked by a job). */
  children?: ChildGroup;
}

/** Seconds previewed when not told. */
export const DEFAULT_PREVIEW_SECONDS = 5;

/** L* (0..100, in 0.1 steps) -> 8-bit gray code. */
const CODE_OF_L = (() => {
  const t = new Uint8Array(1001);
  for (let i = 0; i <= 1000; i++) t[i] = Math.max(0, Math.min(255, Math.round(labToSrgb(i / 10, 0, 0)[0])));
  return t;
})();

function code(L: number): number {
  const i = Math.round(L * 10);
  return CODE_OF_L[i < 0 ? 0 : i > 1000 ? 1000 : i];
}

class PreviewWriter {
  private child: ChildProcess | null = null;
  private readonly tail = new StderrTail();
  private buf: Buffer | null = null;
  private width = 0;
  private height = 0;

  constructor(private readonly o: RestorePreviewOptions) {}

  async write(before: Float32Array, after: Float32Array, w: number, h: number): Promise<void> {
    if (!this.child) this.start(w, h);
    if (w !== this.width || h !== this.height) return; // a change of geometry ends what the preview shows
    const buf = this.buf!, W = 3 * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x, o = y * W + x;
        buf[o] = code(before[i]);
        buf[o + w] = code(after[i]);
        buf[o + 2 * w] = Math.min(255, Math.round(Math.abs(after[i] - before[i]) * 20.4));
      }
    }
    const stdin = this.child!.stdin!;
    // The buffer is reused: wait until this frame has left it.
    await new Promise<void>((resolve, reject) => stdin.write(buf, (err) => (err ? reject(this.failure()) : resolve())));
  }

  private start(w: number, h: number): void {
    this.width = w;
    this.height = h;
    this.buf = Buffer.alloc(3 * w * h);
    const args = [
      '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${3 * w}x${h}`, '-framerate', String(this.o.fps ?? 25), '-i', '-',
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p', this.o.file,
    ];
    const child = spawnTracked(FFMPEG, args, this.o.children);
    child.stderr!.on('data', (c: Buffer) => this.tail.push(c));
    child.stdin!.on('error', () => {});
    this.child = child;
  }

  private failure(): Error {
    this.tail.end();
    return outputError(`--restore-debug ${this.o.label}: the preview encoder failed${this.tail.summary() ? `: ${this.tail.summary()}` : ''}`);
  }

  /** Finishes the file; resolves once ffmpeg has exited cleanly. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.stdin!.end();
    await exited(child);
    if (child.exitCode !== 0) throw this.failure();
  }

  abort(): void {
    if (this.child) killChild(this.child);
    this.child = null;
  }
}

/** `inner` (the restoration stage) with the preview written around it. */
export function restorePreview<T extends LFrame>(o: RestorePreviewOptions, inner: OperatorFunction<T, T>): OperatorFunction<T, T> {
  return (source) =>
    defer(() => {
      const limit = Math.max(1, Math.round((o.seconds ?? DEFAULT_PREVIEW_SECONDS) * (o.fps ?? 25)));
      const originals = new Map<T, Float32Array>();
      const spare: Float32Array[] = [];
      const writer = new PreviewWriter(o);
      let seen = 0, written = 0;
      const body = source.pipe(
        tap((f) => {
          if (seen++ >= limit) return;
          let copy = spare.pop();
          if (!copy || copy.length !== f.L.length) copy = new Float32Array(f.L.length);
          copy.set(f.L);
          originals.set(f, copy);
        }),
        inner,
        concatMap((f) => {
          const before = originals.get(f);
          if (!before) return [f];
          originals.delete(f);
          return from((async () => {
            await writer.write(before, f.L, f.width, f.height);
            spare.push(before);
            if (++written === limit) await writer.close();
            return f;
          })());
        }),
      );
      // A film shorter than the preview: finish the file when the frames end.
      return concat(body, defer(() => writer.close()).pipe(ignoreElements())).pipe(finalize(() => writer.abort()));
    });
}
