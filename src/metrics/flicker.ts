// Temporal flicker: how much the colour (a*, b*) of a pixel changes from one frame to the next
// when followed along the optical flow, averaged over the pixels the flow can follow (the
// non-occluded ones). Lab units: 1 is about one just-noticeable difference of chroma. Moving
// content keeps its colour, so an ideal colorization scores what the real footage scores
// (compression noise, lighting changes), not zero.
import { sampleBilinear } from '../motion/flow.js';
import { PairMean } from './pair-mean.js';

export class FlickerMeter extends PairMean {
  constructor(readonly width: number, readonly height: number) {
    super();
  }

  /**
   * One consecutive pair. `back` is the flow from the current frame to the previous one (planar
   * u, v), `mask` marks the current frame's non-occluded pixels. Returns the pair's mean change,
   * or null when no pixel could be followed (the pair is then left out).
   */
  addPair(prevA: Float32Array, prevB: Float32Array, curA: Float32Array, curB: Float32Array, back: Float32Array, mask: Uint8Array): number | null {
    const { width: w, height: h } = this;
    const n = w * h;
    let sum = 0, kept = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!mask[i]) continue;
        const sx = x + back[i], sy = y + back[n + i];
        const da = curA[i] - sampleBilinear(prevA, w, h, sx, sy);
        const db = curB[i] - sampleBilinear(prevB, w, h, sx, sy);
        sum += Math.sqrt(da * da + db * db);
        kept++;
      }
    }
    return this.record(sum, kept);
  }
}
