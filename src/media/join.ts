// Joining finished video segments into one file without re-encoding (the concat demuxer,
// -c copy), with the source's audio, subtitles and metadata muxed in.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { joinArgs } from './encode-args.js';
import { spawnTracked, StderrTail, type ChildGroup } from './child.js';
import { FFMPEG } from './ffmpeg-paths.js';
import { encoderFailure } from './frame-encoder.js';
import type { MediaInfo } from './probe.js';
import { ChromaError } from '../core/errors.js';

/** A segment file (in the folder given to joinSegments) and where its first frame goes. */
export interface JoinSegment {
  file: string;
  frames: number;
  /** Output timestamp (s) of the segment's first frame. */
  encodedStart: number;
}

/** Concatenate the segments without re-encoding and mux the source's other streams in. */
export async function joinSegments(
  dir: string, segments: readonly JoinSegment[], output: string, finalName: string, info: MediaInfo, children: ChildGroup, signal?: AbortSignal,
): Promise<string[]> {
  const m = { segments };
  if (!m.segments.length) throw new ChromaError('input', `${info.path}: no frames could be decoded`);
  const list = join(dir, 'segments.txt');
  const lines: string[] = [];
  // The concat demuxer shifts each segment to start where the previous one's duration ends. Each
  // duration is the exact distance to the next segment's first frame, so variable frame rates keep
  // their timestamps.
  m.segments.forEach((s, i) => {
    lines.push(`file '${s.file}'`);
    if (i < m.segments.length - 1) lines.push(`duration ${(m.segments[i + 1].encodedStart - s.encodedStart).toFixed(6)}`);
  });
  await writeFile(list, `${lines.join('\n')}\n`);
  // The joined video starts at zero; -itsoffset puts it back where the source had it (a video that
  // starts after its audio stays in sync), as the one-pass encoder does.
  const plan = joinArgs(list, output, finalName, info, m.segments[0].encodedStart);
  await new Promise<void>((resolve, reject) => {
    const child = spawnTracked(FFMPEG, plan.args, children);
    const stderr = new StderrTail(20);
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (err) => reject(new ChromaError('internal', `cannot start ffmpeg: ${err.message}`)));
    child.on('close', (code, sig) => {
      stderr.end();
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (code === 0) return resolve();
      const total = m.segments.reduce((n, s) => n + s.frames, 0);
      reject(encoderFailure(`${finalName} (joining ${m.segments.length} segments)`, total, code, sig, stderr, child.pid));
    });
  });
  await rm(list, { force: true });
  return plan.notes;
}
