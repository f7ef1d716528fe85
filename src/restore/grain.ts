// Grain: a fresh random pattern on every frame. Its level is measured from the frame itself (the
// median absolute difference from its motion-compensated neighbours' mean, which grain dominates
// and motion errors and dust barely move), then removed by averaging each pixel with the same
// scene point in the neighbouring frames and with its 3x3 neighbours, every tap weighted by how
// close its L is (a range filter: edges and anything the flow missed keep their own value). The
// averaging width follows the measured level, so clean footage is left nearly as it is.

const LUT_SIZE = 256;
/** Weight table range: (d / width)^2 in 0..LUT_SPAN; beyond it the weight is 0. */
const LUT_SPAN = 4;
/** The level is at most this many times the level measured on the frame's flattest quarter. */
const FLAT_RATIO = 1.5;

/** The first bin where the histogram's running count reaches `share`. */
function binAt(hist: Uint32Array, share: number): number {
  let acc = 0, bin = 0;
  for (; bin < 255 && acc + hist[bin] < share; bin++) acc += hist[bin];
  return bin;
}

/** median |N(0,1)| = 0.6745. */
const MAD_TO_SIGMA = 1.4826;

/** The table's weight for an L difference d at scale k (0 beyond the table). */
function rangeWeight(lut: Float32Array, d: number, k: number): number {
  const q = d * d * k;
  return q < LUT_SIZE ? lut[q | 0] : 0;
}

export class GrainFilter {
  private readonly tmp: Float32Array;
  private readonly hist = new Uint32Array(256);
  private readonly flatHist = new Uint32Array(256);
  private readonly lut = new Float32Array(LUT_SIZE + 1);

  constructor(readonly width: number, readonly height: number) {
    this.tmp = new Float32Array(width * height);
    for (let i = 0; i <= LUT_SIZE; i++) this.lut[i] = i === LUT_SIZE ? 0 : Math.exp(-(i / LUT_SIZE) * LUT_SPAN);
  }

  /**
   * The grain's standard deviation (L units) in `cur`, from its compensated neighbours `a` and
   * (when there is one) `b`, over every third pixel of every third row. Where the flow misses
   * fast motion, the residual follows the picture's edges and texture, while on flat film a wrong
   * flow brings the same value: so the level is also measured over the flattest quarter of those
   * pixels (by the neighbours' gradient 2 px either way), and the frame's level is at most
   * FLAT_RATIO times that one (grain, fainter in the shadows and highlights that flat areas often
   * are, stays under it).
   */
  estimate(cur: Float32Array, a: Float32Array, b: Float32Array | null): number {
    const { width: w, height: h, hist, flatHist } = this;
    const ref = b ?? a;
    hist.fill(0);
    let count = 0;
    for (let y = 2; y < h - 2; y += 3) {
      const r = y * w;
      for (let x = 2; x < w - 2; x += 3) hist[Math.min(255, Math.floor(this.gradient(a, ref, r + x) * 4))]++, count++;
    }
    const flat = binAt(hist, count / 4);
    hist.fill(0);
    flatHist.fill(0);
    let flatCount = 0;
    for (let y = 2; y < h - 2; y += 3) {
      const r = y * w;
      for (let x = 2; x < w - 2; x += 3) {
        const i = r + x;
        const d = b ? cur[i] - 0.5 * (a[i] + b[i]) : cur[i] - a[i];
        const bin = Math.min(255, Math.floor(Math.abs(d) * 10));
        hist[bin]++;
        if (Math.floor(this.gradient(a, ref, i) * 4) <= flat) flatHist[bin]++, flatCount++;
      }
    }
    const median = (binAt(hist, count / 2) + 0.5) / 10;
    const flatMedian = (binAt(flatHist, flatCount / 2) + 0.5) / 10;
    // cur - mean(a, b) has variance sigma^2 (1 + 1/2) for independent grain; cur - a has 2 sigma^2.
    return (MAD_TO_SIGMA * Math.min(median, FLAT_RATIO * flatMedian)) / Math.sqrt(b ? 1.5 : 2);
  }

  /** Gradient of the neighbours' mean at i: horizontal plus vertical difference 2 px either way. */
  private gradient(a: Float32Array, b: Float32Array, i: number): number {
    const w = this.width;
    return 0.5 * (Math.abs(a[i + 2] + b[i + 2] - a[i - 2] - b[i - 2]) + Math.abs(a[i + 2 * w] + b[i + 2 * w] - a[i - 2 * w] - b[i - 2 * w]));
  }

  /**
   * Denoises `cur` in place at grain level `sigma` (L units) times `strength`, from its
   * compensated neighbours `a` and `b` (either may be null).
   */
  apply(cur: Float32Array, a: Float32Array | null, b: Float32Array | null, sigma: number, strength: number): void {
    const { width: w, height: h, tmp, lut } = this;
    const n = w * h;
    const width = 2 * sigma * strength;
    if (!(width > 0)) return;
    const k = LUT_SIZE / LUT_SPAN / (width * width);
    for (let i = 0; i < n; i++) {
      const c = cur[i];
      let s = c, ws = 1;
      if (a) {
        const wa = rangeWeight(lut, a[i] - c, k);
        s += wa * a[i];
        ws += wa;
      }
      if (b) {
        const wb = rangeWeight(lut, b[i] - c, k);
        s += wb * b[i];
        ws += wb;
      }
      tmp[i] = s / ws;
    }
    // Spatial pass on what the temporal one left: its noise is about sigma / sqrt(3), hence the
    // narrower width (k doubled). Edge-adjacent taps count fully, diagonal ones half.
    const ks = k * 2;
    for (let y = 0; y < h; y++) {
      const r = y * w, up = y > 0 ? r - w : r, dn = y < h - 1 ? r + w : r;
      for (let x = 0; x < w; x++) {
        const xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
        const c = tmp[r + x];
        const v0 = tmp[r + xl], v1 = tmp[r + xr], v2 = tmp[up + x], v3 = tmp[dn + x];
        const v4 = tmp[up + xl], v5 = tmp[up + xr], v6 = tmp[dn + xl], v7 = tmp[dn + xr];
        const w0 = rangeWeight(lut, v0 - c, ks), w1 = rangeWeight(lut, v1 - c, ks);
        const w2 = rangeWeight(lut, v2 - c, ks), w3 = rangeWeight(lut, v3 - c, ks);
        const w4 = 0.5 * rangeWeight(lut, v4 - c, ks), w5 = 0.5 * rangeWeight(lut, v5 - c, ks);
        const w6 = 0.5 * rangeWeight(lut, v6 - c, ks), w7 = 0.5 * rangeWeight(lut, v7 - c, ks);
        const s = c + w0 * v0 + w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4 + w5 * v5 + w6 * v6 + w7 * v7;
        const ws = 1 + w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7;
        cur[r + x] = s / ws;
      }
    }
  }
}
