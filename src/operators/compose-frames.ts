// Stage: the colour frame. ab is upsampled bilinearly to the frame and joined with the original
// full-resolution L, then converted to sRGB through lookup tables, in place into the frame's own
// rgb buffer (its pixels are no longer needed once L is extracted): no allocation per frame.
// Gray frames whose L plane was never built read L* from their own codes, pixel by pixel, just
// before overwriting them. The arithmetic runs in WebAssembly SIMD where available
// (src/color/compose-simd.ts), else in the JS loops of src/color/lab.ts; both give the same bytes
// up to +-1 code in rare pixels. With a pixel pool, frames in shared memory are composed in bands
// on its threads, with the same kernels (same bytes).
//
// For an encoder that takes yuv420p (`output.format`), the frame is written as BT.709 tv-range
// Y'CbCr 4:2:0 into a buffer of its own (color/yuv.ts), so the pipe carries half the bytes and
// ffmpeg converts nothing.
import { concatMap, map, type OperatorFunction } from 'rxjs';
import { makeUpsampleMap, type UpsampleMap } from '../color/lab.js';
import { simdComposer } from '../color/compose-simd.js';
import { composeBand } from '../color/compose-band.js';
import { isShared, sharedFloats, type FrameBuffers } from '../core/frame-buffers.js';
import { grayCodesOf } from './extract-l.js';
import type { PixelPool } from '../pool/pixel-pool.js';
import { frameBytes, type AbFrame, type ColorFrame, type PixelFormat } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

/** Where composed frames go: their layout, and (yuv420p) where their buffers come from. */
export interface ComposeOutput {
  /** rgb24: in place over the frame's own bytes; yuv420p (even sizes only): a buffer of its own. Default rgb24. */
  format: PixelFormat;
  /** yuv420p buffers of the frame's size (shared memory, recycled by the encoder). Default: a fresh Buffer a frame. */
  buffers?: FrameBuffers | null;
}

export function composeFrames<T extends AbFrame>(timer?: StageTimer, pool?: PixelPool | null, output?: ComposeOutput): OperatorFunction<T, T & ColorFrame> {
  const simd = simdComposer();
  const outFmt: PixelFormat = output?.format ?? 'rgb24';
  const outBuffer = (f: T): Buffer => {
    if (outFmt === 'rgb24') return f.rgb;
    const bytes = frameBytes(outFmt, f.width, f.height);
    return output?.buffers?.bytes === bytes ? output.buffers.take() : Buffer.allocUnsafe(bytes);
  };
  const done = (f: T, out: Buffer): T & ColorFrame => Object.assign(f, outFmt === 'rgb24' ? { out } : { out, outFormat: outFmt });
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
    const out = outBuffer(f);
    composeBand(simd, codes ? null : f.L, codes?.codes ?? null, codes?.stride ?? 3, f.ab, f.abWidth, f.abHeight, f.width, f.height, upsample, out, outFmt, 0, f.height, codes?.yToCode ?? null);
    // The codes may be overwritten (in place, or as scratch on the way to yuv420p).
    if (codes) codes.composed = true;
    timer?.add('compose', performance.now() - t0);
    return done(f, out);
  };
  if (!pool) return map(here);
  // The ab plane (model-output size, tens of KB) is copied into shared memory the threads read;
  // one plane serves every frame, as this stage composes one frame at a time.
  let ab = sharedFloats(0);
  return concatMap(async (f) => {
    const codes = grayCodesOf(f);
    const L = codes ? null : f.L;
    if ((codes && !isShared(codes.codes)) || (L && !isShared(L))) return here(f);
    const out = outBuffer(f);
    if (!isShared(out)) {
      output?.buffers?.give(out);
      return here(f);
    }
    const abLength = 2 * f.abWidth * f.abHeight;
    if (ab.length < abLength) ab = sharedFloats(abLength);
    ab.set(f.ab.subarray(0, abLength));
    const { ms } = await pool.run(pool.bands(f.height, outFmt === 'yuv420p' ? 2 : 1).map(([from, to]) => ({
      kind: 'compose', L, codes: codes?.codes ?? null, stride: codes?.stride ?? 3, yToCode: codes?.yToCode ?? null, ab, abWidth: f.abWidth, abHeight: f.abHeight, width: f.width, height: f.height, from, to, out, outFmt,
    })));
    if (codes) codes.composed = true;
    timer?.add('compose', ms);
    return done(f, out);
  });
}
