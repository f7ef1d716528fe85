// Stage: from the network's output to one ab per pixel. Logits models go through the annealed
// mean (softmax(z / T) . centres) in its ONNX graph; ab models are only scaled. The
// temperature is read per batch, so a live viewer can change it. Batches the inference worker
// already decoded (inferBatch with a temperature) only need slicing. A reference photo's tilt
// (hints/reference-tilt.ts) is added to the logits here, before the annealed mean, so a job with
// one runs its inference without decoding in the worker.
import { concatMap, mergeMap, pipe, type OperatorFunction } from 'rxjs';
import * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../core/model-contract.js';
import type { AbFrame, ModelFrame } from '../core/frames.js';
import type { InferredBatch } from './infer-batch.js';
import type { StageTimer } from '../core/stage-timer.js';
import { applyTilt } from '../hints/reference-tilt.js';

export function annealedMeanAb<T extends ModelFrame>(
  model: LoadedModel, temperature: () => number, timer?: StageTimer, tilt?: Float32Array | null,
): OperatorFunction<InferredBatch<T>, T & AbFrame> {
  const invT = new Float32Array(1);
  const slice = (frames: T[], ab: ort.Tensor): (T & AbFrame)[] => {
    const [, , h, w] = ab.dims;
    const data = ab.data as Float32Array;
    const plane = 2 * h * w;
    // Each frame views its slice of the output tensor (a fresh buffer per run): no copy.
    return frames.map((f, i) =>
      Object.assign(f, { abWidth: w, abHeight: h, ab: data.subarray(i * plane, (i + 1) * plane) }),
    );
  };
  return pipe(concatMap(async ({ frames, output, decoded }) => {
    if (decoded) {
      if (tilt) throw new Error('annealedMeanAb: a tilt needs the logits, but the batch was decoded in the inference worker');
      return slice(frames, output);
    }
    const t0 = performance.now();
    let ab: ort.Tensor = output;
    if (model.annealer) {
      if (tilt) applyTilt(output.data as Float32Array, output.dims[0], output.dims[2] * output.dims[3], tilt);
      invT[0] = 1 / temperature();
      const res = await model.annealer.run({
        logits: output,
        inv_t: new ort.Tensor('float32', invT, [1]),
      });
      ab = res.ab;
    }
    const data = ab.data as Float32Array;
    const scale = model.info.abScale;
    if (!model.annealer && scale !== 1) for (let i = 0; i < data.length; i++) data[i] *= scale;
    const out = slice(frames, ab);
    timer?.add('distribution', performance.now() - t0, frames.length);
    return out;
  }), mergeMap((frames) => frames));
}
