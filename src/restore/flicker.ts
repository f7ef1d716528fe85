// Flicker: the exposure of old film varies from frame to frame (gain and offset of the whole
// picture). Each frame's mean and spread of L are measured and mapped onto a reference that is
// smoothed over neighbouring frames of the same shot, so slow real changes (a pan into shadow)
// pass and the frame-to-frame jumps do not.
//
// Shots are told apart by the histogram of L after removing the frame's own mean and spread, which
// a pure gain/offset change (flicker) leaves alone and a cut does not.

/** Bins of the standardised histogram used to tell shots apart. */
export const SHOT_BINS = 32;
/** Total-variation distance between standardised histograms above which a frame starts a new shot. */
export const SHOT_CUT_DISTANCE = 0.3;

export interface LumaStats {
  mean: number;
  std: number;
}

/**
 * Mean and standard deviation of L over every `step`-th pixel of every `step`-th row, and the
 * standardised histogram ((L - mean) / std over -3..3 in SHOT_BINS bins, shares summing to 1)
 * into `hist`.
 */
export function lumaStats(L: Float32Array, w: number, h: number, hist: Float64Array, step = 2): LumaStats {
  let s = 0, s2 = 0, count = 0;
  for (let y = 0; y < h; y += step) {
    const r = y * w;
    for (let x = 0; x < w; x += step) {
      const v = L[r + x];
      s += v;
      s2 += v * v;
    }
    count += Math.ceil(w / step);
  }
  const mean = s / count;
  const std = Math.sqrt(Math.max(1e-6, s2 / count - mean * mean));
  hist.fill(0);
  const scale = SHOT_BINS / 6 / std;
  for (let y = 0; y < h; y += step) {
    const r = y * w;
    for (let x = 0; x < w; x += step) {
      let b = Math.floor((L[r + x] - mean) * scale + SHOT_BINS / 2);
      if (b < 0) b = 0;
      else if (b >= SHOT_BINS) b = SHOT_BINS - 1;
      hist[b]++;
    }
  }
  for (let b = 0; b < SHOT_BINS; b++) hist[b] /= count;
  return { mean, std };
}

/** Total-variation distance (0..1) between two histograms of shares. */
export function histogramDistance(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) d += Math.abs(p[i] - q[i]);
  return d / 2;
}

/** `d` moved towards 0 by `tolerance` (0 within it). */
export function shrink(d: number, tolerance: number): number {
  return d > tolerance ? d - tolerance : d < -tolerance ? d + tolerance : 0;
}

/**
 * Maps L (in place, n pixels) from its own mean and spread towards the reference's:
 * L' = (L - mean) * g + mean + shift, where the reference's mean and spread are first moved
 * towards the frame's own by `tolerance` L units (differences that small are the scene's own
 * change, a pan or a head turning: clean film passes untouched), g = std' / std clamped to
 * [1 / maxGain, maxGain], and L' clamped to 0..100. Returns the frame's mean and spread after
 * the mapping (before the clamp).
 */
export function matchExposure(L: Float32Array, n: number, own: LumaStats, ref: LumaStats, maxGain: number, tolerance = 0): LumaStats {
  const refStd = own.std + shrink(ref.std - own.std, tolerance);
  const refMean = own.mean + shrink(ref.mean - own.mean, tolerance);
  if (refStd === own.std && refMean === own.mean) return own;
  let g = refStd / own.std;
  if (g > maxGain) g = maxGain;
  else if (g < 1 / maxGain) g = 1 / maxGain;
  const off = refMean - own.mean * g;
  for (let i = 0; i < n; i++) {
    const v = L[i] * g + off;
    L[i] = v < 0 ? 0 : v > 100 ? 100 : v;
  }
  return { mean: refMean, std: g * own.std };
}
