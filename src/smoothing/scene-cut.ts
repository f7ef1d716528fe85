// Scene cuts: the total-variation distance between the mean-centred L histograms of consecutive
// frames. Centring means a global exposure change (old film flicker) is not a cut.

export const HIST_BINS = 32;

/**
 * Normalised 32-bin histogram of L - mean(L) + 50 into `out` (centred, so a global exposure change
 * is not a cut; a change of content is); returns the mean L.
 */
export function histogram(L: Float32Array, n: number, out: Float64Array): number {
  out.fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += L[i];
  const mean = sum / n;
  const k = HIST_BINS / 100, shift = 50 - mean;
  for (let i = 0; i < n; i++) {
    let b = ((L[i] + shift) * k) | 0;
    b = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
    out[b]++;
  }
  const inv = 1 / n;
  for (let b = 0; b < HIST_BINS; b++) out[b] *= inv;
  return mean;
}

/** Total-variation distance of two normalised histograms: 0 (same) .. 1 (disjoint). */
export function tvDistance(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let b = 0; b < p.length; b++) d += Math.abs(p[b] - q[b]);
  return 0.5 * d;
}
