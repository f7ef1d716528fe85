// "Colour this film like this photograph", the cheapest way that works with any logits model and no
// extra network: tilt every pixel's 313-bin distribution towards the colours of the photograph
// before the annealed mean, log p' = log p + alpha * (log h_ref - log h_prior). h_ref is the
// photograph's ab histogram over the bins, smoothed as the training prior was (nearest bin, then a
// Gaussian of sigma 5 over the bin centres), and h_prior the prior the model learnt its
// distributions under: colours the photograph has more of than the training set gain, colours it
// lacks lose. Adding the tilt to the logits is the same as adding it to log p (the softmax
// normalises), so the annealed mean's 1/T then sharpens the tilted distribution as usual.
import { AB_BINS_313, Q } from '../color/ab-bins.js';
import { srgbToLab } from '../color/lab.js';
import { abClass } from '../metrics/accuracy.js';

/** Default Gaussian width of the histogram smoothing, in ab units (training/common.py smooth_prior). */
export const HISTOGRAM_SIGMA = 5;
/**
 * Smallest probability a bin is given before taking logs (default of `floor` below): keeps bins the
 * photograph never shows at a finite, bounded penalty instead of -Infinity.
 */
export const DEFAULT_FLOOR = 1e-4;

/** Reference colours: interleaved [a0, b0, a1, b1, ...], or separate a and b planes (e.g. of a Lab image). */
export type AbSamples = Float32Array | { a: ArrayLike<number>; b: ArrayLike<number> };

/**
 * Smooth a 313-bin histogram with a Gaussian over the bin centres and normalise it to sum 1
 * (training's smooth_prior). Use it on a raw prior before {@link referenceTilt}, too.
 * @param sigma Gaussian width in ab units (default 5).
 */
export function smoothHistogram(hist: ArrayLike<number>, sigma: number = HISTOGRAM_SIGMA, out: Float64Array = new Float64Array(Q)): Float64Array {
  if (hist.length !== Q) throw new RangeError(`a histogram has ${Q} bins, got ${hist.length}`);
  const k = -1 / (2 * sigma * sigma);
  let total = 0;
  for (let i = 0; i < Q; i++) {
    const ai = AB_BINS_313[2 * i], bi = AB_BINS_313[2 * i + 1];
    let s = 0;
    for (let j = 0; j < Q; j++) {
      const hj = hist[j];
      if (hj === 0) continue;
      const da = ai - AB_BINS_313[2 * j], db = bi - AB_BINS_313[2 * j + 1];
      s += Math.exp((da * da + db * db) * k) * hj;
    }
    out[i] = s;
    total += s;
  }
  if (total > 0) for (let i = 0; i < Q; i++) out[i] /= total;
  return out;
}

/** The reference's smoothed 313-bin histogram (sums to 1) of its ab samples. */
export function referenceHistogram(samples: AbSamples, sigma: number = HISTOGRAM_SIGMA): Float64Array {
  // Nearest bin as the accuracy metric and training assign it: a, b rounded, clamped to -128..127.
  const counts = new Float64Array(Q);
  if (samples instanceof Float32Array) {
    for (let i = 0; i + 1 < samples.length; i += 2) counts[abClass(samples[i], samples[i + 1])]++;
  } else {
    const { a, b } = samples;
    if (a.length !== b.length) throw new RangeError(`a and b planes differ in length (${a.length}, ${b.length})`);
    for (let i = 0; i < a.length; i++) counts[abClass(a[i], b[i])]++;
  }
  return smoothHistogram(counts, sigma);
}

/**
 * The smoothed histogram of a decoded photograph (packed rgb24, `pixels` pixels), each pixel taken
 * to Lab with the project's exact D65 conversion. It runs once per job, not per frame; decode the
 * photograph at a modest size (a megapixel is plenty for 313 bins).
 */
export function referenceHistogramFromRgb(rgb: Uint8Array, pixels: number, sigma: number = HISTOGRAM_SIGMA): Float64Array {
  if (rgb.length < 3 * pixels) throw new RangeError(`rgb24 of ${pixels} pixels needs ${3 * pixels} bytes, got ${rgb.length}`);
  const ab = new Float32Array(2 * pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    const [, a, b] = srgbToLab(rgb[p], rgb[p + 1], rgb[p + 2]);
    ab[2 * i] = a;
    ab[2 * i + 1] = b;
  }
  return referenceHistogram(ab, sigma);
}

export interface TiltOptions {
  /** alpha, how far to tilt: 0 (no change) .. 1 (the full log ratio). Default 0.7. */
  strength?: number;
  /** Each probability is raised to at least this before its log (default 1e-4, see DEFAULT_FLOOR). */
  floor?: number;
}

/**
 * The additive tilt per bin, alpha * (log h_ref - log h_prior), both histograms normalised to sum 1
 * and floored first. `prior` is the smoothed training prior (313 values; see smoothHistogram).
 */
export function referenceTilt(reference: ArrayLike<number>, prior: ArrayLike<number>, options: TiltOptions = {}, out: Float32Array = new Float32Array(Q)): Float32Array {
  if (reference.length !== Q || prior.length !== Q) throw new RangeError(`reference and prior need ${Q} bins, got ${reference.length} and ${prior.length}`);
  const strength = options.strength ?? 0.7, floor = options.floor ?? DEFAULT_FLOOR;
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength must be 0..1, got ${strength}`);
  if (!(floor > 0 && floor < 1 / Q)) throw new RangeError(`floor must be in (0, 1/${Q}), got ${floor}`);
  let sr = 0, sp = 0;
  for (let i = 0; i < Q; i++) {
    sr += reference[i];
    sp += prior[i];
  }
  if (!(sr > 0 && sp > 0)) throw new RangeError('reference and prior must each have some mass');
  for (let i = 0; i < Q; i++) {
    out[i] = strength * (Math.log(Math.max(reference[i] / sr, floor)) - Math.log(Math.max(prior[i] / sp, floor)));
  }
  return out;
}

/** Add `tilt` (313) to every pixel's logits in place; logits are N x 313 x hw (NCHW, hw = h*w). */
export function applyTilt(logits: Float32Array, batch: number, hw: number, tilt: ArrayLike<number>): void {
  if (tilt.length !== Q) throw new RangeError(`tilt needs ${Q} bins, got ${tilt.length}`);
  if (logits.length < batch * Q * hw) throw new RangeError(`logits need ${batch * Q * hw} values, got ${logits.length}`);
  for (let n = 0; n < batch; n++) {
    for (let k = 0; k < Q; k++) {
      const t = tilt[k], start = (n * Q + k) * hw, end = start + hw;
      if (t === 0) continue;
      for (let p = start; p < end; p++) logits[p] += t;
    }
  }
}
