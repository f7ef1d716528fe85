// sRGB codes to Y'CbCr 4:2:0 (BT.709 matrix, limited "tv" range, 8 bits): what the encoder's
// swscale did to our rgb24 frames before, done here so the encoder's pipe carries half the bytes
// and ffmpeg converts nothing. Chroma is the 2x2 block's average (the encoder tags the stream as
// BT.709 tv, encode-args.ts). Integer arithmetic, 16 fractional bits, rounded to nearest.
//
// The decoding side: a gray source decoded as yuv420p (its codec's own format, so ffmpeg converts
// nothing) is recognised by its chroma (all 128) and its Y read through ffmpeg's own Y -> gray code
// table, which gives the codes the rgb24 decoder gave (extract-l.ts).
import type { YuvMatrix } from '../core/frames.js';

const KR = 0.2126, KB = 0.0722, KG = 1 - KR - KB;
const FIX = 65536;
// Y = 16 + 219/255 (KR R + KG G + KB B)
const YR = Math.round((KR * 219 * FIX) / 255), YG = Math.round((KG * 219 * FIX) / 255), YB = Math.round((KB * 219 * FIX) / 255);
// Cb = 128 + 224/255 (B - Y') / (2 (1 - KB)), Cr = 128 + 224/255 (R - Y') / (2 (1 - KR)); Y' = KR R + KG G + KB B.
const C = (224 * FIX) / 255;
const UR = Math.round((-KR / (2 * (1 - KB))) * C), UG = Math.round((-KG / (2 * (1 - KB))) * C), UB = Math.round(0.5 * C);
const VR = Math.round(0.5 * C), VG = Math.round((-KG / (2 * (1 - KR))) * C), VB = Math.round((-KB / (2 * (1 - KR))) * C);
const Y_BIAS = 16 * FIX + FIX / 2;
// Chroma works on the sum of 4 pixels: 2 more fractional bits.
const C_BIAS = 128 * 4 * FIX + 2 * FIX;

/** The fixed-point coefficients and biases above, for the WebAssembly kernel that repeats this arithmetic (compose-simd.ts). */
export const YUV420_FIXED = { yr: YR, yg: YG, yb: YB, yBias: Y_BIAS, ur: UR, ug: UG, ub: UB, vr: VR, vg: VG, vb: VB, cBias: C_BIAS } as const;

/**
 * Rows [first, first + rows) of a frame, given as packed rgb24 at rgb[at..], into the yuv420p
 * frame `yuv` (width x height, both even); `first` and `rows` are even. Only columns [fromX, width)
 * when given (even): the tail the SIMD kernel leaves.
 */
export function rgbToYuv420Rows(rgb: Uint8Array, at: number, width: number, height: number, first: number, rows: number, yuv: Uint8Array, fromX = 0): void {
  const cw = width >> 1;
  const uPlane = width * height, vPlane = uPlane + cw * (height >> 1);
  const rowBytes = width * 3;
  for (let r = 0; r < rows; r += 2) {
    const y = first + r;
    let p0 = at + r * rowBytes + fromX * 3, p1 = p0 + rowBytes;
    let q0 = y * width + fromX, q1 = q0 + width;
    let c = (y >> 1) * cw + (fromX >> 1);
    for (let x = fromX; x < width; x += 2, p0 += 6, p1 += 6, q0 += 2, q1 += 2, c++) {
      const r0 = rgb[p0], g0 = rgb[p0 + 1], b0 = rgb[p0 + 2];
      const r1 = rgb[p0 + 3], g1 = rgb[p0 + 4], b1 = rgb[p0 + 5];
      const r2 = rgb[p1], g2 = rgb[p1 + 1], b2 = rgb[p1 + 2];
      const r3 = rgb[p1 + 3], g3 = rgb[p1 + 4], b3 = rgb[p1 + 5];
      yuv[q0] = (YR * r0 + YG * g0 + YB * b0 + Y_BIAS) >> 16;
      yuv[q0 + 1] = (YR * r1 + YG * g1 + YB * b1 + Y_BIAS) >> 16;
      yuv[q1] = (YR * r2 + YG * g2 + YB * b2 + Y_BIAS) >> 16;
      yuv[q1 + 1] = (YR * r3 + YG * g3 + YB * b3 + Y_BIAS) >> 16;
      const sr = r0 + r1 + r2 + r3, sg = g0 + g1 + g2 + g3, sb = b0 + b1 + b2 + b3;
      yuv[uPlane + c] = (UR * sr + UG * sg + UB * sb + C_BIAS) >> 18;
      yuv[vPlane + c] = (VR * sr + VG * sg + VB * sb + C_BIAS) >> 18;
    }
  }
}

// ---- decoding side: yuv420p frames from the decoder --------------------------------------------

/**
 * The aligned 32-bit words inside bytes [from, to) of `a`: [first byte, end byte, the words]. Four
 * bytes a step, for the per-byte test below (each byte keeps its place in its word, so byte
 * order does not matter).
 */
function wordsWithin(a: Uint8Array, from: number, to: number): [number, number, Uint32Array] {
  const start = from + ((4 - ((a.byteOffset + from) & 3)) & 3);
  if (start >= to) return [to, to, new Uint32Array(0)];
  const count = (to - start) >> 2;
  return [start, start + 4 * count, new Uint32Array(a.buffer, a.byteOffset + start, count)];
}

/** True when the chroma rows of frame rows [from, to) (a yuv420p frame, even sizes) are all 128: a gray picture. */
export function neutralChroma(yuv: Uint8Array, width: number, height: number, from: number, to: number): boolean {
  const cw = width >> 1, ch = height >> 1;
  const u = width * height, v = u + cw * ch;
  const r0 = from >> 1, r1 = Math.min(ch, (to + 1) >> 1);
  for (const plane of [u, v]) {
    const a = plane + r0 * cw, b = plane + r1 * cw;
    const [start, end, words] = wordsWithin(yuv, a, b);
    let diff = 0;
    for (let i = 0; i < words.length; i++) diff |= words[i] ^ 0x80808080;
    for (let i = a; i < start; i++) diff |= yuv[i] ^ 128;
    for (let i = end; i < b; i++) diff |= yuv[i] ^ 128;
    if (diff) return false;
  }
  return true;
}

/**
 * Rows [from, to) of a tv-range yuv420p frame as rgb24 into `rgb` (at the rows' own offsets):
 * floating point, chroma from the 2x2 block the pixel is in, rounded and clamped. Not ffmpeg's
 * arithmetic: only for frames whose chroma is not neutral (colour sources), where the rgb24
 * decoder's L* is not kept to the bit.
 */
export function yuv420ToRgbRows(yuv: Uint8Array, width: number, height: number, matrix: YuvMatrix, from: number, to: number, rgb: Uint8Array): void {
  const [kr, kb] = matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const crR = 2 * (1 - kr), cbB = 2 * (1 - kb), cbG = (-2 * (1 - kb) * kb) / kg, crG = (-2 * (1 - kr) * kr) / kg;
  const ys = 255 / 219, cs = 255 / 224;
  const cw = width >> 1, u0 = width * height, v0 = u0 + cw * (height >> 1);
  const clamp = (x: number) => (x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x));
  for (let y = from; y < to; y++) {
    const c = (y >> 1) * cw;
    for (let x = 0, p = y * width, q = p * 3; x < width; x++, p++, q += 3) {
      const Y = (yuv[p] - 16) * ys, Cb = (yuv[u0 + c + (x >> 1)] - 128) * cs, Cr = (yuv[v0 + c + (x >> 1)] - 128) * cs;
      rgb[q] = clamp(Y + crR * Cr);
      rgb[q + 1] = clamp(Y + cbG * Cb + crG * Cr);
      rgb[q + 2] = clamp(Y + cbB * Cb);
    }
  }
}
