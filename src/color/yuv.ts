// sRGB codes to Y'CbCr 4:2:0 (BT.709 matrix, limited "tv" range, 8 bits): what the encoder's
// swscale did to our rgb24 frames before, done here so the encoder's pipe carries half the bytes
// and ffmpeg converts nothing. Chroma is the 2x2 block's average (the encoder tags the stream as
// BT.709 tv, encode-args.ts). Integer arithmetic, 16 fractional bits, rounded to nearest.

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

/**
 * Rows [first, first + rows) of a frame, given as packed rgb24 at rgb[at..], into the yuv420p
 * frame `yuv` (width x height, both even); `first` and `rows` are even.
 */
export function rgbToYuv420Rows(rgb: Uint8Array, at: number, width: number, height: number, first: number, rows: number, yuv: Uint8Array): void {
  const cw = width >> 1;
  const uPlane = width * height, vPlane = uPlane + cw * (height >> 1);
  const rowBytes = width * 3;
  for (let r = 0; r < rows; r += 2) {
    const y = first + r;
    let p0 = at + r * rowBytes, p1 = p0 + rowBytes;
    let q0 = y * width, q1 = q0 + width;
    let c = (y >> 1) * cw;
    for (let x = 0; x < width; x += 2, p0 += 6, p1 += 6, q0 += 2, q1 += 2, c++) {
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
