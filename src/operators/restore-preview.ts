// Stage: the --restore-debug preview. Wraps the restoration stage: the first frames' L is copied
// before the repair, and after it each of those frames is written as three panels side by side,
// original | restored | what changed (|difference| x 8, white = changed by 12.5 L or more; the
// pixels a local repair filled in its kind's colour: dust red, blotch orange, scratch blue,
// hairline green, from the marks plane lent on the record, src/restore/repair-marks.ts), into
// a small H.264 file, so a user can see what the repair takes away before trusting it with a
// whole film. Only the previewed frames are copied (reused planes, as many as the repair holds),
// and the writer waits for ffmpeg's pipe, so memory stays bounded.
import { concat, concatMap, defer, finalize, from, ignoreElements, tap, type OperatorFunction } from 'rxjs';
import type { ChildProcess } from 'node:child_process';
import { FFMPEG } from '../media/ffmpeg-paths.js';
import { spawnTracked, killChild, StderrTail, exited, type ChildGroup } from '../media/child.js';
import { labToSrgb } from '../color/lab.js';
import { REPAIR_CODE, REPAIR_COLOUR, lendMarks, type RepairKind } from '../restore/repair-marks.js';
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

/** Colour per marks code (index = code). */
const COLOUR_OF_CODE: (readonly [number, number, number])[] = (() => {
  const t: (readonly [number, number, number])[] = [];
  for (const [kind, c] of Object.entries(REPAIR_CODE)) t[c] = REPAIR_COLOUR[kind as RepairKind];
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

  async write(before: Float32Array, after: Float32Array, marks: Uint8Array, w: number, h: number): Promise<void> {
    if (!this.child) this.start(w, h);
    if (w !== this.width || h !== this.height) return; // a change of geometry ends what the preview shows
    const buf = this.buf!, W = 9 * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x, o = y * W + 3 * x;
        const b = code(before[i]), a = code(after[i]);
        const mark = COLOUR_OF_CODE[marks[i]];
        const d = Math.min(255, Math.round(Math.abs(after[i] - before[i]) * 20.4));
        for (let c = 0; c < 3; c++) {
          buf[o + c] = b;
          buf[o + 3 * w + c] = a;
          buf[o + 6 * w + c] = mark ? mark[c] : d;
        }
      }
    }
    const stdin = this.child!.stdin!;
    // The buffer is reused: wait until this frame has left it.
    await new Promise<void>((resolve, reject) => stdin.write(buf, (err) => (err ? reject(this.failure()) : resolve())));
  }

  private start(w: number, h: number): void {
    this.width = w;
    this.height = h;
    this.buf = Buffer.alloc(9 * w * h);
    const args = [
      '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${3 * w}x${h}`, '-framerate', String(this.o.fps ?? 25), '-i', '-',
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

/** One frame's L (and repair marks) as it was before the repair. */
interface Original {
  L: Float32Array;
  marks: Uint8Array;
}

/**
 * `inner` with each frame's L as it came in kept beside it: frames for which `want` says yes are
 * copied before `inner` (into reused planes, with a marks plane lent on the record) and `after`
 * gets the frame and its copy once `inner` is done. Both the --restore-debug preview and the live
 * viewer's original/restored switch are this, so neither runs a second restoration.
 */
export function aroundRepair<T extends LFrame>(
  inner: OperatorFunction<T, T>,
  want: (f: T) => boolean,
  after: (f: T, before: Original) => T | Promise<T>,
): OperatorFunction<T, T> {
  return (source) =>
    defer(() => {
      const originals = new Map<T, Original>();
      const spare: Original[] = [];
      return source.pipe(
        tap((f) => {
          if (!want(f)) return;
          let copy = spare.pop();
          if (!copy || copy.L.length !== f.L.length) copy = { L: new Float32Array(f.L.length), marks: new Uint8Array(f.L.length) };
          copy.L.set(f.L);
          copy.marks.fill(0);
          originals.set(f, copy);
          lendMarks(f, copy.marks);
        }),
        inner,
        concatMap((f) => {
          const before = originals.get(f);
          if (!before) return [f];
          originals.delete(f);
          lendMarks(f, null);
          return from((async () => {
            const out = await after(f, before);
            spare.push(before);
            return out;
          })());
        }),
      );
    });
}

/** `inner` (the restoration stage) with the preview written around it. */
export function restorePreview<T extends LFrame>(o: RestorePreviewOptions, inner: OperatorFunction<T, T>): OperatorFunction<T, T> {
  return (source) =>
    defer(() => {
      const limit = Math.max(1, Math.round((o.seconds ?? DEFAULT_PREVIEW_SECONDS) * (o.fps ?? 25)));
      const writer = new PreviewWriter(o);
      let seen = 0, written = 0;
      const body = source.pipe(aroundRepair(inner, () => seen++ < limit, async (f, before) => {
        await writer.write(before.L, f.L, before.marks, f.width, f.height);
        if (++written === limit) await writer.close();
        return f;
      }));
      // A film shorter than the preview: finish the file when the frames end.
      return concat(body, defer(() => writer.close()).pipe(ignoreElements())).pipe(finalize(() => writer.abort()));
    });
}

/**
 * `inner` (the live restoration stage) that can hand on the film as it came: while `showOriginal`
 * says so, each frame's L is put back after the repair, so the viewer sees (and the model colours)
 * the unrepaired film. The repair still runs on every frame, so its memory of past frames stays
 * current and switching back shows the restored film at once.
 */
export function restoreSwitch<T extends LFrame>(inner: OperatorFunction<T, T>, showOriginal: () => boolean): OperatorFunction<T, T> {
  return aroundRepair(inner, showOriginal, (f, before) => {
    f.L.set(before.L);
    return f;
  });
}
