// Source stage: an ffmpeg child decodes the first video stream to packed rgb24 over a pipe (or,
// given `yuv`, to yuv420p: for sources already in it, no conversion and half the bytes). The
// pipe is paused while the FlowGate is full (real backpressure: ffmpeg blocks on write, so it stops
// decoding). Presentation timestamps come from the showinfo filter on ffmpeg's stderr, so variable
// frame rates survive the trip.
import { Observable } from 'rxjs';
import { FFMPEG } from '../media/ffmpeg-paths.js';
import { spawnTracked, killChild, describeSignal, StderrTail, type ChildGroup } from '../media/child.js';
import { ChromaError, inputError } from '../core/errors.js';
import type { FlowGate } from '../core/flow-gate.js';
import type { FrameBuffers } from '../core/frame-buffers.js';
import { frameBytes as bytesOf, type RawFrame, type YuvMatrix } from '../core/frames.js';
import { yuv420ToRgbRows } from '../color/yuv.js';

export interface DecodeOptions {
  /** Input path or URL as ffmpeg takes it. */
  input: string;
  /** Display size of the decoded frames (after rotation). */
  width: number;
  height: number;
  /** ffmpeg options placed before -i (e.g. -re, -rtsp_transport tcp, -f v4l2). Default: none. */
  inputArgs?: string[];
  /** Extra video filters applied before the frames leave ffmpeg (e.g. yadif). Default: none. */
  filters?: string[];
  /** Backpressure: frames emitted take a slot; the consumer releases it. */
  gate: FlowGate;
  /** Nominal fps: timestamps for frames whose showinfo line never arrived. Default: none. */
  fps?: number | null;
  /** Frames the container promises; fewer decoded means the file is truncated. Default: unknown (no check). */
  expectedFrames?: number | null;
  /** Used in messages. Default: the input. */
  label?: string;
  /** The codec's name, for the message when ffmpeg has no decoder for it. Default: none. */
  codecName?: string;
  /** Kind of error raised on failure: 'input' for files, 'source' for live sources. Default 'input'. */
  errorKind?: 'input' | 'source';
  /** Gather the ffmpeg child here so the job can wait for it to exit. Default: none. */
  children?: ChildGroup;
  /** Seconds subtracted from every timestamp (with -copyts: the file's start time). Default 0. */
  ptsOffset?: number;
  /** Drop frames whose (offset) timestamp is before this many seconds (resuming mid-file). Default: none. */
  skipBefore?: number;
  /** Index of the first emitted frame (default 0). */
  firstIndex?: number;
  /** Where frame buffers come from (shared memory, recycled: a pixel pool's graph). Default: a fresh Buffer a frame. */
  buffers?: FrameBuffers | null;
  /**
   * Decode to yuv420p (a tv-range yuv420p source of even size): frames carry `yuv` and make `rgb`
   * only when it is read. `codes`: media/gray-codes.ts; `matrix`: the source's. Default: rgb24.
   */
  yuv?: { codes: Uint8Array; matrix: YuvMatrix } | null;
}

/** A frame record over yuv420p bytes: `rgb` is built from them if anything reads it. */
function yuvFrame(index: number, width: number, height: number, planes: Buffer, yuv: { codes: Uint8Array; matrix: YuvMatrix }): RawFrame {
  const f = { index, pts: null, width, height, yuv: { planes, codes: yuv.codes, matrix: yuv.matrix, gray: false } } as Omit<RawFrame, 'rgb'>;
  let rgb: Buffer | null = null;
  return Object.defineProperty(f, 'rgb', {
    configurable: true,
    enumerable: true,
    get(): Buffer {
      if (!rgb) {
        rgb = Buffer.allocUnsafe(width * height * 3);
        const y = f.yuv!;
        // Once the Y plane is known gray (extract-l.ts), the frame is the codes of its Y values.
        if (y.gray) for (let i = 0; i < width * height; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = y.codes[planes[i]];
        else yuv420ToRgbRows(planes, width, height, y.matrix, 0, height, rgb);
      }
      return rgb;
    },
    set(v: Buffer) {
      rgb = v;
    },
  }) as RawFrame;
}

/** Frames within this many seconds of `skipBefore` count as at it (showinfo prints microseconds). */
export const PTS_TOLERANCE = 0.0005;

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.e+-]+)/;
/** showinfo's time base: pts_time has only 6 significant digits (10 ms steps past 1000 s). */
const SHOWINFO_TB = /config in time_base:\s*(\d+)\/(\d+)/;

export function decodeFrames(opts: DecodeOptions): Observable<RawFrame> {
  return new Observable<RawFrame>((subscriber) => {
    const { width, height, gate } = opts;
    const frameBytes = bytesOf(opts.yuv ? 'yuv420p' : 'rgb24', width, height);
    const label = opts.label ?? opts.input;
    const child = spawnTracked(FFMPEG, decodeArgs(opts), opts.children);
    const ptsOffset = opts.ptsOffset ?? 0;
    const skipBefore = opts.skipBefore ?? -Infinity;
    let nextIndex = opts.firstIndex ?? 0;
    const pts: number[] = [];
    const ready: RawFrame[] = [];
    const errors: string[] = [];
    const alloc = opts.buffers && opts.buffers.bytes === frameBytes ? () => opts.buffers!.take() : () => Buffer.allocUnsafe(frameBytes);
    let current = alloc();
    let filled = 0, index = 0, emitted = 0;
    let paused = false, done = false;

    const fail = (err: Error) => {
      if (done) return;
      done = true;
      killChild(child);
      subscriber.error(err);
    };
    const clock = new ShowinfoClock(pts);
    const stderr = new StderrTail(30, (line) => {
      if (clock.read(line)) flush(false);
      else if (/^\[(error|fatal|panic)\]/.test(line)) errors.push(line);
    });

    const flush = (final: boolean) => {
      while (ready.length && !done) {
        const f = ready[0];
        const known = pts[f.index];
        if (known === undefined && !final) break;
        ready.shift();
        f.pts = known !== undefined ? known - ptsOffset : opts.fps ? f.index / opts.fps : null;
        emitted++;
        if (f.pts !== null && f.pts < skipBefore - PTS_TOLERANCE) {
          // Before the resume point: decoded only to reach it.
          gate.release();
          continue;
        }
        f.index = nextIndex++;
        subscriber.next(f);
      }
    };

    const unwatch = gate.onRoom(() => {
      if (paused && !gate.full) {
        paused = false;
        child.stdout!.resume();
      }
    });

    child.stdout!.on('data', (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        chunk.copy(current, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          ready.push(opts.yuv ? yuvFrame(index++, width, height, current, opts.yuv) : { index: index++, pts: null, width, height, rgb: current });
          gate.take();
          current = alloc();
          filled = 0;
        }
      }
      flush(false);
      if (gate.full && !paused) {
        paused = true;
        child.stdout!.pause();
      }
    });
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (err) => fail(new ChromaError(opts.errorKind ?? 'input', `${label}: cannot start ffmpeg (${err.message})`)));
    child.on('close', (code, signal) => {
      stderr.end();
      if (done) return;
      const err = decoderExitError(opts, { code, signal, pid: child.pid, frames: index, partial: filled !== 0, errors, stderr });
      if (err) return fail(err);
      flush(true);
      if (!done) {
        done = true;
        subscriber.complete();
      }
    });

    return () => {
      unwatch();
      if (!done) {
        done = true;
        killChild(child);
      }
      // Frames decoded but never emitted still hold gate slots.
      gate.release(index - emitted);
    };
  });
}

/** ffmpeg's command line: the source's frames as raw RGB (or yuv420p) on stdout, showinfo's timestamps on stderr. */
function decodeArgs(opts: DecodeOptions): string[] {
  // checksum=0: only the timestamps are wanted, not showinfo's per-frame Adler-32 of every plane.
  const filters = [...(opts.filters ?? []), 'showinfo=checksum=0'];
  return [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'level+info',
    ...(opts.inputArgs ?? []),
    '-i', opts.input,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    '-vsync', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', opts.yuv ? 'yuv420p' : 'rgb24', 'pipe:1',
  ];
}

/** Reads showinfo's lines into a frame number -> presentation time table. */
class ShowinfoClock {
  private timeBase: [number, number] | null = null;
  // ffmpeg rebuilds the filter graph when the stream changes size mid-way, and showinfo counts
  // from 0 again: keep numbering on from the frames already seen.
  private nBase = 0;
  private lastN = -1;
  constructor(private readonly pts: number[]) {}

  /** True when the line gave a frame its time. */
  read(line: string): boolean {
    const m = SHOWINFO.exec(line);
    if (m) {
      let n = Number(m[1]);
      if (n < this.lastN) this.nBase += this.lastN + 1;
      this.lastN = n;
      n += this.nBase;
      this.pts[n] = this.timeBase ? (Number(m[2]) * this.timeBase[0]) / this.timeBase[1] : Number(m[3]);
      return true;
    }
    const tb = SHOWINFO_TB.exec(line);
    if (tb && Number(tb[1]) > 0 && Number(tb[2]) > 0) this.timeBase = [Number(tb[1]), Number(tb[2])];
    return false;
  }
}

/** Why the decoder's exit ends the stream in error, or null when it ended well. */
function decoderExitError(
  opts: DecodeOptions,
  end: { code: number | null; signal: NodeJS.Signals | null; pid: number | undefined; frames: number; partial: boolean; errors: string[]; stderr: StderrTail },
): ChromaError | null {
  const label = opts.label ?? opts.input;
  const kind = opts.errorKind ?? 'input';
  const at = end.frames;
  if (end.signal) {
    // Someone else stopped the decoder (OOM killer, kill -9): not the input's fault.
    return new ChromaError('internal', `${label}: the decoder (ffmpeg pid ${end.pid}) was killed by ${describeSignal(end.signal)} after ${at} frame(s)`);
  }
  if (end.code !== 0) {
    const missing = /Decoder \((?:codec )?([\w-]+)\) not found/.exec(end.stderr.all().join('\n'));
    if (missing) {
      return new ChromaError(kind, `${label}: unsupported video codec${opts.codecName ? ` (${opts.codecName})` : ''}: the bundled ffmpeg has no decoder for it`);
    }
    return new ChromaError(kind, `${label}: decoding failed at frame ${at}: ${end.stderr.summary() || `ffmpeg exited with code ${end.code}`}`);
  }
  if (end.partial) return inputError(`${label}: truncated frame data after frame ${at}`);
  if (at === 0) return new ChromaError(kind, `${label}: no frames could be decoded${end.errors.length ? ` (${end.stderr.summary()})` : ''}`);
  const expected = opts.expectedFrames ?? 0;
  // A file that decodes with errors and ends early is damaged; say where it stopped.
  if (end.errors.length && expected > 0 && at < expected * 0.98) {
    return inputError(`${label}: corrupt or truncated: decoding failed at frame ${at} of ${expected} (${end.stderr.summary()})`);
  }
  return null;
}
