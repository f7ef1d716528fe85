// Colour accuracy against the colour original, per frame pair (colorized, original) at the same size:
//  - AuC: the cumulative curve of per-pixel ab error (Euclidean in the a*b* plane) at thresholds
//    0, 1, ..., 150, its area normalised to 100 (Zhang, Isola & Efros, ECCV 2016, raw accuracy);
//  - class-balanced AuC: the same curve computed per true colour class (the nearest of the 313
//    ab bins to the original's ab) and averaged over the classes present, i.e. every pixel weighted
//    by 1 / frequency of its class, so rare saturated colours count as much as grays;
//  - PSNR of the 8-bit sRGB frames (mean over frames of the per-frame PSNR, capped at 100 dB);
//  - colourfulness (Hasler & Süsstrunk 2003) of each video, from which the ratio is taken.
import { AB_BINS_313, Q } from '../color/ab-bins.js';

export const AUC_MAX_THRESHOLD = 150;
const ERR_BINS = AUC_MAX_THRESHOLD + 2; // 0..150 by ceil(error), then "more than 150"
export const PSNR_CAP = 100;

let classTable: Uint16Array | null = null;

/** The 313-bin class nearest to (a, b); a and b are rounded and clamped to [-128, 127]. */
export function abClass(a: number, b: number): number {
  if (!classTable) {
    classTable = new Uint16Array(256 * 256);
    for (let ia = 0; ia < 256; ia++) {
      for (let ib = 0; ib < 256; ib++) {
        const av = ia - 128, bv = ib - 128;
        let best = 0, bestD = Infinity;
        for (let q = 0; q < Q; q++) {
          const da = av - AB_BINS_313[2 * q], db = bv - AB_BINS_313[2 * q + 1];
          const d = da * da + db * db;
          if (d < bestD) {
            bestD = d;
            best = q;
          }
        }
        classTable[ia * 256 + ib] = best;
      }
    }
  }
  let ia = Math.round(a) + 128, ib = Math.round(b) + 128;
  ia = ia < 0 ? 0 : ia > 255 ? 255 : ia;
  ib = ib < 0 ? 0 : ib > 255 ? 255 : ib;
  return classTable[ia * 256 + ib];
}

/** Area under a cumulative error histogram (counts by ceil(error), last bin = over the range), in 0..100. */
function aucOf(hist: Float64Array, offset: number): number | null {
  let total = 0;
  for (let k = 0; k < ERR_BINS; k++) total += hist[offset + k];
  if (!total) return null;
  let cum = 0, area = 0;
  for (let t = 0; t <= AUC_MAX_THRESHOLD; t++) {
    cum += hist[offset + t];
    area += cum / total;
  }
  return (100 * area) / (AUC_MAX_THRESHOLD + 1);
}

export class AccuracyMeter {
  private readonly errHist = new Float64Array(ERR_BINS);
  private readonly classHist = new Float64Array(Q * ERR_BINS);
  private psnrSum = 0;
  private frames = 0;

  /** One frame pair: Lab planes (a, b) and packed rgb24 of the colorized frame and the original, `pixels` pixels. */
  add(predA: Float32Array, predB: Float32Array, trueA: Float32Array, trueB: Float32Array, predRgb: Uint8Array, trueRgb: Uint8Array, pixels: number): void {
    const { errHist, classHist } = this;
    for (let i = 0; i < pixels; i++) {
      const da = predA[i] - trueA[i], db = predB[i] - trueB[i];
      const e = Math.ceil(Math.sqrt(da * da + db * db));
      const bin = e > AUC_MAX_THRESHOLD ? AUC_MAX_THRESHOLD + 1 : e;
      errHist[bin]++;
      classHist[abClass(trueA[i], trueB[i]) * ERR_BINS + bin]++;
    }
    let se = 0;
    for (let p = 0; p < 3 * pixels; p++) {
      const d = predRgb[p] - trueRgb[p];
      se += d * d;
    }
    const mse = se / (3 * pixels);
    this.psnrSum += mse > 0 ? Math.min(PSNR_CAP, 10 * Math.log10((255 * 255) / mse)) : PSNR_CAP;
    this.frames++;
  }

  /** Raw AuC (0..100), null before any frame. */
  get auc(): number | null {
    return aucOf(this.errHist, 0);
  }

  /** Class-balanced AuC (0..100): the mean of the per-class AuCs over the classes present. */
  get aucBalanced(): number | null {
    let s = 0, n = 0;
    for (let q = 0; q < Q; q++) {
      const v = aucOf(this.classHist, q * ERR_BINS);
      if (v !== null) {
        s += v;
        n++;
      }
    }
    return n ? s / n : null;
  }

  /** Mean per-frame PSNR (dB) of 8-bit sRGB. */
  get psnr(): number | null {
    return this.frames ? this.psnrSum / this.frames : null;
  }
}

/**
 * Colourfulness of one packed rgb24 frame (Hasler & Süsstrunk 2003): with rg = R - G and
 * yb = (R + G)/2 - B, M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2).
 */
export function colorfulness(rgb: Uint8Array, pixels: number): number {
  let s1 = 0, s2 = 0, q1 = 0, q2 = 0;
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    const r = rgb[p], g = rgb[p + 1], b = rgb[p + 2];
    const rg = r - g, yb = 0.5 * (r + g) - b;
    s1 += rg;
    s2 += yb;
    q1 += rg * rg;
    q2 += yb * yb;
  }
  const m1 = s1 / pixels, m2 = s2 / pixels;
  const v1 = Math.max(0, q1 / pixels - m1 * m1), v2 = Math.max(0, q2 / pixels - m2 * m2);
  return Math.sqrt(v1 + v2) + 0.3 * Math.sqrt(m1 * m1 + m2 * m2);
}
