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

/** L* of each gray code (R = G = B = v), the exact table rgbToL uses for gray pixels. */
export const GRAY_TO_L: Float32Array = L_OF_GRAY;

let lumaTable: { yToCode: Uint8Array; table: Float32Array } | null = null;

/**
 * L* of each luma value whose gray code is `yToCode[Y]` (GRAY_TO_L through it): the same array
 * while the table's content is the same (threads receive copies), so per-table caches keep it.
 */
export function lOfLuma(yToCode: Uint8Array): Float32Array {
  if (!lumaTable || lumaTable.yToCode.some((c, i) => c !== yToCode[i])) {
    lumaTable = { yToCode: Uint8Array.from(yToCode), table: Float32Array.from(yToCode, (c) => L_OF_GRAY[c]) };
  }
  return lumaTable.table;
}

/**
 * Byte masks for the gray test on 32-bit words: x[i] ^ x[i + 1] must be 0 where i is a pixel's R
 * or G byte (i % 3 = 0 or 1). The byte positions repeat every 3 words (12 bytes = 4 pixels).
 */
const GRAY_MASKS = (() => {
  const m = new Uint32Array(3);
  for (let byte = 0; byte < 12; byte++) if (byte % 3 !== 2) m[(byte / 4) | 0] |= 0xff << (8 * (byte % 4));
  return m;
})();
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** True when every pixel of a packed rgb24 frame has R = G = B. */
export function isGrayRgb(rgb: Uint8Array, pixels: number): boolean {
  const end = pixels * 3;
  let p = 0;
  if (LITTLE_ENDIAN && rgb.byteOffset % 4 === 0 && end >= 16) {
    // Four pixels per step on 32-bit words: w ^ (w >> 8 | next << 24) compares each byte with the
    // one after it; the masks keep the R-G and G-B pairs.
    const words = new Uint32Array(rgb.buffer, rgb.byteOffset, (end >> 2) - 1);
    const [m0, m1, m2] = GRAY_MASKS;
    const groups = ((words.length - 1) / 3) | 0;
    let diff = 0;
    for (let g = 0, w = 0; g < groups; g++, w += 3) {
      const a = words[w], b = words[w + 1], c = words[w + 2], d = words[w + 3];
      diff |= ((a ^ ((a >>> 8) | (b << 24))) & m0) | ((b ^ ((b >>> 8) | (c << 24))) & m1) | ((c ^ ((c >>> 8) | (d << 24))) & m2);
      if ((g & 1023) === 1023 && diff !== 0) return false;
    }
    if (diff !== 0) return false;
    p = groups * 12;
  }
  for (; p < end; p += 3) {
    const r = rgb[p];
    if (r !== rgb[p + 1] || r !== rgb[p + 2]) return false;
  }
  return true;
}

/** L* of a gray rgb24 frame (R = G = B everywhere) from its codes. */
export function grayRgbToL(rgb: Uint8Array, out: Float32Array, pixels: number): void {
  for (let i = 0, p = 0; i < pixels; i++, p += 3) out[i] = L_OF_GRAY[rgb[p]];
}

/** Per-size tables for bilinear upsampling of the ab planes (half-pixel centres, edges clamped). */
export interface UpsampleMap {
  x0: Int32Array; x1: Int32Array; wx: Float32Array;
  y0: Int32Array; y1: Int32Array; wy: Float32Array;
  /** Scratch rows holding the vertically interpolated a and b of one output row (kept for callers). */
  rowA: Float32Array; rowB: Float32Array;
  /**
   * Scratch: every ab row upsampled horizontally to the frame width, already scaled to the Lab
   * f-space offsets (a / 500 and b / 200): abHeight x width each. Filled once per frame, so a
   * pixel's chroma is two contiguous reads and a lerp.
   */
  hA: Float32Array; hB: Float32Array;
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
    hA: new Float32Array(abHeight * width), hB: new Float32Array(abHeight * width),
  };
}

// Lab -> XYZ: X = Xn f^-1(fy + a/500), Y = f^-1(fy), Z = Zn f^-1(fy - b/200). The white point is
// folded into the XYZ -> linear sRGB matrix columns.
const [M0, M1, M2, M3, M4, M5, M6, M7, M8] = M_XYZ2RGB;
const K0 = M0 * WHITE_D65.X, K1 = M1, K2 = M2 * WHITE_D65.Z;
const K3 = M3 * WHITE_D65.X, K4 = M4, K5 = M5 * WHITE_D65.Z;
const K6 = M6 * WHITE_D65.X, K7 = M7, K8 = M8 * WHITE_D65.Z;
const F_KNEE = 6 / 29;
const F_OFF = 16 / 116;
const F_LIN = 116 / KAPPA; // slope of f^-1 below the knee
/** fy = (L + 16) / 116 and Y = f^-1(fy) for each gray code's exact L*. */
const FY_OF_GRAY = new Float64Array(256);
const Y_OF_GRAY = new Float64Array(256);
for (let v = 0; v < 256; v++) {
  const fy = (L_OF_GRAY[v] + 16) / 116;
  FY_OF_GRAY[v] = fy;
  Y_OF_GRAY[v] = fy > F_KNEE ? fy * fy * fy : (fy - F_OFF) * F_LIN;
}

/** Fill map.hA / map.hB: the ab rows output rows [from, to) read, upsampled to the frame width, scaled to f-space offsets. */
function upsampleRows(ab: Float32Array, abWidth: number, abHeight: number, width: number, map: UpsampleMap, from: number, to: number): void {
  if (to > from) upsampleAbRows(ab, abWidth, abHeight, width, map, map.hA, map.hB, map.y0[from], map.y1[to - 1] + 1);
}

/** Each ab row upsampled horizontally to `width` into hA / hB, scaled to a / 500 and b / 200. */
export function upsampleAbRows(
  ab: Float32Array, abWidth: number, abHeight: number, width: number, map: UpsampleMap, hA: Float32Array, hB: Float32Array,
  jFrom = 0, jTo = abHeight,
): void {
  const { x0, x1, wx } = map;
  const planeB = abWidth * abHeight;
  for (let j = jFrom; j < jTo; j++) {
    const r = j * abWidth, o = j * width;
    for (let x = 0; x < width; x++) {
      const k0 = r + x0[x], k1 = r + x1[x], u = wx[x];
      hA[o + x] = (ab[k0] + (ab[k1] - ab[k0]) * u) * (1 / 500);
      hB[o + x] = (ab[planeB + k0] + (ab[planeB + k1] - ab[planeB + k0]) * u) * (1 / 200);
    }
  }
}

/** The constants of the Lab -> linear sRGB step, for other implementations (compose-simd.ts). */
export const LAB_TO_RGB = { k: [K0, K1, K2, K3, K4, K5, K6, K7, K8], knee: F_KNEE, off: F_OFF, lin: F_LIN } as const;
/** sRGB encode table: index round(linear * (length - 1)) -> 8-bit code. */
export const ENCODE_TABLE: Uint8Array = ENCODE;
/** fy = (L* + 16) / 116 and Y = f^-1(fy) of each gray code. */
export const FY_OF_GRAY_TABLE: Float64Array = FY_OF_GRAY;
export const Y_OF_GRAY_TABLE: Float64Array = Y_OF_GRAY;

/**
 * One pixel: L* (or, when `L` is null, the gray code's exact L*) with f-space chroma offsets
 * fa = a / 500, fb = b / 200, written as rgb24 at out[q..q+2].
 */
export function composeLabPixel(L: number | null, code: number, fa: number, fb: number, out: Uint8Array, q: number): void {
  const fy = L === null ? FY_OF_GRAY[code] : (L + 16) * (1 / 116);
  const Y = L === null ? Y_OF_GRAY[code] : fy > F_KNEE ? fy * fy * fy : (fy - F_OFF) * F_LIN;
  const fx = fy + fa, fz = fy - fb;
  const X = fx > F_KNEE ? fx * fx * fx : (fx - F_OFF) * F_LIN;
  const Z = fz > F_KNEE ? fz * fz * fz : (fz - F_OFF) * F_LIN;
  const R = K0 * X + K1 * Y + K2 * Z, G = K3 * X + K4 * Y + K5 * Z, B = K6 * X + K7 * Y + K8 * Z;
  out[q] = R <= 0 ? 0 : R >= 1 ? 255 : ENCODE[(R * ENC_STEPS + 0.5) | 0];
  out[q + 1] = G <= 0 ? 0 : G >= 1 ? 255 : ENCODE[(G * ENC_STEPS + 0.5) | 0];
  out[q + 2] = B <= 0 ? 0 : B >= 1 ? 255 : ENCODE[(B * ENC_STEPS + 0.5) | 0];
}

/**
 * Compose the colour frame: ab (planar, abWidth x abHeight) upsampled bilinearly to the frame,
 * joined with the full-resolution L, converted to sRGB rgb24 into `out`. Rows [from, to) only
 * when given.
 */
export function composeLab(
  L: Float32Array, ab: Float32Array, abWidth: number, abHeight: number,
  width: number, height: number, map: UpsampleMap, out: Uint8Array, from = 0, to = height,
): void {
  upsampleRows(ab, abWidth, abHeight, width, map, from, to);
  const { y0, y1, wy, hA, hB } = map;
  const enc = ENCODE;
  for (let y = from; y < to; y++) {
    const r0 = y0[y] * width, r1 = y1[y] * width, t = wy[y];
    let p = y * width;
    let q = p * 3;
    for (let x = 0; x < width; x++, p++, q += 3) {
      const a0 = hA[r0 + x], b0 = hB[r0 + x];
      const fy = (L[p] + 16) * (1 / 116);
      const fx = fy + (a0 + (hA[r1 + x] - a0) * t);
      const fz = fy - (b0 + (hB[r1 + x] - b0) * t);
      const Y = fy > F_KNEE ? fy * fy * fy : (fy - F_OFF) * F_LIN;
      const X = fx > F_KNEE ? fx * fx * fx : (fx - F_OFF) * F_LIN;
      const Z = fz > F_KNEE ? fz * fz * fz : (fz - F_OFF) * F_LIN;
      const R = K0 * X + K1 * Y + K2 * Z;
      const G = K3 * X + K4 * Y + K5 * Z;
      const B = K6 * X + K7 * Y + K8 * Z;
      // Out-of-gamut colours are clamped per channel; the rest encoded through the table.
      out[q] = R <= 0 ? 0 : R >= 1 ? 255 : enc[(R * ENC_STEPS + 0.5) | 0];
      out[q + 1] = G <= 0 ? 0 : G >= 1 ? 255 : enc[(G * ENC_STEPS + 0.5) | 0];
      out[q + 2] = B <= 0 ? 0 : B >= 1 ? 255 : enc[(B * ENC_STEPS + 0.5) | 0];
    }
  }
}

/**
 * composeLab for a gray frame given as its rgb24 bytes (R = G = B, checked by the caller): L* of
 * each pixel is the exact table value of its code, so the full-resolution L plane is never built.
 * `out` may be `rgb` itself (each pixel is read before it is written).
 */
export function composeLabGray(
  rgb: Uint8Array, ab: Float32Array, abWidth: number, abHeight: number,
  width: number, height: number, map: UpsampleMap, out: Uint8Array, from = 0, to = height,
): void {
  upsampleRows(ab, abWidth, abHeight, width, map, from, to);
  const { y0, y1, wy, hA, hB } = map;
  const enc = ENCODE, FY = FY_OF_GRAY, YG = Y_OF_GRAY;
  for (let y = from; y < to; y++) {
    const r0 = y0[y] * width, r1 = y1[y] * width, t = wy[y];
    let q = y * width * 3;
    for (let x = 0; x < width; x++, q += 3) {
      const v = rgb[q];
      const a0 = hA[r0 + x], b0 = hB[r0 + x];
      const fy = FY[v];
      const fx = fy + (a0 + (hA[r1 + x] - a0) * t);
      const fz = fy - (b0 + (hB[r1 + x] - b0) * t);
      const Y = YG[v];
      const X = fx > F_KNEE ? fx * fx * fx : (fx - F_OFF) * F_LIN;
      const Z = fz > F_KNEE ? fz * fz * fz : (fz - F_OFF) * F_LIN;
      const R = K0 * X + K1 * Y + K2 * Z;
      const G = K3 * X + K4 * Y + K5 * Z;
      const B = K6 * X + K7 * Y + K8 * Z;
      out[q] = R <= 0 ? 0 : R >= 1 ? 255 : enc[(R * ENC_STEPS + 0.5) | 0];
      out[q + 1] = G <= 0 ? 0 : G >= 1 ? 255 : enc[(G * ENC_STEPS + 0.5) | 0];
      out[q + 2] = B <= 0 ? 0 : B >= 1 ? 255 : enc[(B * ENC_STEPS + 0.5) | 0];
    }
  }
}
