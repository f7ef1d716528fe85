// Packed sRGB (rgb24) to planar CIE Lab (D65), the colour space every chroma metric works in. The
// sRGB decode goes through a 256-entry table; the cube root is Math.cbrt. Matches
// src/color/lab.ts's reference srgbToLab to float precision.
import { srgbToLinear, WHITE_D65 } from '../color/lab.js';

const LIN = new Float32Array(256);
for (let v = 0; v < 256; v++) LIN[v] = srgbToLinear(v / 255);
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;
const f = (t: number) => (t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116);

/** Planar Lab of one frame. */
export interface LabPlanes {
  width: number;
  height: number;
  L: Float32Array;
  a: Float32Array;
  b: Float32Array;
}

export function allocLab(width: number, height: number): LabPlanes {
  const n = width * height;
  return { width, height, L: new Float32Array(n), a: new Float32Array(n), b: new Float32Array(n) };
}

/** Convert `rgb` (packed, width * height pixels) into `out`'s planes. */
export function rgbToLabPlanes(rgb: Uint8Array, out: LabPlanes): void {
  const { L, a, b } = out;
  const n = out.width * out.height;
  const ix = 1 / WHITE_D65.X, iz = 1 / WHITE_D65.Z;
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const R = LIN[rgb[p]], G = LIN[rgb[p + 1]], B = LIN[rgb[p + 2]];
    const X = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) * ix;
    const Y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
    const Z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) * iz;
    const fx = f(X), fy = f(Y), fz = f(Z);
    L[i] = 116 * fy - 16;
    a[i] = 500 * (fx - fy);
    b[i] = 200 * (fy - fz);
  }
}
