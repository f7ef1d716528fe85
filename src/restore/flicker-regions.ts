// Regional flicker: one part of the frame breathes (uneven exposure or processing), which the
// whole-frame correction cannot see. The frame is cut into a coarse grid; each cell's mean and
// spread are kept standardised by the whole frame's (so the global correction and any real change
// of the whole frame cancel out), and compared with a reference smoothed over time (the flicker
// stage's trend over the window). The differences are fitted with a smooth surface (quadratic in
// x and y) before anything is corrected: flicker in a region is smooth over the frame, while a
// thing moving through one or two cells is not, so the correction is scaled by how much of the
// differences the surface explains and a moving scene passes untouched. The surface is applied
// per pixel as a gain about the local mean and an offset.
import { shrink } from './flicker.js';

/** Terms of the surface: 1, x, y, x², xy, y². */
const TERMS = 6;
/** Share of the differences the surface must explain before any of it is corrected, and for all of it. */
const EXPLAINED_FROM = 0.5, EXPLAINED_FULL = 0.8;

/** The grid for a frame: `cols` across, rows in proportion (at least 2). */
export function regionGrid(w: number, h: number, cols: number): { cols: number; rows: number } {
  return { cols, rows: Math.max(2, Math.round((cols * h) / w)) };
}

/**
 * Each cell's mean and spread standardised by the frame's (mean - frameMean) / frameStd and
 * std / frameStd, over every second pixel of every second row, into `z` and `r` (cols * rows).
 */
export function regionStats(L: Float32Array, w: number, h: number, cols: number, rows: number, frameMean: number, frameStd: number, z: Float64Array, r: Float64Array): void {
  const n = cols * rows;
  const s1 = new Float64Array(n), s2 = new Float64Array(n), c = new Float64Array(n);
  for (let y = 0; y < h; y += 2) {
    const cy = Math.min(rows - 1, ((y * rows) / h) | 0) * cols, row = y * w;
    for (let x = 0; x < w; x += 2) {
      const k = cy + Math.min(cols - 1, ((x * cols) / w) | 0), v = L[row + x];
      s1[k] += v;
      s2[k] += v * v;
      c[k]++;
    }
  }
  for (let k = 0; k < n; k++) {
    const m = s1[k] / Math.max(1, c[k]);
    z[k] = (m - frameMean) / frameStd;
    r[k] = Math.sqrt(Math.max(1e-6, s2[k] / Math.max(1, c[k]) - m * m)) / frameStd;
  }
}

/** Least-squares quadratic surface through values v at the cells' centres; returns its values at the centres in `out` and the share of sum(v²) it explains. */
function fitSurface(v: Float64Array, cols: number, rows: number, out: Float64Array): number {
  const A = new Float64Array(TERMS * TERMS), b = new Float64Array(TERMS), t = new Float64Array(TERMS);
  const terms = (k: number) => {
    const x = ((k % cols) + 0.5) / cols - 0.5, y = (((k / cols) | 0) + 0.5) / rows - 0.5;
    t[0] = 1; t[1] = x; t[2] = y; t[3] = x * x; t[4] = x * y; t[5] = y * y;
  };
  const n = cols * rows;
  let total = 0;
  for (let k = 0; k < n; k++) {
    terms(k);
    for (let i = 0; i < TERMS; i++) {
      b[i] += t[i] * v[k];
      for (let j = 0; j < TERMS; j++) A[i * TERMS + j] += t[i] * t[j];
    }
    total += v[k] * v[k];
  }
  const coef = solve(A, b);
  let residual = 0;
  for (let k = 0; k < n; k++) {
    terms(k);
    let s = 0;
    for (let i = 0; i < TERMS; i++) s += coef[i] * t[i];
    out[k] = s;
    residual += (v[k] - s) ** 2;
  }
  return total > 0 ? 1 - residual / total : 0;
}

/** Solves A x = b (TERMS x TERMS) by Gaussian elimination with partial pivoting; a singular system gives 0s. */
function solve(A: Float64Array, b: Float64Array): Float64Array {
  const n = TERMS, x = new Float64Array(n);
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r * n + col]) > Math.abs(A[p * n + col])) p = r;
    if (Math.abs(A[p * n + col]) < 1e-12) return x;
    for (let j = 0; j < n; j++) [A[col * n + j], A[p * n + j]] = [A[p * n + j], A[col * n + j]];
    [b[col], b[p]] = [b[p], b[col]];
    for (let r = col + 1; r < n; r++) {
      const f = A[r * n + col] / A[col * n + col];
      for (let j = col; j < n; j++) A[r * n + j] -= f * A[col * n + j];
      b[r] -= f * b[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < n; j++) s -= A[r * n + j] * x[j];
    x[r] = s / A[r * n + r];
  }
  return x;
}

/** How much of the differences a smooth surface explains, as a weight 0..1. */
function confidence(explained: number): number {
  return Math.max(0, Math.min(1, (explained - EXPLAINED_FROM) / (EXPLAINED_FULL - EXPLAINED_FROM)));
}

export interface RegionCorrection {
  /** Largest offset applied at a cell centre (L units); 0 when the frame passed untouched. */
  offset: number;
  /** Weight given to the surface (0..1): the share of the differences it explained, rescaled. */
  confidence: number;
}

/**
 * Corrects L (in place) from its cells' standardised statistics (z, r) towards the reference's
 * (zRef, rRef), for a frame whose whole-frame mean and spread are now `mean` and `std`.
 * Offsets within `tolerance` L units of zero, and gains within tolerance / std of 1, are left.
 */
export function correctRegions(
  L: Float32Array, w: number, h: number, cols: number, rows: number,
  z: Float64Array, r: Float64Array, zRef: Float64Array, rRef: Float64Array,
  mean: number, std: number, tolerance: number,
): RegionCorrection {
  const n = cols * rows;
  const dOff = new Float64Array(n), dGain = new Float64Array(n), off = new Float64Array(n), gain = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    dOff[k] = (zRef[k] - z[k]) * std;
    dGain[k] = rRef[k] / r[k] - 1;
  }
  // The means decide whether the differences are a region breathing: spreads measured on a few
  // cells of texture are too noisy to tell, and a moving thing shifts a cell's mean first.
  const kOff = confidence(fitSurface(dOff, cols, rows, off));
  fitSurface(dGain, cols, rows, gain);
  const kGain = kOff;
  let largest = 0, any = false;
  const gTol = tolerance / Math.max(1, std);
  const cellMean = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    off[k] = shrink(kOff * off[k], tolerance);
    gain[k] = shrink(kGain * gain[k], gTol);
    cellMean[k] = mean + z[k] * std;
    if (off[k] !== 0 || gain[k] !== 0) any = true;
    largest = Math.max(largest, Math.abs(off[k]));
  }
  if (!any) return { offset: 0, confidence: Math.min(kOff, kGain) };
  // Bilinear between cell centres: a smooth field, no seams at the cells' borders.
  for (let y = 0; y < h; y++) {
    let fy = ((y + 0.5) * rows) / h - 0.5;
    fy = fy < 0 ? 0 : fy > rows - 1 ? rows - 1 : fy;
    const y0 = fy | 0, y1 = Math.min(rows - 1, y0 + 1), ty = fy - y0;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let fx = ((x + 0.5) * cols) / w - 0.5;
      fx = fx < 0 ? 0 : fx > cols - 1 ? cols - 1 : fx;
      const x0 = fx | 0, x1 = Math.min(cols - 1, x0 + 1), tx = fx - x0;
      const k00 = y0 * cols + x0, k01 = y0 * cols + x1, k10 = y1 * cols + x0, k11 = y1 * cols + x1;
      const w00 = (1 - tx) * (1 - ty), w01 = tx * (1 - ty), w10 = (1 - tx) * ty, w11 = tx * ty;
      const o = w00 * off[k00] + w01 * off[k01] + w10 * off[k10] + w11 * off[k11];
      const g = w00 * gain[k00] + w01 * gain[k01] + w10 * gain[k10] + w11 * gain[k11];
      const m = w00 * cellMean[k00] + w01 * cellMean[k01] + w10 * cellMean[k10] + w11 * cellMean[k11];
      const v = L[row + x] + o + g * (L[row + x] - m);
      L[row + x] = v < 0 ? 0 : v > 100 ? 100 : v;
    }
  }
  return { offset: largest, confidence: Math.min(kOff, kGain) };
}

