// Warping error (Lai et al., "Learning Blind Video Temporal Consistency", ECCV 2018):
//   E_warp = 1/(T-1) sum_t  1/|M_t| sum_{i in M_t} || V_t(i) - warp(V_{t-1})(i) ||_2^2
// with V in RGB scaled to [0, 1], M_t the non-occluded pixels of frame t, and warp() the bilinear
// backward warp along the flow from frame t to t-1. The squared L2 norm is summed over the three
// channels of a pixel (the paper's equation), then averaged over the mask. Lower is steadier.
import { sampleBilinear } from '../motion/flow.js';
import { PairMean } from './pair-mean.js';

export class WarpingErrorMeter extends PairMean {
  // Previous frame's channels as planes (0..255, exact in float32), for bilinear sampling.
  private readonly prev: Float32Array[];

  constructor(readonly width: number, readonly height: number) {
    super();
    const n = width * height;
    this.prev = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  }

  /** Remember `rgb` (packed) as the previous frame. */
  setPrevious(rgb: Uint8Array): void {
    const n = this.width * this.height;
    const [r, g, b] = this.prev;
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      r[i] = rgb[p];
      g[i] = rgb[p + 1];
      b[i] = rgb[p + 2];
    }
  }

  /** The pair (previous, `rgb`); `back` is the flow from this frame to the previous one. */
  addPair(rgb: Uint8Array, back: Float32Array, mask: Uint8Array): number | null {
    const { width: w, height: h } = this;
    const n = w * h;
    const [pr, pg, pb] = this.prev;
    const k = 1 / 255;
    let sum = 0, kept = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!mask[i]) continue;
        const sx = x + back[i], sy = y + back[n + i];
        const p = 3 * i;
        const dr = (rgb[p] - sampleBilinear(pr, w, h, sx, sy)) * k;
        const dg = (rgb[p + 1] - sampleBilinear(pg, w, h, sx, sy)) * k;
        const db = (rgb[p + 2] - sampleBilinear(pb, w, h, sx, sy)) * k;
        sum += dr * dr + dg * dg + db * db;
        kept++;
      }
    }
    return this.record(sum, kept);
  }
}
