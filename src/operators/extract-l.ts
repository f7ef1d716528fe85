// Stage: CIE L* of every pixel at full resolution. Gray sources (R = G = B) take the exact
// 256-entry table; colour sources go through linear-light Y and an interpolated cube-root table.
//
// For a gray frame the full-resolution L plane is not built here: the frame's own rgb24 bytes
// already say everything (L* = table[code]), so the resize and compose stages read the codes
// directly (see GRAY_CODES) and `f.L` is materialised only if something else asks for it.
import { map, type OperatorFunction } from 'rxjs';
import { rgbToL, isGrayRgb, grayRgbToL } from '../color/lab.js';
import type { LFrame, RawFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

/** Marks a gray frame whose L plane is computed on demand from its rgb24 codes. */
export const GRAY_CODES: unique symbol = Symbol('chroma.grayCodes');

export interface GrayCodesState {
  /** The materialised plane, once someone asked for `f.L` (then stages use it as usual). */
  L: Float32Array | null;
  /** Set by composition, which overwrites the codes with the colour frame. */
  composed: boolean;
}

export type MaybeGrayCodes = { [GRAY_CODES]?: GrayCodesState };

/** The frame's lazy-L state when its L* can still be read from its gray codes, else null. */
export function grayCodesOf(f: object): GrayCodesState | null {
  const s = (f as MaybeGrayCodes)[GRAY_CODES];
  return s && !s.L && !s.composed ? s : null;
}

export function extractL(timer?: StageTimer): OperatorFunction<RawFrame, LFrame> {
  return map((f) => {
    const t0 = performance.now();
    const n = f.width * f.height;
    let out: LFrame;
    if (isGrayRgb(f.rgb, n)) {
      const state: GrayCodesState = { L: null, composed: false };
      Object.defineProperty(f, 'L', {
        configurable: true,
        enumerable: true,
        get(this: RawFrame): Float32Array {
          if (!state.L) {
            state.L = new Float32Array(n);
            // After composition the bytes are the colour frame, whose L* is the source's (up to
            // rounding and gamut clipping).
            if (state.composed) rgbToL(this.rgb, state.L, n);
            else grayRgbToL(this.rgb, state.L, n);
          }
          return state.L;
        },
        set(v: Float32Array) {
          state.L = v;
        },
      });
      out = Object.assign(f, { [GRAY_CODES]: state, gray: true }) as unknown as LFrame;
    } else {
      const L = new Float32Array(n);
      rgbToL(f.rgb, L, n);
      out = Object.assign(f, { L, gray: false });
    }
    timer?.add('l', performance.now() - t0);
    return out;
  });
}
