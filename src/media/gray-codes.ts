// The rgb24 code ffmpeg's own yuv420p -> rgb24 conversion gives each luma value of a pixel with
// neutral chroma (Cb = Cr = 128), asked of the ffmpeg in use once per process. A gray source
// decoded as yuv420p then has exactly the codes (and so the L*) the rgb24 decoder gave it: the
// conversion is swscale's fixed-point arithmetic, not a formula worth copying (Y 28 gives 13, not
// the 14 that (Y - 16) x 255 / 219 rounds to), and it may differ between ffmpeg builds.
import { spawn } from 'node:child_process';
import { FFMPEG } from './ffmpeg-paths.js';

/** The ramp: every luma value at several places in wide and narrow rows, so SIMD and scalar paths both show. */
const WIDTH = 1030, HEIGHT = 4;

let cached: Promise<Uint8Array | null> | null = null;

/** Y -> rgb24 code for neutral-chroma tv-range yuv420p, or null when ffmpeg's answer is not one gray code per Y. */
export function yuvGrayCodes(): Promise<Uint8Array | null> {
  cached ??= ask().catch(() => null);
  return cached;
}

function ask(): Promise<Uint8Array | null> {
  const frame = Buffer.alloc(WIDTH * HEIGHT * 3 / 2, 128);
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) frame[y * WIDTH + x] = (x + 37 * y) % 256;
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, [
      '-nostdin', '-hide_banner', '-loglevel', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${WIDTH}x${HEIGHT}`, '-i', '-',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
    ], { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      const rgb = Buffer.concat(chunks);
      if (code !== 0 || rgb.length !== WIDTH * HEIGHT * 3) return resolve(null);
      const table = new Int16Array(256).fill(-1);
      for (let i = 0; i < WIDTH * HEIGHT; i++) {
        const r = rgb[3 * i], Y = frame[i];
        if (rgb[3 * i + 1] !== r || rgb[3 * i + 2] !== r || (table[Y] >= 0 && table[Y] !== r)) return resolve(null);
        table[Y] = r;
      }
      resolve(Uint8Array.from(table));
    });
    child.stdin.end(frame);
  });
}
