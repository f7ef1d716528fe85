// The work one pixel-pool thread does on one band of a frame: rows [from, to) of a stage whose
// output rows depend only on their own input (extract L, resize for the model, compose). Every plane
// lives in shared memory, so a task moves no pixels: it names the planes and the rows. The same
// kernels as the single-thread stages (src/color, SIMD included) run here, on the band, so the
// bytes are the same as the single-thread path's.
import { rgbToL, isGrayRgb, makeUpsampleMap, GRAY_TO_L, lOfLuma, type UpsampleMap } from '../color/lab.js';
import { simdComposer } from '../color/compose-simd.js';
import { composeBand } from '../color/compose-band.js';
import { neutralChroma } from '../color/yuv.js';
import { YuvToL } from '../color/yuv-to-l.js';
import type { PixelFormat, YuvMatrix } from '../core/frames.js';
import { PlaneResampler } from '../color/resample.js';

/** Are rows [from, to) of an rgb24 frame gray (R = G = B)? Replies a boolean. */
export interface GrayTask { kind: 'gray'; rgb: Uint8Array; width: number; from: number; to: number }
/** L* of rows [from, to) of a colour frame into `L`. */
export interface LTask { kind: 'l'; rgb: Uint8Array; L: Float32Array; width: number; from: number; to: number }
/** Is the chroma of rows [from, to) of a yuv420p frame neutral (128)? Replies a boolean. */
export interface NeutralTask { kind: 'neutral'; yuv: Uint8Array; width: number; height: number; from: number; to: number }
/** L* of rows [from, to) of a colour yuv420p frame into `L`. */
export interface LYuvTask { kind: 'lyuv'; yuv: Uint8Array; L: Float32Array; width: number; height: number; matrix: YuvMatrix; from: number; to: number }
/** Model rows [from, to): area-resampled L (from `L`, or from gray `codes`) and the normalised input. */
export interface ResizeTask {
  kind: 'resize';
  L: Float32Array | null;
  codes: Uint8Array | null;
  /** Bytes between two pixels' codes (3 in rgb24, 1 in a code plane). */
  stride: 1 | 3;
  /** The code of each luma value when `codes` is a yuv420p frame's Y plane (extract-l.ts); else null. */
  yToCode: Uint8Array | null;
  width: number; height: number; outWidth: number; outHeight: number;
  modelL: Float32Array; modelInput: Float32Array; lOffset: number; lScale: number;
  from: number; to: number;
}
/** Frame rows [from, to) composed into `out` as `outFmt` (from gray codes `codes` when `L` is null; `out` may be them, rgb24). */
export interface ComposeTask {
  kind: 'compose';
  L: Float32Array | null; codes: Uint8Array | null; stride: 1 | 3; yToCode: Uint8Array | null; ab: Float32Array; abWidth: number; abHeight: number;
  width: number; height: number; from: number; to: number; out: Uint8Array; outFmt: PixelFormat;
}
export type PixelTask = GrayTask | LTask | NeutralTask | LYuvTask | ResizeTask | ComposeTask;

/** Per-thread caches: the resampler and upsampling tables of the last geometry seen, L* tables by chroma pair. */
export class TaskRunner {
  private resampler: PlaneResampler | null = null;
  private upsample: UpsampleMap | null = null;
  private upsampleKey = '';
  private readonly simd = simdComposer();
  private readonly yuvToL = new YuvToL();

  run(t: PixelTask): boolean | null {
    switch (t.kind) {
      case 'gray': {
        const w3 = t.width * 3;
        return isGrayRgb(t.rgb.subarray(t.from * w3, t.to * w3), (t.to - t.from) * t.width);
      }
      case 'l': {
        const w = t.width;
        rgbToL(t.rgb.subarray(t.from * w * 3, t.to * w * 3), t.L.subarray(t.from * w, t.to * w), (t.to - t.from) * w);
        return null;
      }
      case 'neutral':
        return neutralChroma(t.yuv, t.width, t.height, t.from, t.to);
      case 'lyuv':
        this.yuvToL.rows(t.yuv, t.width, t.height, t.matrix, t.from, t.to, t.L);
        return null;
      case 'resize': {
        let r = this.resampler;
        if (!r || r.inWidth !== t.width || r.inHeight !== t.height || r.outWidth !== t.outWidth || r.outHeight !== t.outHeight) {
          r = this.resampler = new PlaneResampler(t.width, t.height, t.outWidth, t.outHeight);
        }
        if (t.codes) r.runCodes(t.codes, t.stride, t.yToCode ? lOfLuma(t.yToCode) : GRAY_TO_L, t.modelL, t.from, t.to);
        else r.run(t.L!, t.modelL, t.from, t.to);
        const { modelL, modelInput, lOffset, lScale } = t;
        for (let i = t.from * t.outWidth, end = t.to * t.outWidth; i < end; i++) modelInput[i] = (modelL[i] - lOffset) * lScale;
        return null;
      }
      case 'compose': {
        const key = `${t.width}x${t.height}<${t.abWidth}x${t.abHeight}`;
        if (key !== this.upsampleKey || !this.upsample) {
          this.upsample = makeUpsampleMap(t.width, t.height, t.abWidth, t.abHeight);
          this.upsampleKey = key;
        }
        composeBand(this.simd, t.L, t.codes, t.stride, t.ab, t.abWidth, t.abHeight, t.width, t.height, this.upsample, t.out, t.outFmt, t.from, t.to, t.yToCode);
        return null;
      }
    }
  }
}
