// One band of the compose stage, whichever kernel runs it: WebAssembly SIMD where available
// (compose-simd.ts), else the JS loops of lab.ts. Shared by the stage on the calling thread and
// the pixel pool's threads, so both give the same bytes.
import { composeLab, composeLabGray, type UpsampleMap } from './lab.js';
import { rgbToYuv420Rows } from './yuv.js';
import type { SimdComposer } from './compose-simd.js';
import type { PixelFormat } from '../core/frames.js';

/** The JS loops' rgb24 frame on the way to yuv420p (one per thread, grown to the largest frame). */
let scratch = new Uint8Array(0);

/**
 * Rows [from, to) of the colour frame into `out` as `outFmt`: from `L`, or when `L` is null from
 * the gray `codes`, `stride` bytes apart (3: an rgb24 frame with R = G = B, which may be `out`
 * itself; 1: a code plane, or with `yToCode` a luma plane whose codes are `yToCode[Y]`). For
 * yuv420p, `from` and `to` are even (or the height).
 */
export function composeBand(
  simd: SimdComposer | null, L: Float32Array | null, codes: Uint8Array | null, stride: 1 | 3, ab: Float32Array, abWidth: number, abHeight: number,
  width: number, height: number, map: UpsampleMap, out: Uint8Array, outFmt: PixelFormat, from = 0, to = height, yToCode: Uint8Array | null = null,
): void {
  if (simd) return simd.compose(L, codes, ab, abWidth, abHeight, width, height, map, out, from, to, outFmt, stride, yToCode);
  // The JS loops read codes 3 bytes apart and write rgb24: a scratch frame on the way to yuv420p.
  let target = out;
  if (outFmt === 'yuv420p') {
    if (scratch.length < width * height * 3) scratch = new Uint8Array(width * height * 3);
    target = scratch;
  }
  let rgbCodes = codes;
  if (codes && stride === 1) {
    if (yToCode) for (let i = from * width, end = to * width; i < end; i++) target[3 * i] = yToCode[codes[i]];
    else for (let i = from * width, end = to * width; i < end; i++) target[3 * i] = codes[i];
    rgbCodes = target;
  }
  if (L) composeLab(L, ab, abWidth, abHeight, width, height, map, target, from, to);
  else composeLabGray(rgbCodes!, ab, abWidth, abHeight, width, height, map, target, from, to);
  if (outFmt === 'yuv420p') rgbToYuv420Rows(target, from * width * 3, width, height, from, to - from, out);
}
