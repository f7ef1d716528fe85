// CIE Lab (D65) <-> sRGB for whole frames. The per-pixel nonlinearities (sRGB decode, the cube
// root of L*, sRGB encode) all go through lookup tables built once, so the hot loops are a few
// multiplies and array reads per pixel, with no Math.pow and no allocation.

// sRGB (IEC 61966-2-1) primaries, D65 white: linear RGB -> XYZ, and its inverse.
const M_RGB2XYZ = [
  0.4124564, 0.3575761, 0.1804375,
  0.2126729, 0.7151522, 0.072175,
  0.0193339, 0.119192, 0.9503041,
];
const M_XYZ2RGB = [
  3.2404542, -1.5371385, -0.4985314,
  -0.969266, 1.8760108, 0.041556,
  0.0556434, -0.2040259, 1.0572252,
];
/** D65 reference white (Y = 1). */
export const WHITE_D65 = { X: 0.95047, Y: 1, Z: 1.08883 };

const EPS = 216 / 24389; // (6/29)^3
const KAPPA = 24389 / 27;

export function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}
export function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}
function labF(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}
function labFInv(f: number): number {
  const f3 = f * f * f;
  return f3 > EPS ? f3 : (116 * f - 16) / KAPPA;
}

/** Exact reference conversion of one sRGB pixel (0..255) to Lab. Used by tests and table builders. */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const R = srgbToLinear(r / 255), G = srgbToLinear(g / 255), B = srgbToLinear(b / 255);
  const X = M_RGB2XYZ[0] * R + M_RGB2XYZ[1] * G + M_RGB2XYZ[2] * B;
  const Y = M_RGB2XYZ[3] * R + M_RGB2XYZ[4] * G + M_RGB2XYZ[5] * B;
  const Z = M_RGB2XYZ[6] * R + M_RGB2XYZ[7] * G + M_RGB2XYZ[8] * B;
  const fx = labF(X / WHITE_D65.X), fy = labF(Y), fz = labF(Z / WHITE_D65.Z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Exact reference conversion of one Lab colour to sRGB in 0..255 (unclamped, unrounded). */
export function labToSrgb(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116;
  const X = WHITE_D65.X * labFInv(fy + a / 500), Y = labFInv(fy), Z = WHITE_D65.Z * labFInv(fy - b / 200);
  const R = M_XYZ2RGB[0] * X + M_XYZ2RGB[1] * Y + M_XYZ2RGB[2] * Z;
  const G = M_XYZ2RGB[3] * X + M_XYZ2RGB[4] * Y + M_XYZ2RGB[5] * Z;
  const B = M_XYZ2RGB[6] * X + M_XYZ2RGB[7] * Y + M_XYZ2RGB[8] * Z;
  return [255 * linearToSrgb(R), 255 * linearToSrgb(G), 255 * linearToSrgb(B)];
}

// ---- lookup tables -------------------------------------------------------------------------

/** Linear-light Y contribution of each 8-bit channel value, per channel. */
const Y_OF_R = new Float32Array(256);
const Y_OF_G = new Float32Array(256);
const Y_OF_B = new Float32Array(256);
/** L* of a gray pixel (R = G = B = v): exact, the fast path for black-and-white sources. */
const L_OF_GRAY = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  const lin = srgbToLinear(v / 255);
  Y_OF_R[v] = M_RGB2XYZ[3] * lin;
  Y_OF_G[v] = M_RGB2XYZ[4] * lin;
  Y_OF_B[v] = M_RGB2XYZ[5] * lin;
  L_OF_GRAY[v] = 116 * labF(lin) - 16; // rows of M sum to Y = 1 for white, so gray Y = lin
}
/** L*(Y) sampled on a fine grid over Y in [0, 1], read with linear interpolation (error < 1e-5 L). */
const Y_STEPS = 65536;
const L_OF_Y = new Float32Array(Y_STEPS + 2);
for (let i = 0; i <= Y_STEPS + 1; i++) L_OF_Y[i] = 116 * labF(Math.min(i, Y_STEPS) / Y_STEPS) - 16;

/** sRGB encode: linear light [0, 1] quantised to 1/ENC_STEPS, to the rounded 8-bit code. */
const ENC_STEPS = 65535;
const ENCODE = new Uint8Array(ENC_STEPS + 1);
for (let i = 0; i <= ENC_STEPS; i++) ENCODE[i] = Math.round(255 * linearToSrgb(i / ENC_STEPS));

/**
 * CIE L* of every pixel of a packed rgb24 frame into `out`. Returns true when the frame is gray
 * (every pixel R = G = B), in which case each L* came straight from the exact 256-entry table.
 */
export function rgbToL(rgb: Uint8Array, out: Float32Array, pixels: number): boolean {
  let gray = true;
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    const r = rgb[p], g = rgb[p + 1], b = rgb[p + 2];
    if (r === g && g === b) {
      out[i] = L_OF_GRAY[r];
    } else {
      gray = false;
      const y = (Y_OF_R[r] + Y_OF_G[g] + Y_OF_B[b]) * Y_STEPS;
      const k = y | 0;
      const t = y - k;
      out[i] = L_OF_Y[k] + (L_OF_Y[k + 1] - L_OF_Y[k]) * t;
    }
  }
  return gray;
}

/** Per-size tables for bilinear upsampling of the ab planes (half-pixel centres, edges clamped). */
export interface UpsampleMap {
  x0: Int32Array; x1: Int32Array; wx: Float32Array;
  y0: Int32Array; y1: Int32Array; wy: Float32Array;
  /** Scratch rows holding the vertically interpolated a and b of one output row. */
  rowA: Float32Array; rowB: Float32Array;
}

function axisMap(outN: number, inN: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(outN), i1 = new Int32Array(outN), w = new Float32Array(outN);
  const scale = inN / outN;
  for (let o = 0; o < outN; o++) {
    let src = (o + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    if (src > inN - 1) src = inN - 1;
    const k = Math.floor(src);
    i0[o] = k;
    i1[o] = Math.min(k + 1, inN - 1);
    w[o] = src - k;
  }
  return { i0, i1, w };
}

export function makeUpsampleMap(width: number, height: number, abWidth: number, abHeight: number): UpsampleMap {
  const x = axisMap(width, abWidth), y = axisMap(height, abHeight);
  return {
    x0: x.i0, x1: x.i1, wx: x.w, y0: y.i0, y1: y.i1, wy: y.w,
    rowA: new Float32Array(abWidth), rowB: new Float32Array(abWidth),
  };
}

/**
 * Compose the colour frame: ab (planar, abWidth x abHeight) upsampled bilinearly to the frame,
 * joined with the full-resolution L, converted to sRGB rgb24 into `out`.
 */
export function composeLab(
  L: Float32Array, ab: Float32Array, abWidth: number, abHeight: number,
  width: number, height: number, map: UpsampleMap, out: Uint8Array,
): void {
  const { x0, x1, wx, y0, y1, wy, rowA, rowB } = map;
  const planeB = abWidth * abHeight;
  const Xn = WHITE_D65.X, Zn = WHITE_D65.Z;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = M_XYZ2RGB;
  const lin = (116 / KAPPA);
  for (let y = 0; y < height; y++) {
    // Vertical interpolation once per row, horizontal per pixel.
    const r0 = y0[y] * abWidth, r1 = y1[y] * abWidth, t = wy[y], s = 1 - t;
    for (let i = 0; i < abWidth; i++) {
      rowA[i] = ab[r0 + i] * s + ab[r1 + i] * t;
      rowB[i] = ab[planeB + r0 + i] * s + ab[planeB + r1 + i] * t;
    }
    let p = y * width;
    let q = p * 3;
    for (let x = 0; x < width; x++, p++, q += 3) {
      const xa = x0[x], xb = x1[x], u = wx[x];
      const a = rowA[xa] + (rowA[xb] - rowA[xa]) * u;
      const b = rowB[xa] + (rowB[xb] - rowB[xa]) * u;
      const fy = (L[p] + 16) / 116;
      const fx = fy + a / 500, fz = fy - b / 200;
      const Y = fy > 6 / 29 ? fy * fy * fy : (fy - 16 / 116) * lin;
      const X = Xn * (fx > 6 / 29 ? fx * fx * fx : (fx - 16 / 116) * lin);
      const Z = Zn * (fz > 6 / 29 ? fz * fz * fz : (fz - 16 / 116) * lin);
      let R = m0 * X + m1 * Y + m2 * Z;
      let G = m3 * X + m4 * Y + m5 * Z;
      let B = m6 * X + m7 * Y + m8 * Z;
      // Clamp out-of-gamut colours per channel, then encode through the table.
      R = R < 0 ? 0 : R > 1 ? 1 : R;
      G = G < 0 ? 0 : G > 1 ? 1 : G;
      B = B < 0 ? 0 : B > 1 ? 1 : B;
      out[q] = ENCODE[(R * ENC_STEPS + 0.5) | 0];
      out[q + 1] = ENCODE[(G * ENC_STEPS + 0.5) | 0];
      out[q + 2] = ENCODE[(B * ENC_STEPS + 0.5) | 0];
    }
  }
}
