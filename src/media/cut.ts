// Cutting a film's video into keyframe-aligned pieces without re-encoding (the units of work of a
// queued run), and the presentation times of a file's video packets, read without decoding.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FFMPEG, FFPROBE, FFPROBE_ENV } from './ffmpeg-paths.js';
import { inputError } from '../core/errors.js';

const run = promisify(execFile);

/**
 * Stream-copies the first video stream of `input` into `dir/piece-000000.nut`, ... Each piece starts
 * at the first keyframe at or after a multiple of `seconds`, so it decodes on its own. NUT keeps the
 * source's time base exactly; the source's timestamps are kept (-copyts), up to a constant shift the
 * muxer may apply to a piece (measured afterwards, see pieceShift).
 */
export async function cutAtKeyframes(input: string, dir: string, seconds: number, label = input): Promise<string[]> {
  try {
    await run(FFMPEG, [
      '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error', '-copyts', '-i', input,
      '-map', '0:v:0', '-c', 'copy', '-an', '-sn', '-dn', '-map_metadata', '-1',
      '-avoid_negative_ts', 'disabled',
      '-f', 'segment', '-segment_time', String(seconds), '-segment_format', 'nut', '-reset_timestamps', '0',
      join(dir, 'piece-%06d.nut'),
    ], { maxBuffer: 16 << 20 });
  } catch (err) {
    const why = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').pop();
    throw inputError(`${label}: cannot cut the video into segments (${why})`);
  }
  return (await readdir(dir)).filter((f) => /^piece-\d{6}\.nut$/.test(f)).sort().map((f) => join(dir, f));
}

/**
 * Presentation times (s) of the first video stream's packets in display order: one a frame for
 * every codec where a packet holds one frame (all the usual ones).
 */
export async function packetTimes(path: string, label = path): Promise<number[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(FFPROBE, [
      '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=time_base:packet=pts', '-of', 'json', path,
    ], { maxBuffer: 256 << 20, env: FFPROBE_ENV }));
  } catch (err) {
    throw inputError(`${label}: cannot read its packets (${String((err as { stderr?: string }).stderr ?? '').trim().split('\n').pop()})`);
  }
  const data = JSON.parse(stdout) as { streams?: { time_base?: string }[]; packets?: { pts?: number }[] };
  const [num, den] = (data.streams?.[0]?.time_base ?? '1/1').split('/').map(Number);
  return (data.packets ?? []).filter((p) => typeof p.pts === 'number').map((p) => (p.pts! * num) / den).sort((a, b) => a - b);
}
