// One ffmpeg encoder child fed colour frames one at a time. Frames go in as a Matroska stream of
// raw rgb24 or yuv420p with their own timestamps (mkv-writer.ts); the source file can be a further input for
// its audio, subtitles and metadata (the arguments come from encode-args.ts). The operator over one
// encoder is operators/encode-frames.ts; the segment sink (jobs/sinks/) runs one per segment.
import type { ChildProcess } from 'node:child_process';
import { FFMPEG } from './ffmpeg-paths.js';
import { spawnTracked, killChild, describeSignal, StderrTail, type ChildGroup } from './child.js';
import { mkvHeader, mkvFramePrefix } from './mkv-writer.js';
import { ChromaError } from '../core/errors.js';
import { frameBytes, type ColorFrame, type PixelFormat } from '../core/frames.js';
import { FALLBACK_FPS } from '../core/defaults.js';

export interface FrameEncoderOptions {
  width: number;
  height: number;
  /** Nominal seconds per frame (the last frame's duration). */
  frameDuration: number | null;
  /** The frames' layout (ColorFrame.outFormat); encodeArgs must have been told the same. Default rgb24. */
  pixFmt?: PixelFormat;
  /** Arguments after the frame input (from encodeArgs), ending with the output path. */
  args: string[];
  /** Used in messages (the user's output name). */
  label: string;
  /** Gather the ffmpeg child here so the job can wait for it to exit. */
  children?: ChildGroup;
  /**
   * Start the video where the first frame's timestamp says instead of at zero (files: the
   * source's audio is muxed beside it and must stay in sync): returns the start to use for a
   * first timestamp (e.g. encoderStart). Absent for live recordings, which start at zero.
   */
  keepStart?: (firstPts: number) => number;
}

/** Why an encoder stopped, as one line and the right exit-code kind. */
export function encoderFailure(label: string, written: number, code: number | null, signal: NodeJS.Signals | null, stderr: StderrTail, pid?: number): ChromaError {
  if (signal === 'SIGXFSZ') {
    return new ChromaError('output', `${label}: cannot write the output: ${describeSignal(signal)} after ${written} frame(s)`);
  }
  if (signal) return new ChromaError('internal', `${label}: the encoder (ffmpeg pid ${pid ?? '?'}) was killed by ${signal} after ${written} frame(s)`);
  const all = stderr.all().join('\n');
  if (/No space left on device|ENOSPC|Disk quota exceeded/i.test(all)) {
    return new ChromaError('output', `${label}: the disk is full (no space left on device) after ${written} frame(s)`);
  }
  const io = /(Permission denied|Read-only file system|Input\/output error|File too large)/i.exec(all);
  if (io) return new ChromaError('output', `${label}: cannot write the output (${io[1]}) after ${written} frame(s)`);
  const why = stderr.summary() || `encoder exited with code ${code}`;
  return new ChromaError('internal', `${label}: encoding failed after ${written} frame(s): ${why}`);
}

/**
 * One encoder child fed frame by frame. The child starts with the first frame: ffmpeg moves every
 * input to start at zero, so with `keepStart` the frame input is given `-itsoffset FIRST_PTS` to keep
 * the video where the source had it (a video that starts after its audio stays in sync).
 */
export class FrameEncoder {
  private child: ChildProcess | null = null;
  private readonly stderr = new StderrTail(20);
  private readonly frameBytes: number;
  private lastPts = -Infinity;
  private failure: ChromaError | null = null;
  private ended = false;
  private readonly closed: Promise<void>;
  private settle!: { resolve: () => void; reject: (e: ChromaError) => void };
  written = 0;

  constructor(private readonly opts: FrameEncoderOptions) {
    this.frameBytes = frameBytes(opts.pixFmt ?? 'rgb24', opts.width, opts.height);
    this.closed = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.closed.catch(() => {}); // observed through write()/finish()/exit
  }

  private start(firstPts: number): ChildProcess {
    const opts = this.opts;
    const child = spawnTracked(FFMPEG, [
      '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'level+error', '-y',
      ...(opts.keepStart ? ['-itsoffset', opts.keepStart(firstPts).toFixed(6)] : []), '-f', 'matroska', '-i', 'pipe:0',
      ...opts.args,
    ], opts.children);
    this.child = child;
    child.stdin!.on('error', () => {}); // EPIPE when ffmpeg dies; reported from 'close'
    child.stderr!.on('data', (c: Buffer) => this.stderr.push(c));
    child.once('error', (err) => {
      this.failure ??= new ChromaError('internal', `cannot start ffmpeg: ${err.message}`);
      this.settle.reject(this.failure);
    });
    child.once('close', (code, signal) => {
      this.stderr.end();
      if (code === 0 && this.ended && !this.failure) return this.settle.resolve();
      this.failure ??= this.ended || code !== 0 || signal
        ? encoderFailure(opts.label, this.written, code, signal, this.stderr, child.pid)
        : new ChromaError('internal', `${opts.label}: the encoder stopped early after ${this.written} frame(s)`);
      this.settle.reject(this.failure);
    });
    child.stdin!.write(mkvHeader({ width: opts.width, height: opts.height, frameDuration: opts.frameDuration ?? undefined, pixFmt: opts.pixFmt ?? 'rgb24' }));
    return child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Rejects once the child has died: lets a caller waiting on something else notice. */
  get exit(): Promise<void> {
    return this.closed;
  }

  /** Resolves once the pipe has taken the frame; rejects when the encoder has died. */
  write(f: ColorFrame): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if ((f.outFormat ?? 'rgb24') !== (this.opts.pixFmt ?? 'rgb24') || f.out.length !== this.frameBytes) {
      return Promise.reject(new ChromaError('internal', `${this.opts.label}: frame ${f.index} is ${f.outFormat ?? 'rgb24'} of ${f.out.length} bytes; the encoder takes ${this.opts.pixFmt ?? 'rgb24'} of ${this.frameBytes}`));
    }
    // Timestamps must increase; a source glitch (repeated pts) is nudged by a microsecond.
    let pts = f.pts ?? (this.opts.frameDuration ? f.index * this.opts.frameDuration : f.index / FALLBACK_FPS);
    if (pts <= this.lastPts) pts = this.lastPts + 1e-6;
    this.lastPts = pts;
    const stdin = (this.child ?? this.start(pts)).stdin!;
    return new Promise<void>((resolve, reject) => {
      stdin.write(mkvFramePrefix(pts, this.frameBytes));
      stdin.write(f.out, (err) => {
        if (err) {
          // The close handler says why ffmpeg stopped; wait for it.
          this.closed.then(() => reject(err), reject);
          return;
        }
        this.written++;
        resolve();
      });
    });
  }

  /** Close the input and wait for ffmpeg to finish the file. */
  finish(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      if (this.child) this.child.stdin!.end();
      else {
        this.failure ??= new ChromaError('internal', `${this.opts.label}: no frames to encode`);
        this.settle.reject(this.failure);
      }
    }
    return this.closed;
  }

  kill(): void {
    this.ended = true;
    this.failure ??= new ChromaError('internal', `${this.opts.label}: encoder stopped`);
    if (this.child) killChild(this.child);
    else this.settle.reject(this.failure);
  }
}
