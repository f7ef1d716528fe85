// Separable area resampling of a float plane (box filter over the source footprint of each output
// pixel). Downscaling averages, so fine film grain does not alias into the model's input. The
// weights depend only on the sizes, so they are computed once per size and reused per frame.

interface AxisWeights {
  /** For output index o: source taps start[o] .. start[o] + count[o] - 1 with weights at offset[o]. */
  start: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  weights: Float32Array;
}

function axisWeights(outN: number, inN: number): AxisWeights {
  const scale = inN / outN;
  const start = new Int32Array(outN), count = new Int32Array(outN), offset = new Int32Array(outN);
  const ws: number[] = [];
  for (let o = 0; o < outN; o++) {
    // Source footprint [lo, hi) of output pixel o; at least one source pixel wide when upscaling.
    let lo = o * scale, hi = (o + 1) * scale;
    if (hi - lo < 1) {
      const c = (lo + hi) / 2;
      lo = c - 0.5;
      hi = c + 0.5;
    }
    const first = Math.max(0, Math.floor(lo)), last = Math.min(inN - 1, Math.ceil(hi) - 1);
    start[o] = first;
    count[o] = last - first + 1;
    offset[o] = ws.length;
    let sum = 0;
    const local: number[] = [];
    for (let i = first; i <= last; i++) {
      const w = Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i));
      local.push(w);
      sum += w;
    }
    for (const w of local) ws.push(sum > 0 ? w / sum : 1 / local.length);
  }
  return { start, count, offset, weights: Float32Array.from(ws) };
}

export class PlaneResampler {
  private readonly h: AxisWeights;
  private readonly v: AxisWeights;
  private readonly tmp: Float32Array;

  constructor(
    readonly inWidth: number, readonly inHeight: number,
    readonly outWidth: number, readonly outHeight: number,
  ) {
    this.h = axisWeights(outWidth, inWidth);
    this.v = axisWeights(outHeight, inHeight);
    this.tmp = new Float32Array(outWidth * inHeight);
  }

  /** Resample `src` (inWidth x inHeight) into `dst` (outWidth x outHeight). */
  run(src: Float32Array, dst: Float32Array): void {
    const { inWidth, inHeight, outWidth, outHeight, tmp } = this;
    const hs = this.h, vs = this.v;
    for (let y = 0; y < inHeight; y++) {
      const row = y * inWidth, outRow = y * outWidth;
      for (let o = 0; o < outWidth; o++) {
        const s = row + hs.start[o], n = hs.count[o], w = hs.offset[o];
        let acc = 0;
        for (let k = 0; k < n; k++) acc += src[s + k] * hs.weights[w + k];
        tmp[outRow + o] = acc;
      }
    }
    for (let o = 0; o < outHeight; o++) {
      const s = vs.start[o], n = vs.count[o], w = vs.offset[o], outRow = o * outWidth;
      for (let x = 0; x < outWidth; x++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tmp[(s + k) * outWidth + x] * vs.weights[w + k];
        dst[outRow + x] = acc;
      }
    }
  }
}

/**
 * The model's input size for a frame: short side `shortSide` (rounded to `multiple`), long side
 * scaled to keep the aspect ratio, both multiples of `multiple`.
 */
export function modelSize(width: number, height: number, shortSide: number, multiple: number): { width: number; height: number } {
  const round = (v: number) => Math.max(multiple, Math.round(v / multiple) * multiple);
  const s = round(shortSide);
  if (width <= height) return { width: s, height: round((height * s) / width) };
  return { width: round((width * s) / height), height: s };
}
