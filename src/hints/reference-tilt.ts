// "Colour this film like this photograph", the cheapest way that works with any logits model and no
// extra network: tilt every pixel's 313-bin distribution towards the colours of the photograph
// before the annealed mean, log p' = log p + tilt, one 313-vector for the whole job. The
// photograph is split into its neutral share (pixels of chroma below NEUTRAL_CHROMA) and its
// palette (the smoothed ab histogram of the other pixels, nearest bin, then a Gaussian of sigma 5
// over the bin centres, as the training prior was smoothed), and so is the training prior h_prior
// the model learnt its distributions under. Chromatic bins get alpha * ln(palette_ref /
// palette_prior), clamped to [-lack, +gain] (default [0, ln 16]): hues the photograph has more of
// than the training set gain a bounded amount, hues it lacks lose nothing by default. Neutral
// bins get alpha * ln(n_ref / n_prior) only when that lowers them (and lack allows it), never
// more. The first version (alpha * (ln h_ref - ln h_prior) over the whole histogram, unbounded)
// turned a mostly gray photograph into a pull towards gray of up to 7 nats a bin, which drained
// films of colour (training/hints-experiments.md, "Reference photo"). Adding the tilt to the logits is the same
// as adding it to log p (the softmax normalises), so the annealed mean's 1/T then sharpens the
// tilted distribution as usual.
import { AB_BINS_313, Q } from '../color/ab-bins.js';
import { srgbToLab } from '../color/lab.js';
import { abClass } from '../metrics/accuracy.js';

/** Default Gaussian width of the histogram smoothing, in ab units (training/common.py smooth_prior). */
export const HISTOGRAM_SIGMA = 5;
/**
 * Smallest share a chromatic bin is given before taking logs (default of `floor` below): keeps the
 * log ratio of a bin the photograph or the prior never shows finite (the clamp then bounds it).
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

/** Interleaved a, b of packed rgb24 (the project's exact D65 conversion). */
function abOfRgb(rgb: Uint8Array, pixels: number): Float32Array {
  if (rgb.length < 3 * pixels) throw new RangeError(`rgb24 of ${pixels} pixels needs ${3 * pixels} bytes, got ${rgb.length}`);
  const ab = new Float32Array(2 * pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    const [, a, b] = srgbToLab(rgb[p], rgb[p + 1], rgb[p + 2]);
    ab[2 * i] = a;
    ab[2 * i + 1] = b;
  }
  return ab;
}

/**
 * The smoothed histogram of a decoded photograph (packed rgb24, `pixels` pixels), each pixel taken
 * to Lab with the project's exact D65 conversion. It runs once per job, not per frame; decode the
 * photograph at a modest size (a megapixel is plenty for 313 bins).
 */
export function referenceHistogramFromRgb(rgb: Uint8Array, pixels: number, sigma: number = HISTOGRAM_SIGMA): Float64Array {
  return referenceHistogram(abOfRgb(rgb, pixels), sigma);
}

/**
 * Bins (and reference pixels) of chroma below this are "neutral": grays, whites, blacks, the
 * faintest tints. The tilt measures the photograph's hue palette without them and never raises
 * them, so a photograph that is mostly road, sky and shadow does not drag the film towards gray.
 * 12 takes the centre bin and its four neighbours at distance 10, not the diagonals (14.1).
 */
export const NEUTRAL_CHROMA = 12;
/**
 * Bounds of the per-bin log ratio, before the strength. A hue the photograph lacks loses nothing
 * by default (lack 0): unbounded, such a bin was penalised by up to ln(prior / floor) (7 nats), and
 * the annealed mean's 1/T (about 2.6) made that a near-certain gray wherever the model hesitated
 * between gray and a hue the photograph happens not to show. On the development clips a lack of
 * ln 3 or ln 1.5 gave a lower mean class-balanced AuC than 0 and still dulled davis_car-roundabout
 * (training/hints-experiments.md). A hue it has more of than the training set gains at most ln 16, so a colour the
 * prior nearly never saw cannot take over a film; the bound binds on one clip of four
 * (intel_asl_book: ln 8 cost it 0.9 AuC against ln 16, a bound of 5 nats gained 0.15).
 */
export const TILT_LACK = 0;
export const TILT_GAIN = Math.log(16);
/**
 * Below this share of chromatic pixels the photograph's palette is scaled down in proportion: a
 * few coloured pixels in a gray photograph are not a palette to steer a whole film by.
 */
export const MIN_CHROMATIC_SHARE = 0.05;

/** A reference photograph split as the tilt uses it. */
export interface ReferencePalette {
  /** Share of its pixels (0..1) with chroma below NEUTRAL_CHROMA. */
  neutral: number;
  /** Smoothed 313-bin histogram of its chromatic pixels only (sums to 1; all zero if it has none). */
  chromatic: Float64Array;
}

const binChroma = (q: number) => Math.hypot(AB_BINS_313[2 * q], AB_BINS_313[2 * q + 1]);
/** Whether bin q is neutral (centre chroma below NEUTRAL_CHROMA). */
export const isNeutralBin = (q: number): boolean => binChroma(q) < NEUTRAL_CHROMA;

/** The palette of ab samples: neutral share, and the smoothed histogram of the chromatic ones. */
export function referencePalette(samples: AbSamples, sigma: number = HISTOGRAM_SIGMA): ReferencePalette {
  const counts = new Float64Array(Q);
  let neutral = 0, n = 0;
  const add = (a: number, b: number) => {
    n++;
    if (Math.hypot(a, b) < NEUTRAL_CHROMA) neutral++;
    else counts[abClass(a, b)]++;
  };
  if (samples instanceof Float32Array) {
    for (let i = 0; i + 1 < samples.length; i += 2) add(samples[i], samples[i + 1]);
  } else {
    const { a, b } = samples;
    if (a.length !== b.length) throw new RangeError(`a and b planes differ in length (${a.length}, ${b.length})`);
    for (let i = 0; i < a.length; i++) add(a[i], b[i]);
  }
  if (n === 0) throw new RangeError('a reference needs at least one sample');
  return { neutral: neutral / n, chromatic: smoothHistogram(counts, sigma) };
}

/** The palette of a decoded photograph (packed rgb24), as referenceHistogramFromRgb reads it. */
export function referencePaletteFromRgb(rgb: Uint8Array, pixels: number, sigma: number = HISTOGRAM_SIGMA): ReferencePalette {
  return referencePalette(abOfRgb(rgb, pixels), sigma);
}

export interface TiltOptions {
  /** alpha, how far to tilt: 0 (no change) .. 1 (the full, bounded log ratio). Default 0.7. */
  strength?: number;
  /** Each chromatic share is raised to at least this before its log (default 1e-4, see DEFAULT_FLOOR). */
  floor?: number;
  /** Largest loss of a bin the photograph lacks, before the strength (default TILT_LACK, 0). */
  lack?: number;
  /** Largest gain of a bin the photograph has plenty of, before the strength (default TILT_GAIN, ln 16). */
  gain?: number;
}

/**
 * The additive tilt per bin. `prior` is the smoothed training prior (313 values; see
 * smoothHistogram). The reference is a palette (referencePalette), split by pixel, not a plain
 * histogram split by bin: smoothing spreads a gray photograph's mass onto the faint tints round
 * gray, which would then be a palette to pull every hesitant pixel towards.
 *
 * Chromatic bins: alpha * w * clamp(ln(palette_ref / palette_prior), -lack, +gain), both palettes
 * normalised over the chromatic bins, so how much gray the photograph has does not enter; w =
 * min(1, chromatic share / MIN_CHROMATIC_SHARE). Neutral bins, all alike: alpha * clamp(ln(n_ref /
 * n_prior), -lack, 0), so a photograph grayer than the training set leaves them alone and a
 * more colourful one lowers them (with a lack above 0; the default lowers no bin at all).
 */
export function referenceTilt(ref: ReferencePalette, prior: ArrayLike<number>, options: TiltOptions = {}, out: Float32Array = new Float32Array(Q)): Float32Array {
  if (ref.chromatic.length !== Q || prior.length !== Q) throw new RangeError(`reference and prior need ${Q} bins, got ${ref.chromatic.length} and ${prior.length}`);
  const strength = options.strength ?? 0.7, floor = options.floor ?? DEFAULT_FLOOR;
  const lack = options.lack ?? TILT_LACK, gain = options.gain ?? TILT_GAIN;
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength must be 0..1, got ${strength}`);
  if (!(floor > 0 && floor < 1 / Q)) throw new RangeError(`floor must be in (0, 1/${Q}), got ${floor}`);
  if (!(lack >= 0 && gain >= 0 && Number.isFinite(lack) && Number.isFinite(gain))) throw new RangeError(`lack and gain must be finite and >= 0, got ${lack} and ${gain}`);
  if (!(ref.neutral >= 0 && ref.neutral <= 1)) throw new RangeError(`neutral share must be 0..1, got ${ref.neutral}`);
  let sp = 0, np = 0, sr = 0;
  for (let i = 0; i < Q; i++) {
    sp += prior[i];
    if (isNeutralBin(i)) np += prior[i];
    else sr += ref.chromatic[i];
  }
  if (!(sp > 0 && np > 0 && np < sp)) throw new RangeError('the prior must have mass on both neutral and chromatic bins');
  const cp = sp - np, nShare = np / sp;
  const w = sr > 0 ? Math.min(1, (1 - ref.neutral) / MIN_CHROMATIC_SHARE) : 0;
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const tNeutral = ref.neutral > 0 ? strength * clamp(Math.log(ref.neutral / nShare), -lack, 0) : -strength * lack;
  for (let i = 0; i < Q; i++) {
    if (isNeutralBin(i)) out[i] = tNeutral;
    else if (w === 0) out[i] = 0;
    else out[i] = strength * w * clamp(Math.log(Math.max(ref.chromatic[i] / sr, floor)) - Math.log(Math.max(prior[i] / cp, floor)), -lack, gain);
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
