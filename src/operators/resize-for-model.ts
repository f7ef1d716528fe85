// Stage: the network's input. L is area-resampled to the model size (short side configurable,
// aspect kept, multiples of the model's size multiple: the nets are fully convolutional) and
// normalised as the model contract says. Gray frames are resampled straight from their rgb24
// codes (see extract-l.ts).
import { map, type OperatorFunction } from 'rxjs';
import { PlaneResampler, modelSize } from '../color/resample.js';
import { GRAY_TO_L } from '../color/lab.js';
import { grayCodesOf } from './extract-l.js';
import type { LFrame, ModelFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface ResizeOptions {
  shortSide: number;
  multiple: number;
  lOffset: number;
  lScale: number;
}

export function resizeForModel(opts: ResizeOptions, timer?: StageTimer): OperatorFunction<LFrame, ModelFrame> {
  let resampler: PlaneResampler | null = null;
  return map((f) => {
    const t0 = performance.now();
    const size = modelSize(f.width, f.height, opts.shortSide, opts.multiple);
    if (!resampler || resampler.inWidth !== f.width || resampler.inHeight !== f.height || resampler.outWidth !== size.width || resampler.outHeight !== size.height) {
      resampler = new PlaneResampler(f.width, f.height, size.width, size.height);
    }
    const n = size.width * size.height;
    const modelL = new Float32Array(n);
    if (grayCodesOf(f)) resampler.runCodes(f.rgb, 3, GRAY_TO_L, modelL);
    else resampler.run(f.L, modelL);
    const modelInput = new Float32Array(n);
    const { lOffset, lScale } = opts;
    for (let i = 0; i < n; i++) modelInput[i] = (modelL[i] - lOffset) * lScale;
    timer?.add('resize', performance.now() - t0);
    return Object.assign(f, { modelWidth: size.width, modelHeight: size.height, modelInput, modelL });
  });
}
