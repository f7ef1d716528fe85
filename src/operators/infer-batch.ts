// Stage: one ONNX Runtime call per batch. The frames' normalised L planes are packed into one
// N x 1 x H x W tensor; the raw output (logits or ab) travels on with the batch.
import { concatMap, type OperatorFunction } from 'rxjs';
import * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../model/load-model.js';
import type { ModelFrame } from '../pipeline/types.js';
import type { StageTimer } from '../pipeline/stage-timer.js';

export interface InferredBatch<T extends ModelFrame = ModelFrame> {
  frames: T[];
  output: ort.Tensor;
}

export function inferBatch<T extends ModelFrame>(model: LoadedModel, timer?: StageTimer): OperatorFunction<T[], InferredBatch<T>> {
  let packed: Float32Array | null = null;
  return concatMap(async (frames) => {
    const t0 = performance.now();
    const { modelWidth: w, modelHeight: h } = frames[0];
    const plane = w * h;
    // The input buffer is reused while the size holds: ONNX Runtime copies it in on run().
    if (!packed || packed.length !== plane * frames.length) packed = new Float32Array(plane * frames.length);
    frames.forEach((f, i) => packed!.set(f.modelInput, i * plane));
    const input = new ort.Tensor('float32', packed, [frames.length, 1, h, w]);
    const out = await model.session.run({ [model.inputName]: input });
    timer?.add('infer', performance.now() - t0, frames.length);
    return { frames, output: out[model.outputName] };
  });
}
