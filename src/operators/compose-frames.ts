// Stage: the colour frame. ab is upsampled bilinearly to the frame and joined with the original
// full-resolution L, then converted to sRGB through lookup tables, in place into the frame's own
// rgb buffer (its pixels are no longer needed once L is extracted): no allocation per frame.
// Gray frames whose L plane was never built read L* from their own codes, pixel by pixel, just
// before overwriting them. The arithmetic runs in WebAssembly SIMD where available
// (src/color/compose-simd.ts), else in the JS loops of src/color/lab.ts; both give the same bytes
// up to +-1 code in rare pixels.
import { map, type OperatorFunction } from 'rxjs';
import { composeLab, composeLabGray, makeUpsampleMap, type UpsampleMap } from '../color/lab.js';
import { simdComposer } from '../color/compose-simd.js';
import { grayCodesOf } from './extract-l.js';
import type { AbFrame, ColorFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export function composeFrames<T extends AbFrame>(timer?: StageTimer): OperatorFunction<T, T & ColorFrame> {
  const simd = simdComposer();
  let upsample: UpsampleMap | null = null;
  let key = '';
  return map((f) => {
    const t0 = performance.now();
    const k = `${f.width}x${f.height}<${f.abWidth}x${f.abHeight}`;
    if (k !== key || !upsample) {
      upsample = makeUpsampleMap(f.width, f.height, f.abWidth, f.abHeight);
      key = k;
    }
    const codes = grayCodesOf(f);
    if (codes) {
      if (simd) simd.compose(null, f.rgb, f.ab, f.abWidth, f.abHeight, f.width, f.height, upsample, f.rgb);
      else composeLabGray(f.rgb, f.ab, f.abWidth, f.abHeight, f.width, f.height, upsample, f.rgb);
      codes.composed = true;
    } else if (simd) {
      simd.compose(f.L, null, f.ab, f.abWidth, f.abHeight, f.width, f.height, upsample, f.rgb);
    } else {
      composeLab(f.L, f.ab, f.abWidth, f.abHeight, f.width, f.height, upsample, f.rgb);
    }
    timer?.add('compose', performance.now() - t0);
    return Object.assign(f, { out: f.rgb });
  });
}
