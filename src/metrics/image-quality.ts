// Full-reference quality of an L plane against the clean original: PSNR and SSIM with L's own
// range (0..100) as the peak, so the figures read the same whatever the frame size.

const PEAK = 100;

/** PSNR in dB of `x` against `ref` (n pixels, L units); Infinity when they are equal. */
export function psnrL(x: Float32Array, ref: Float32Array, n = ref.length): number {
  let se = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - ref[i];
    se += d * d;
  }
  return se === 0 ? Infinity : 10 * Math.log10((PEAK * PEAK) / (se / n));
}

/**
 * Mean SSIM (Wang et al. 2004) of `x` against `ref` (w x h), over (2r+1)^2 box windows (default
 * r = 3) centred on every pixel at least r from the edges; constants K1 = 0.01, K2 = 0.03 of L's range.
 */
export class Ssim {
  private readonly sums: Float64Array[];
  private readonly rows: Float64Array[];

  constructor(readonly width: number, readonly height: number, readonly radius = 3) {
    this.sums = Array.from({ length: 5 }, () => new Float64Array(width * height));
    this.rows = Array.from({ length: 5 }, () => new Float64Array(width));
  }

  measure(x: Float32Array, ref: Float32Array): number {
    const { width: w, height: h, radius: r, sums } = this;
    const [sx, sy, sxx, syy, sxy] = sums;
    // Horizontal window sums of the five moments, row by row.
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let a = 0, b = 0, aa = 0, bb = 0, ab = 0;
      for (let k = 0; k < 2 * r + 1 && k < w; k++) {
        const u = x[row + k], v = ref[row + k];
        a += u; b += v; aa += u * u; bb += v * v; ab += u * v;
      }
      for (let cx = r; cx < w - r; cx++) {
        const i = row + cx;
        sx[i] = a; sy[i] = b; sxx[i] = aa; syy[i] = bb; sxy[i] = ab;
        if (cx + r + 1 < w) {
          const ui = row + cx + r + 1, uo = row + cx - r;
          const u = x[ui], v = ref[ui], p = x[uo], q = ref[uo];
          a += u - p; b += v - q; aa += u * u - p * p; bb += v * v - q * q; ab += u * v - p * q;
        }
      }
    }
    const C1 = (0.01 * PEAK) ** 2, C2 = (0.03 * PEAK) ** 2;
    const N = (2 * r + 1) ** 2;
    const acc = this.rows;
    let total = 0, count = 0;
    for (const a of acc) a.fill(0);
    // Vertical sums with a sliding window over the horizontal sums.
    for (let y = 0; y < 2 * r + 1 && y < h; y++) {
      for (let cx = r; cx < w - r; cx++) {
        const i = y * w + cx;
        for (let m = 0; m < 5; m++) acc[m][cx] += sums[m][i];
      }
    }
    for (let cy = r; cy < h - r; cy++) {
      for (let cx = r; cx < w - r; cx++) {
        const mx = acc[0][cx] / N, my = acc[1][cx] / N;
        const vx = acc[2][cx] / N - mx * mx, vy = acc[3][cx] / N - my * my, cv = acc[4][cx] / N - mx * my;
        total += ((2 * mx * my + C1) * (2 * cv + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
        count++;
      }
      if (cy + r + 1 < h) {
        const ni = (cy + r + 1) * w, oi = (cy - r) * w;
        for (let cx = r; cx < w - r; cx++) for (let m = 0; m < 5; m++) acc[m][cx] += sums[m][ni + cx] - sums[m][oi + cx];
      }
    }
    return count ? total / count : 1;
  }
}
