// Test clips made on the spot from ffmpeg's lavfi sources: testsrc2 converted to gray (a
// black-and-white film stand-in) with a sine-wave AAC track, H.264 at a high quality so decoding
// costs what a real source would. The colour clip is the same pattern at the same size, rate and
// settings left in colour: what the colour transcode baseline encodes (a colour picture costs x264
// about twice what its gray version does, and a colorized film is a colour picture).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FFMPEG } from '../../src/media/ffmpeg-paths.js';

const run = promisify(execFile);

export interface ClipSpec {
  label: string;
  width: number;
  height: number;
  seconds: number;
  fps: number;
}

/** "640x480" -> 480p, "1920x1080" -> 1080p, else the size itself. */
export function clipLabel(width: number, height: number): string {
  const common: Record<string, string> = { '640x480': '480p', '854x480': '480p', '1280x720': '720p', '1920x1080': '1080p', '3840x2160': '2160p' };
  return common[`${width}x${height}`] ?? `${width}x${height}`;
}

export function parseSize(s: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`bad frame size '${s}' (expected WxH, e.g. 640x480)`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Write the clip (gray, or `colour`) into `dir` (reused when already there) and return its path. */
export async function makeClip(dir: string, spec: ClipSpec, colour = false): Promise<string> {
  const path = join(dir, `testsrc2-${colour ? 'colour' : 'gray'}-${spec.width}x${spec.height}-${spec.fps}fps-${spec.seconds}s.mp4`);
  if (existsSync(path)) return path;
  await run(FFMPEG, [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}${colour ? '' : ',format=gray'}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(spec.seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-shortest',
    path,
  ], { maxBuffer: 1 << 20 });
  return path;
}
