// The annealed-mean graph of Zhang et al. as a standalone ONNX model.

import { AB_BINS_313 } from '../color/ab-bins.js';
import { GraphBuilder } from './builder.js';

/**
 * Builds an ONNX model (opset 17) that turns class logits into ab:
 *
 *   inputs : `logits` float N x Q x h x w (Q = centres.length / 2, 313 by default),
 *            `inv_t`  float [1], the inverse temperature 1/T (T = 0.38 for the method).
 *   output : `ab` float N x 2 x h x w, ab = Σ_q softmax_q(logits · inv_t) · centre_q.
 *
 * The class axis is moved last (Transpose to N,h,w,Q) so that Softmax(axis=-1) and the MatMul with
 * the Q x 2 centre matrix work on contiguous rows; the result is transposed back to N,2,h,w.
 *
 * @param centres interleaved bin centres [a0, b0, a1, b1, ...] (default AB_BINS_313).
 */
export function buildAnnealedMeanGraph(centres: Float32Array = AB_BINS_313): Uint8Array {
  if (centres.length === 0 || centres.length % 2 !== 0) throw new Error('centres must hold interleaved (a, b) pairs');
  const q = centres.length / 2;
  const g = new GraphBuilder({ name: 'annealed_mean', opset: 17 });
  g.addInput('logits', ['N', q, 'h', 'w']);
  g.addInput('inv_t', [1]);
  // Interleaved [a0,b0,a1,b1,...] is already row-major Q x 2.
  const c = g.addInitializer('centres', Float32Array.from(centres), [q, 2]);
  const nhwq = g.node('Transpose', ['logits'], { perm: [0, 2, 3, 1] });
  const scaled = g.node('Mul', [nhwq, 'inv_t']);
  const p = g.node('Softmax', [scaled], { axis: -1 });
  const nhw2 = g.node('MatMul', [p, c]);
  g.node('Transpose', [nhw2], { perm: [0, 3, 1, 2] }, 'ab');
  g.addOutput('ab', ['N', 2, 'h', 'w']);
  g.setMetadataProps({ 'chroma.role': 'annealed_mean_decoder', 'chroma.bins': q });
  return g.serialize();
}
