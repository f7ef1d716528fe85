// The model's own colours at one pixel, for a person choosing a hint's colour (as the SIGGRAPH17
// demo offers): the modes of the 313-bin distribution there, not its mean, since the mean of a
// "red or blue" pixel is a gray nobody wants.
import { AB_BINS_313, Q } from '../color/ab-bins.js';
import { labToSrgb } from '../color/lab.js';

/** One of the model's own colours at a pixel: a mode of its distribution there. */
export interface Suggestion {
  /** sRGB hex at the pixel's lightness. */
  color: string;
  ab: [number, number];
  /** Probability mass of the bins around it (softmax at temperature 1). */
  p: number;
}

function hex2(v: number): string {
  return Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0');
}

/** sRGB hex of a Lab colour (clipped to the gamut). */
export function labHex(L: number, a: number, b: number): string {
  const [r, g, bl] = labToSrgb(L, a, b);
  return `#${hex2(r)}${hex2(g)}${hex2(bl)}`;
}

/**
 * Up to `count` modes of pixel `index`'s distribution in planar logits (bin q at q * plane + index),
 * most likely first: bins at least `spread` ab apart, each with the mass of the bins within
 * spread / 2 + 5 of it; shown at lightness `L`.
 */
export function topColours(logits: Float32Array, plane: number, index: number, L: number, count = 6, spread = 18): Suggestion[] {
  const p = new Float64Array(Q);
  let max = -Infinity;
  for (let q = 0; q < Q; q++) max = Math.max(max, logits[q * plane + index]);
  let sum = 0;
  for (let q = 0; q < Q; q++) sum += p[q] = Math.exp(logits[q * plane + index] - max);
  const order = Array.from({ length: Q }, (_, q) => q).sort((a, b) => p[b] - p[a]);
  const picked: Suggestion[] = [];
  for (const q of order) {
    if (picked.length >= count) break;
    const a = AB_BINS_313[2 * q], b = AB_BINS_313[2 * q + 1];
    if (picked.some((s) => Math.hypot(s.ab[0] - a, s.ab[1] - b) < spread)) continue;
    let mass = 0;
    for (let r = 0; r < Q; r++) if (Math.hypot(AB_BINS_313[2 * r] - a, AB_BINS_313[2 * r + 1] - b) < spread / 2 + 5) mass += p[r];
    picked.push({ color: labHex(L, a, b), ab: [a, b], p: mass / sum });
  }
  return picked;
}
