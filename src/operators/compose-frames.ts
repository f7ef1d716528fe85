// Stage: the colour frame. ab is upsampled bilinearly to the frame and joined with the original
// full-resolution L, then converted to sRGB through lookup tables, in place into the frame's own
// rgb buffer (its pixels are no longer needed once L is extracted): no allocation per frame.
// Gray frames whose L plane was never built read L* from their own codes, pixel by pixel, just
// before overwriting them. The arithmetic runs in WebAssembly SIMD where available
// (src/color/compose-simd.ts), else in the JS loops of src/color/lab.ts; both give the same bytes
// up to +-1 code in rare pixels. With a pixel pool, frames in shared memory are composed in bands
// on its threads, with the same kernels (same bytes).
import { concatMap, map, type OperatorFunction } from 'rxjs';
import { composeLab, composeLabGray, makeUpsampleMap, type UpsampleMap } from '../color/lab.js';
import { simdComposer } from '../color/compose-simd.js';
import { isShared, sharedFloats } from '../core/frame-buffers.js';
import { grayCodesOf } from './extract-l.js';
import type { PixelPool } from '../pool/pixel-pool.js';
import type { AbFrame, ColorFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export function composeFrames<T extends AbFrame>(timer?: StageTimer, pool?: PixelPool | null): OperatorFunction<T, T & ColorFrame> {
  const simd = simdComposer();
  let upsample: UpsampleMap | null = null;
  let key = '';
  const here = (f: T): T & ColorFrame => {
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
  };
  if (!pool) return map(here);
  // The ab plane (model-output size, tens of KB) is copied into shared memory the threads read;
  // one plane serves every frame, as this stage composes one frame at a time.
  let ab = sharedFloats(0);
  return concatMap(async (f) => {
    const codes = grayCodesOf(f);
    const L = codes ? null : f.L;
    if (!isShared(f.rgb) || (L && !isShared(L))) return here(f);
    const abLength = 2 * f.abWidth * f.abHeight;
    if (ab.length < abLength) ab = sharedFloats(abLength);
    ab.set(f.ab.subarray(0, abLength));
    const { ms } = await pool.run(pool.bands(f.height).map(([from, to]) => ({
      kind: 'compose', L, rgb: f.rgb, ab, abWidth: f.abWidth, abHeight: f.abHeight, width: f.width, height: f.height, from, to,
    })));
    if (codes) codes.composed = true;
    timer?.add('compose', ms);
    return Object.assign(f, { out: f.rgb });
  });
}
