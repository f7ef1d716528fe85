// Separable area resampling of a float plane (box filter over the source footprint of each output
// pixel). Downscaling averages, so fine film grain does not alias into the model's input. The
// weights depend only on the sizes, so they are computed once per size and reused per frame.
import { simdRowAccumulator, type SimdRowAccumulator } from './resample-simd.js';

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
  private simd: { table: Float32Array; stride: number; acc: SimdRowAccumulator | null } | null = null;
  private readonly h: AxisWeights;
  private readonly v: AxisWeights;
  /** One source-width row: the vertical pass's result for the output row being made. */
  private readonly row: Float32Array;

  constructor(
    readonly inWidth: number, readonly inHeight: number,
    readonly outWidth: number, readonly outHeight: number,
  ) {
    this.h = axisWeights(outWidth, inWidth);
    this.v = axisWeights(outHeight, inHeight);
    this.row = new Float32Array(inWidth);
  }

  /**
   * Resample `src` (inWidth x inHeight) into `dst` (outWidth x outHeight); only output rows
   * [from, to) when given (a band of the frame: each row depends on its own source rows only).
   */
  run(src: Float32Array, dst: Float32Array, from = 0, to = this.outHeight): void {
    // Vertical first, one output row at a time: the long inner loops run over contiguous source
    // rows, and only one row of scratch is needed.
    const { inWidth, row } = this;
    const vs = this.v;
    for (let o = from; o < to; o++) {
      const s = vs.start[o], n = vs.count[o], w = vs.offset[o];
      let base = s * inWidth;
      const w0 = vs.weights[w];
      for (let x = 0; x < inWidth; x++) row[x] = src[base + x] * w0;
      for (let k = 1; k < n; k++) {
        base += inWidth;
        const wk = vs.weights[w + k];
        for (let x = 0; x < inWidth; x++) row[x] += src[base + x] * wk;
      }
      this.horizontal(o, dst);
    }
  }

  /**
   * The same for a plane given as codes: sample i of the source is table[codes[i * stride]]
   * (e.g. the L* of a gray rgb24 frame: stride 3, the gray-to-L table), without building the plane.
   * Output rows [from, to) only, when given.
   */
  runCodes(codes: Uint8Array, stride: number, table: Float32Array, dst: Float32Array, from = 0, to = this.outHeight): void {
    const { inWidth, row } = this;
    const vs = this.v;
    if (stride === 3 || stride === 1) {
      // WebAssembly SIMD for the vertical pass where available (resample-simd.ts).
      if (!this.simd || this.simd.table !== table || this.simd.stride !== stride) this.simd = { table, stride, acc: simdRowAccumulator(table, stride) };
      const acc = this.simd.acc;
      if (acc) {
        let maxTaps = 1;
        for (let o = from; o < to; o++) maxTaps = Math.max(maxTaps, vs.count[o]);
        const simdRow = acc.begin(codes, inWidth, maxTaps);
        for (let o = from; o < to; o++) {
          const s = vs.start[o], n = vs.count[o], w = vs.offset[o];
          acc.window(s, n);
          for (let k = 0; k < n; k++) acc.accumulate(s + k, vs.weights[w + k], k === 0, simdRow);
          this.horizontal(o, dst, simdRow);
        }
        return;
      }
    }
    const rowStride = inWidth * stride;
    for (let o = from; o < to; o++) {
      const s = vs.start[o], n = vs.count[o], w = vs.offset[o];
      let base = s * rowStride;
      const w0 = vs.weights[w];
      for (let x = 0, i = base; x < inWidth; x++, i += stride) row[x] = table[codes[i]] * w0;
      for (let k = 1; k < n; k++) {
        base += rowStride;
        const wk = vs.weights[w + k];
        for (let x = 0, i = base; x < inWidth; x++, i += stride) row[x] += table[codes[i]] * wk;
      }
      this.horizontal(o, dst);
    }
  }

  private horizontal(o: number, dst: Float32Array, row: Float32Array = this.row): void {
    const { outWidth } = this;
    const hs = this.h;
    const outRow = o * outWidth;
    for (let x = 0; x < outWidth; x++) {
      const s = hs.start[x], n = hs.count[x], w = hs.offset[x];
      let acc = 0;
      for (let k = 0; k < n; k++) acc += row[s + k] * hs.weights[w + k];
      dst[outRow + x] = acc;
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
