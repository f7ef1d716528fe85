// Stage: the network's input. L is area-resampled to the model size (short side configurable,
// aspect kept, multiples of the model's size multiple: the nets are fully convolutional) and
// normalised as the model contract says. Gray frames are resampled straight from their rgb24
// codes (see extract-l.ts). With a pixel pool, frames whose source plane is in shared memory are
// resampled in bands of model rows on its threads (same result).
import { concatMap, map, type OperatorFunction } from 'rxjs';
import { PlaneResampler, modelSize } from '../color/resample.js';
import { GRAY_TO_L, lOfLuma } from '../color/lab.js';
import { isShared, sharedFloats } from '../core/frame-buffers.js';
import { grayCodesOf } from './extract-l.js';
import type { PixelPool } from '../pool/pixel-pool.js';
import type { LFrame, ModelFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface ResizeOptions {
  shortSide: number;
  multiple: number;
  lOffset: number;
  lScale: number;
}

export function resizeForModel(opts: ResizeOptions, timer?: StageTimer, pool?: PixelPool | null): OperatorFunction<LFrame, ModelFrame> {
  let resampler: PlaneResampler | null = null;
  const { lOffset, lScale } = opts;
  const here = (f: LFrame): ModelFrame => {
    const t0 = performance.now();
    const size = modelSize(f.width, f.height, opts.shortSide, opts.multiple);
    if (!resampler || resampler.inWidth !== f.width || resampler.inHeight !== f.height || resampler.outWidth !== size.width || resampler.outHeight !== size.height) {
      resampler = new PlaneResampler(f.width, f.height, size.width, size.height);
    }
    const n = size.width * size.height;
    const modelL = new Float32Array(n);
    const gray = grayCodesOf(f);
    if (gray) resampler.runCodes(gray.codes, gray.stride, gray.yToCode ? lOfLuma(gray.yToCode) : GRAY_TO_L, modelL);
    else resampler.run(f.L, modelL);
    const modelInput = new Float32Array(n);
    for (let i = 0; i < n; i++) modelInput[i] = (modelL[i] - lOffset) * lScale;
    timer?.add('resize', performance.now() - t0);
    return Object.assign(f, { modelWidth: size.width, modelHeight: size.height, modelInput, modelL });
  };
  if (!pool) return map(here);
  return concatMap(async (f) => {
    const gray = grayCodesOf(f);
    const codes = gray?.codes ?? null;
    // Reading f.L of a gray frame would build its plane here: only look at it for colour frames.
    const L = codes ? null : f.L;
    if (!isShared(codes ?? L!)) return here(f);
    const size = modelSize(f.width, f.height, opts.shortSide, opts.multiple);
    const n = size.width * size.height;
    // The model planes are small (a few hundred KB) and handed on down the graph: fresh ones per frame.
    const modelL = sharedFloats(n), modelInput = sharedFloats(n);
    const { ms } = await pool.run(pool.bands(size.height).map(([from, to]) => ({
      kind: 'resize', L, codes, stride: gray?.stride ?? 3, yToCode: gray?.yToCode ?? null, width: f.width, height: f.height, outWidth: size.width, outHeight: size.height,
      modelL, modelInput, lOffset, lScale, from, to,
    })));
    timer?.add('resize', ms);
    return Object.assign(f, { modelWidth: size.width, modelHeight: size.height, modelInput, modelL });
  });
}
