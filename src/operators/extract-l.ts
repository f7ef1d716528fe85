// Stage: CIE L* of every pixel at full resolution. Gray sources (R = G = B) take the exact
// 256-entry table; colour sources go through linear-light Y and an interpolated cube-root table.
//
// For a gray frame the full-resolution L plane is not built here: the frame's own rgb24 bytes
// already say everything (L* = table[code]), so the resize and compose stages read the codes
// directly (see GRAY_CODES) and `f.L` is materialised only if something else asks for it.
//
// A frame decoded as yuv420p is gray when its chroma is all 128: its Y plane is then read through
// ffmpeg's own Y -> gray code table (media/gray-codes.ts), one byte a pixel, so L* and everything
// after it are exactly the rgb24 path's. The plane is not rewritten: the stages that read codes
// look each one up in a table anyway (L*, or fy and Y in compose), and take that table through
// the Y -> code table once per process instead of a pass over every pixel. Otherwise (a colour source)
// L* comes from RGB made from the frame's Y'CbCr (color/yuv.ts: close to, not bit-equal with,
// ffmpeg's conversion), through a table of L* by Y' per chroma pair (color/yuv-to-l.ts).
//
// With a pixel pool (src/pool) and a frame in shared memory, the gray test and the L plane are
// made in bands on the pool's threads; the result is the same.
import { concatMap, map, type OperatorFunction } from 'rxjs';
import { rgbToL, isGrayRgb, grayRgbToL, GRAY_TO_L, lOfLuma } from '../color/lab.js';
import { neutralChroma } from '../color/yuv.js';
import { YuvToL } from '../color/yuv-to-l.js';
import { isShared, sharedFloats } from '../core/frame-buffers.js';
import type { PixelPool } from '../pool/pixel-pool.js';
import type { LFrame, RawFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

/** Marks a gray frame whose L plane is computed on demand from its rgb24 codes. */
export const GRAY_CODES: unique symbol = Symbol('chroma.grayCodes');

export interface GrayCodesState {
  /** The materialised plane, once someone asked for `f.L` (then stages use it as usual). */
  L: Float32Array | null;
  /** Set by composition, which may overwrite the codes with the colour frame. */
  composed: boolean;
  /** The gray codes: every `stride`-th byte (3: the rgb24 frame's own bytes; 1: a yuv420p frame's Y plane, read through `yToCode`). */
  codes: Uint8Array;
  stride: 1 | 3;
  /** For a Y plane: the code of each Y value (media/gray-codes.ts); null when the bytes are the codes. */
  yToCode: Uint8Array | null;
}

export type MaybeGrayCodes = { [GRAY_CODES]?: GrayCodesState };

/** The frame's lazy-L state when its L* can still be read from its gray codes, else null. */
export function grayCodesOf(f: object): GrayCodesState | null {
  const s = (f as MaybeGrayCodes)[GRAY_CODES];
  return s && !s.L && !s.composed ? s : null;
}

/** The record of a gray frame: `L` made from its codes when first read. */
function asGrayFrame(f: RawFrame, codes: Uint8Array, stride: 1 | 3, yToCode: Uint8Array | null = null): LFrame {
  const n = f.width * f.height;
  const state: GrayCodesState = { L: null, composed: false, codes, stride, yToCode };
  Object.defineProperty(f, 'L', {
    configurable: true,
    enumerable: true,
    get(this: RawFrame): Float32Array {
      if (!state.L) {
        state.L = new Float32Array(n);
        // After composition the bytes are the colour frame, whose L* is the source's (up to
        // rounding and gamut clipping).
        if (state.composed) rgbToL(this.rgb, state.L, n);
        else if (stride === 3) grayRgbToL(codes, state.L, n);
        else {
          const table = yToCode ? lOfLuma(yToCode) : GRAY_TO_L;
          for (let i = 0; i < n; i++) state.L[i] = table[codes[i]];
        }
      }
      return state.L;
    },
    set(v: Float32Array) {
      state.L = v;
    },
  });
  return Object.assign(f, { [GRAY_CODES]: state, gray: true }) as unknown as LFrame;
}

/** A yuv420p frame whose chroma is neutral: its Y plane, read through the Y -> code table. */
function asGrayYuv(f: RawFrame): LFrame {
  f.yuv!.gray = true;
  return asGrayFrame(f, f.yuv!.planes.subarray(0, f.width * f.height), 1, f.yuv!.codes);
}

/** This thread's L* tables by chroma pair, for colour yuv420p frames. */
let yuvToL: YuvToL | null = null;

function extractOne(f: RawFrame): LFrame {
  const n = f.width * f.height;
  const yuv = f.yuv;
  if (yuv && neutralChroma(yuv.planes, f.width, f.height, 0, f.height)) return asGrayYuv(f);
  if (!yuv && isGrayRgb(f.rgb, n)) return asGrayFrame(f, f.rgb, 3);
  const L = new Float32Array(n);
  if (yuv) (yuvToL ??= new YuvToL()).rows(yuv.planes, f.width, f.height, yuv.matrix, 0, f.height, L);
  else rgbToL(f.rgb, L, n);
  return Object.assign(f, { L, gray: false });
}

/** The same on the pool's threads: the gray test per band, then (colour frames) L per band. */
async function extractPooled(f: RawFrame, pool: PixelPool): Promise<{ frame: LFrame; ms: number }> {
  if (f.yuv) return extractPooledYuv(f, pool);
  const { rgb, width } = f;
  const bands = pool.bands(f.height);
  const test = await pool.run(bands.map(([from, to]) => ({ kind: 'gray', rgb, width, from, to })));
  if (test.values.every(Boolean)) return { frame: asGrayFrame(f, rgb, 3), ms: test.ms };
  const L = sharedFloats(width * f.height);
  const made = await pool.run(bands.map(([from, to]) => ({ kind: 'l', rgb, L, width, from, to })));
  return { frame: Object.assign(f, { L, gray: false }), ms: test.ms + made.ms };
}

/** The same for a yuv420p frame: the chroma test, then (colour frames) the L plane, in bands of row pairs. */
async function extractPooledYuv(f: RawFrame, pool: PixelPool): Promise<{ frame: LFrame; ms: number }> {
  const { width, height } = f;
  const { planes: yuv, matrix } = f.yuv!;
  const bands = pool.bands(height, 2);
  const test = await pool.run(bands.map(([from, to]) => ({ kind: 'neutral', yuv, width, height, from, to })));
  if (test.values.every(Boolean)) return { frame: asGrayYuv(f), ms: test.ms };
  const L = sharedFloats(width * height);
  const made = await pool.run(bands.map(([from, to]) => ({ kind: 'lyuv', yuv, L, width, height, matrix, from, to })));
  return { frame: Object.assign(f, { L, gray: false }), ms: test.ms + made.ms };
}

/** The stage; with `pool`, frames in shared memory are done on its threads (others here). */
export function extractL(timer?: StageTimer, pool?: PixelPool | null): OperatorFunction<RawFrame, LFrame> {
  const here = (f: RawFrame): LFrame => {
    const t0 = performance.now();
    const out = extractOne(f);
    timer?.add('l', performance.now() - t0);
    return out;
  };
  if (!pool) return map(here);
  return concatMap(async (f) => {
    if (!isShared(f.yuv ? f.yuv.planes : f.rgb)) return here(f);
    const { frame, ms } = await extractPooled(f, pool);
    // The threads' CPU time: the stage's cost, whichever thread paid it.
    timer?.add('l', ms);
    return frame;
  });
}
