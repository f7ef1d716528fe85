// Films cut from the development clips with real ffmpeg: pieces of real footage (a clip from a
// time, for a while, moved a few pixels) joined into one film at one size, so a test can know
// which shots show one camera setup.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FFMPEG } from '../../src/media/ffmpeg-paths.js';

/** The development clips (colour; bw/ holds real B&W archival film). */
export const CLIPS = '/work/shared/data/videos';
/** A skip reason for node:test when the clips are not on this machine, else false. */
export const NO_CLIPS: string | false = existsSync(join(CLIPS, 'sam2_dog.mp4')) ? false : `the development clips are not in ${CLIPS}`;

export interface Piece {
  /** Clip path relative to CLIPS. */
  clip: string;
  /** Start in the clip, seconds. */
  at: number;
  seconds: number;
  /** The camera moved by (dx, dy) pixels of the film: the picture is shifted the other way. Default 0, 0. */
  move?: [number, number];
}

/** The film's size: every piece is scaled to it (after a small zoom that leaves room to move). */
export const FILM = { width: 320, height: 180, fps: 25, margin: 8 } as const;

/** Join `pieces` into `out` (H.264, gray, FILM's size and rate); returns each piece's first frame and frame count. */
export function buildFilm(out: string, pieces: readonly Piece[], o: { gray?: boolean } = {}): { start: number; frames: number }[] {
  const { width: w, height: h, fps, margin: m } = FILM;
  const parts = pieces.map((p, i) => {
    const file = `${out}.part${i}.mp4`;
    const [dx, dy] = p.move ?? [0, 0];
    const vf = `scale=${w + 2 * m}:${h + 2 * m},setsar=1,crop=${w}:${h}:${m + dx}:${m + dy},fps=${fps}${o.gray === false ? '' : ',format=gray'}`;
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-ss', String(p.at), '-t', String(p.seconds), '-i', join(CLIPS, p.clip), '-vf', vf, '-an',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-pix_fmt', 'yuv420p', file]);
    return file;
  });
  const list = `${out}.txt`;
  writeFileSync(list, parts.map((f) => `file '${f}'\n`).join(''));
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', out]);
  let start = 0;
  return pieces.map((p) => {
    const frames = Math.round(p.seconds * fps);
    const r = { start, frames };
    start += frames;
    return r;
  });
}

/** A plain gray box `w` x `h` at row `y` crossing `src` left to right, its left edge at x0 + speed * n on frame n (ffmpeg overlay). */
export function withOccluder(src: string, out: string, o: { w: number; h: number; y: number; x0: number; speed: number; gray?: number }): string {
  const g = (o.gray ?? 128).toString(16).padStart(2, '0');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', src, '-filter_complex',
    `color=c=0x${g}${g}${g}:s=${o.w}x${o.h}[box];[0:v][box]overlay=x='${o.x0}+${o.speed}*n':y=${o.y}:shortest=1,format=gray`,
    '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-pix_fmt', 'yuv420p', out]);
  return out;
}
