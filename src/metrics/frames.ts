// Frames for the metrics: one ffmpeg child per video decodes (and optionally area-downscales) the
// first video stream to rgb24, read as an async iterator. Reading is pulled: ffmpeg blocks on the
// pipe while the consumer works, so at most two frames (the current and the previous) are held.
import { FFMPEG } from '../media/ffmpeg-paths.js';
import { spawnTracked, killChild, StderrTail } from '../media/child.js';
import { inputError } from '../core/errors.js';

export interface FrameReaderOptions {
  /** Output size: the frames are scaled to exactly this (area filter) unless it is the source size. */
  width: number;
  height: number;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** Used in messages (default: the path). */
  label?: string;
}

/** The size the metrics run at: the source scaled so its long side is at most `longSide` (even numbers); 0 keeps the source size. */
export function metricSize(width: number, height: number, longSide: number): { width: number; height: number } {
  if (!longSide || Math.max(width, height) <= longSide) return { width, height };
  const s = longSide / Math.max(width, height);
  const even = (v: number) => Math.max(2, Math.round(v / 2) * 2);
  return { width: even(width * s), height: even(height * s) };
}

/**
 * Decoded frames of `path` as packed rgb24 buffers of width * height * 3 bytes. Two buffers
 * alternate: a yielded buffer stays valid until the iterator is advanced twice, so the consumer can
 * keep the previous frame without copying it.
 */
export async function* readRgbFrames(path: string, opts: FrameReaderOptions): AsyncGenerator<Buffer> {
  const { width, height } = opts;
  const label = opts.label ?? path;
  const frameBytes = width * height * 3;
  const args = [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error',
    '-i', path,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `scale=${width}:${height}:flags=area`,
    '-vsync', 'passthrough',
    ...(opts.maxFrames ? ['-frames:v', String(opts.maxFrames)] : []),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  const child = spawnTracked(FFMPEG, args);
  const stderr = new StderrTail(20);
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const closed = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  const bufs = [Buffer.allocUnsafe(frameBytes), Buffer.allocUnsafe(frameBytes)];
  let which = 0;
  let filled = 0;
  let count = 0;
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const cur = bufs[which];
        const n = Math.min(frameBytes - filled, chunk.length - off);
        chunk.copy(cur, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          filled = 0;
          which ^= 1;
          count++;
          yield cur;
        }
      }
    }
    const { code, error } = await closed;
    stderr.end();
    if (error) throw inputError(`${label}: cannot start ffmpeg (${error.message})`);
    if (code !== 0) throw inputError(`${label}: decoding failed after ${count} frames: ${stderr.summary() || `ffmpeg exited with code ${code}`}`);
    if (count === 0) throw inputError(`${label}: no frames could be decoded`);
  } finally {
    killChild(child);
  }
}
