// The annealed mean of Zhang et al.: ab = sum_q softmax(z / T)_q * centre_q, per pixel, with
// z the 313 logits. T = 1 is the plain mean of the predicted distribution; T -> 0 tends to its
// mode. The colour graph runs this as an ONNX graph (src/onnx/annealed-mean-graph.ts); this
// typed-array version is the reference that graph is tested against.
import { AB_BINS_313, Q } from './ab-bins.js';

/**
 * logits: N x Q x hw (NCHW, hw = h*w), output: N x 2 x hw (planar a, b), temperature T > 0.
 */
export function annealedMean(
  logits: Float32Array, batch: number, hw: number, temperature: number, out: Float32Array,
  centres: Float32Array = AB_BINS_313,
): void {
  const invT = 1 / temperature;
  const q = centres.length / 2;
  for (let n = 0; n < batch; n++) {
    const base = n * q * hw, outBase = n * 2 * hw;
    for (let p = 0; p < hw; p++) {
      let max = -Infinity;
      for (let k = 0; k < q; k++) {
        const v = logits[base + k * hw + p];
        if (v > max) max = v;
      }
      let sum = 0, sa = 0, sb = 0;
      for (let k = 0; k < q; k++) {
        const e = Math.exp((logits[base + k * hw + p] - max) * invT);
        sum += e;
        sa += e * centres[2 * k];
        sb += e * centres[2 * k + 1];
      }
      out[outBase + p] = sa / sum;
      out[outBase + hw + p] = sb / sum;
    }
  }
}

export { Q };
