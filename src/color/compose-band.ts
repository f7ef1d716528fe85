// One band of the compose stage, whichever kernel runs it: WebAssembly SIMD where available
// (compose-simd.ts), else the JS loops of lab.ts. Shared by the stage on the calling thread and
// the pixel pool's threads, so both give the same bytes.
import { composeLab, composeLabGray, type UpsampleMap } from './lab.js';
import { rgbToYuv420Rows } from './yuv.js';
import type { SimdComposer } from './compose-simd.js';
import type { PixelFormat } from '../core/frames.js';

/**
 * Rows [from, to) of the colour frame into `out` as `outFmt`: from `L`, or when `L` is null from
 * the gray codes in `rgb` (R = G = B). `rgb` is the frame's own rgb24 buffer, free to be
 * overwritten; for rgb24 `out` may be `rgb` itself. For yuv420p, `from` and `to` are even (or the height).
 */
export function composeBand(
  simd: SimdComposer | null, L: Float32Array | null, rgb: Uint8Array, ab: Float32Array, abWidth: number, abHeight: number,
  width: number, height: number, map: UpsampleMap, out: Uint8Array, outFmt: PixelFormat, from = 0, to = height,
): void {
  if (simd) return simd.compose(L, L ? null : rgb, ab, abWidth, abHeight, width, height, map, out, from, to, outFmt);
  // The JS loops write rgb24: into `rgb` in place, then converted when yuv420p is wanted.
  const target = outFmt === 'rgb24' ? out : rgb;
  if (L) composeLab(L, ab, abWidth, abHeight, width, height, map, target, from, to);
  else composeLabGray(rgb, ab, abWidth, abHeight, width, height, map, target, from, to);
  if (outFmt === 'yuv420p') rgbToYuv420Rows(rgb, from * width * 3, width, height, from, to - from, out);
}
