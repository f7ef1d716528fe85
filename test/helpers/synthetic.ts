// Deterministic random numbers and smooth textures for synthetic test frames.

import { seededRandom } from '../../src/core/random.js';

/** A seeded uniform generator in [0, 1) (mulberry32). */
export const rng = seededRandom;

/** A standard normal sample (Box-Muller) from a uniform generator. */
export const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

function lattice(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix, 374761393) ^ Math.imul(iy, 668265263) ^ Math.imul(seed, 2246822519);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1]: a texture that optical flow can follow. */
export function valueNoise(x: number, y: number, seed: number): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const a = lattice(x0, y0, seed), b = lattice(x0 + 1, y0, seed), c = lattice(x0, y0 + 1, seed), d = lattice(x0 + 1, y0 + 1, seed);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

/**
 * Value noise over four octaves (periods 24, 11, 5 and 2.3 px) in [0, 1]: texture at every scale,
 * as natural images have, so that coarse pyramid levels have something to follow too.
 */
export function fractalNoise(x: number, y: number, seed: number): number {
  return 0.3 * valueNoise(x / 24, y / 24, seed) + 0.3 * valueNoise(x / 11, y / 11, seed + 1)
    + 0.25 * valueNoise(x / 5, y / 5, seed + 2) + 0.15 * valueNoise(x / 2.3, y / 2.3, seed + 3);
}

/**
 * Frame `t` of a clean moving scene as CIE L (w x h): a textured background panning (1.2, 0.5) px
 * a frame and a brighter textured disc crossing it at 2.5 px a frame, L within about 20..85.
 */
export function movingScene(w: number, h: number, t: number, seed = 7): Float32Array {
  const L = new Float32Array(w * h);
  const cx = w * 0.2 + 2.5 * t, cy = h * 0.5, r = Math.min(w, h) * 0.18;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const bx = x + 1.2 * t, by = y + 0.5 * t;
      let v = 30 + 30 * valueNoise(bx / 9, by / 9, seed) + 10 * valueNoise(bx / 3, by / 3, seed + 1);
      const dx = x - cx, dy = y - cy;
      if (dx * dx + dy * dy < r * r) v = 60 + 20 * valueNoise((x - 2.5 * t) / 4, y / 4, seed + 2);
      L[y * w + x] = v;
    }
  }
  return L;
}
