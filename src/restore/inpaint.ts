// Spatial fill for masked pixels: each one becomes the inverse-distance average of the nearest
// unmasked pixel in each direction (left, right, and with `vertical`, up and down) within `reach`.
// It is the fallback where no frame around has the scene point (dust where motion is unreliable)
// and the whole fill for line scratches, which persist in every frame (horizontal only there: up
// and down lie along the scratch itself).

/**
 * Fills, in place, every pixel of `L` whose `mask` entry is `flag`; pixels with any non-zero mask
 * entry are never read. Returns the number of pixels that found no unmasked pixel and were left.
 */
export function inpaintMasked(
  L: Float32Array, mask: Uint8Array, w: number, h: number, flag: number, reach: number, vertical: boolean,
): number {
  let left = 0;
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      if (mask[r + x] !== flag) continue;
      let sum = 0, wsum = 0;
      for (let d = 1; d <= reach && x - d >= 0; d++) {
        if (mask[r + x - d] === 0) {
          sum += L[r + x - d] / d;
          wsum += 1 / d;
          break;
        }
      }
      for (let d = 1; d <= reach && x + d < w; d++) {
        if (mask[r + x + d] === 0) {
          sum += L[r + x + d] / d;
          wsum += 1 / d;
          break;
        }
      }
      if (vertical) {
        for (let d = 1; d <= reach && y - d >= 0; d++) {
          if (mask[r - d * w + x] === 0) {
            sum += L[r - d * w + x] / d;
            wsum += 1 / d;
            break;
          }
        }
        for (let d = 1; d <= reach && y + d < h; d++) {
          if (mask[r + d * w + x] === 0) {
            sum += L[r + d * w + x] / d;
            wsum += 1 / d;
            break;
          }
        }
      }
      if (wsum > 0) L[r + x] = sum / wsum;
      else left++;
    }
  }
  return left;
}
