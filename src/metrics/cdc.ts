// Colour distribution consistency (Liu et al., "Temporally Consistent Video Colorization with Deep
// Feature Propagation and Self-regularization Learning", 2021): the Jensen–Shannon divergence
// between the colour histograms of frames t and t + g, per channel, for gaps g = 1, 2, 4:
//   CDC = 1/|G| sum_g  1/(N - g) sum_t  1/3 sum_{c in R,G,B} JS(h_c(t), h_c(t + g))
// Histograms are of the 8-bit R, G and B channels (256 bins each, normalised), JS uses the natural
// log (so 0 <= CDC <= ln 2). Flow-free: it sees global colour shifts, not local ones.

export const CDC_GAPS: readonly number[] = [1, 2, 4];
const BINS = 256;
const KEEP = Math.max(...CDC_GAPS) + 1;

/** Jensen–Shannon divergence (natural log) of two normalised histograms of `bins` entries starting at the offsets. */
export function jsDivergence(p: Float64Array, po: number, q: Float64Array, qo: number, bins: number): number {
  let d = 0;
  for (let k = 0; k < bins; k++) {
    const a = p[po + k], b = q[qo + k];
    const m = 0.5 * (a + b);
    if (a > 0) d += 0.5 * a * Math.log(a / m);
    if (b > 0) d += 0.5 * b * Math.log(b / m);
  }
  return d;
}

export class CdcMeter {
  // Ring of the last KEEP frames' histograms, 3 x 256 each.
  private readonly ring: Float64Array[] = Array.from({ length: KEEP }, () => new Float64Array(3 * BINS));
  private frames = 0;
  private readonly sums = new Float64Array(CDC_GAPS.length);
  private readonly counts = new Float64Array(CDC_GAPS.length);

  /** Add the next frame (packed rgb24, `pixels` pixels). */
  add(rgb: Uint8Array, pixels: number): void {
    const h = this.ring[this.frames % KEEP];
    h.fill(0);
    for (let i = 0, p = 0; i < pixels; i++, p += 3) {
      h[rgb[p]]++;
      h[BINS + rgb[p + 1]]++;
      h[2 * BINS + rgb[p + 2]]++;
    }
    const inv = 1 / pixels;
    for (let k = 0; k < 3 * BINS; k++) h[k] *= inv;
    CDC_GAPS.forEach((g, gi) => {
      if (this.frames < g) return;
      const o = this.ring[(this.frames - g) % KEEP];
      let js = 0;
      for (let c = 0; c < 3; c++) js += jsDivergence(h, c * BINS, o, c * BINS, BINS);
      this.sums[gi] += js / 3;
      this.counts[gi]++;
    });
    this.frames++;
  }

  /** Mean over the gaps that had at least one pair; null for a single frame. */
  get value(): number | null {
    let s = 0, n = 0;
    for (let gi = 0; gi < CDC_GAPS.length; gi++) {
      if (this.counts[gi]) {
        s += this.sums[gi] / this.counts[gi];
        n++;
      }
    }
    return n ? s / n : null;
  }
}
