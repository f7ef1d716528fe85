// --record OUT.mp4: the colorized stream also goes to a file through the same encoder stage the
// file pipeline uses. Timestamps are wall-clock, so drops and source outages keep real time. The
// recorder never slows the live path: when its encoder falls behind, frames are skipped.
import { Subject } from 'rxjs';
import { encodeFrames } from '../operators/encode-frames.js';
import { encodeArgs } from '../media/encode-args.js';
import { FlowGate } from '../core/flow-gate.js';
import type { ColorFrame } from '../core/frames.js';
import { FALLBACK_FPS } from '../core/defaults.js';

export interface RecorderOptions {
  path: string;
  width: number;
  height: number;
  fps: number | null;
  /** Frames allowed to wait for the encoder before new ones are skipped (default 8). */
  maxBacklog?: number;
  log?: (line: string) => void;
}

export interface RecorderStats {
  path: string;
  written: number;
  skipped: number;
  error: string | null;
}

export class Recorder {
  private readonly input = new Subject<ColorFrame>();
  private readonly done: Promise<void>;
  private readonly started = performance.now();
  private pushed = 0;
  private written = 0;
  private skipped = 0;
  private error: string | null = null;
  private finished = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: RecorderOptions) {
    const odd = o.width % 2 === 1 || o.height % 2 === 1;
    const plan = encodeArgs(o.path, o.path, null, { codec: 'h264', crf: 20, preset: 'veryfast', pixFmt: odd ? 'yuv444p' : 'yuv420p' });
    const frames$ = this.input.pipe(
      encodeFrames({
        width: o.width,
        height: o.height,
        frameDuration: o.fps ? 1 / o.fps : 1 / FALLBACK_FPS,
        args: plan.args,
        gate: new FlowGate(Number.MAX_SAFE_INTEGER),
        label: o.path,
      }),
    );
    let resolveDone!: () => void;
    this.done = new Promise<void>((r) => (resolveDone = r));
    const sub = frames$.subscribe({
      next: (n) => (this.written = n),
      error: (e: unknown) => {
        this.error = (e as Error).message;
        o.log?.(`record: ${this.error}`);
        resolveDone();
      },
      complete: () => resolveDone(),
    });
    this.unsubscribe = () => sub.unsubscribe();
  }

  stats(): RecorderStats {
    return { path: this.o.path, written: this.written, skipped: this.skipped, error: this.error };
  }

  write(f: ColorFrame): void {
    if (this.finished || this.error) return;
    if (this.pushed - this.written >= (this.o.maxBacklog ?? 8)) {
      this.skipped++;
      return;
    }
    this.pushed++;
    const pts = (performance.now() - this.started) / 1000;
    // A shallow copy: the recorder gets its own timestamps; the pixels are shared (never written again).
    this.input.next({ ...f, pts, index: this.pushed - 1 });
  }

  /** Close the file (moov atom and all); gives up after `timeoutMs` and kills the encoder. */
  async finish(timeoutMs = 1500): Promise<void> {
    if (this.finished) return this.done;
    this.finished = true;
    this.input.complete();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.done.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.error = `the encoder did not finish within ${timeoutMs} ms; ${this.o.path} may be incomplete`;
      this.o.log?.(`record: ${this.error}`);
      this.unsubscribe();
    }
  }
}
