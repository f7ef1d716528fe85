// Warping one frame's smoothing state onto the next: bilinear taps along the optical flow (or in
// place), weighted by L similarity and flow consistency; and the block reductions that bring a
// flow field and its consistency mask down to ab resolution, and the reverse of a flow field.
import { sampleBilinearOffset } from '../motion/flow.js';

/**
 * How one frame (A) reads the state of a neighbouring frame (B): for each pixel of A, the four
 * bilinear taps around where it lies in B (along the flow, or in place), each weighted by its
 * bilinear weight times the L similarity exp(-(L_A(p) - L_B(tap))^2 / tau^2), times the
 * forward-backward consistency of the flow at p. Taps of another surface (a moving edge, an
 * uncovered background) get ~0 weight, so colour never leaks across an object boundary even when
 * the flow there is smeared; the sum of a pixel's weights (<= 1) is its history gate.
 */
export class Link {
  readonly idx: Int32Array;
  readonly wt: Float32Array;
  constructor(n: number) {
    this.idx = new Int32Array(4 * n);
    this.wt = new Float32Array(4 * n);
  }

  /**
   * Build from A's L (`la`), B's L (`lb`), the flow A -> B at ab resolution (null: in place), the
   * per-pixel consistency (null: all 1) and the global L offset mean(A) - mean(B) (exposure flicker
   * of old film is not motion).
   */
  build(
    la: Float32Array, lb: Float32Array, w: number, h: number, flow: Float32Array | null, ok: Float32Array | null,
    invTau2: number, offset: number,
  ): void {
    const { idx, wt } = this;
    const n = w * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x, q = 4 * i;
        let sx = x, sy = y;
        if (flow) {
          sx += flow[i];
          sy += flow[n + i];
        }
        const c = ok ? ok[i] : 1;
        if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5 || c === 0) {
          idx[q] = idx[q + 1] = idx[q + 2] = idx[q + 3] = 0;
          wt[q] = wt[q + 1] = wt[q + 2] = wt[q + 3] = 0;
          continue;
        }
        if (sx < 0) sx = 0;
        else if (sx > w - 1) sx = w - 1;
        if (sy < 0) sy = 0;
        else if (sy > h - 1) sy = h - 1;
        const x0 = sx | 0, y0 = sy | 0;
        const x1 = x0 < w - 1 ? x0 + 1 : x0, y1 = y0 < h - 1 ? y0 + 1 : y0;
        const fx = sx - x0, fy = sy - y0;
        const l = la[i] - offset;
        const i00 = y0 * w + x0, i01 = y0 * w + x1, i10 = y1 * w + x0, i11 = y1 * w + x1;
        let d = l - lb[i00];
        const w00 = (1 - fx) * (1 - fy) * Math.exp(-d * d * invTau2);
        d = l - lb[i01];
        const w01 = fx * (1 - fy) * Math.exp(-d * d * invTau2);
        d = l - lb[i10];
        const w10 = (1 - fx) * fy * Math.exp(-d * d * invTau2);
        d = l - lb[i11];
        const w11 = fx * fy * Math.exp(-d * d * invTau2);
        idx[q] = i00;
        idx[q + 1] = i01;
        idx[q + 2] = i10;
        idx[q + 3] = i11;
        wt[q] = c * w00;
        wt[q + 1] = c * w01;
        wt[q + 2] = c * w10;
        wt[q + 3] = c * w11;
      }
    }
  }

  /**
   * outN = x + a * k * sum(w * srcN[taps]), outD = 1 + a * k * sum(w * srcD[taps]) (planar a, b in
   * N), where k = exp(-|carried colour - ref|^2 / sigma^2) compares the colour the taps carry
   * (sum w N / sum w D) with this frame's prediction `ref`: history of a clearly different colour
   * (an object of the same L as its background) is not blended in. invSigma2 = 0 disables it.
   */
  apply(
    x: Float32Array, a: number, srcN: Float32Array, srcD: Float32Array, outN: Float32Array, outD: Float32Array, n: number,
    ref: Float32Array, invSigma2: number,
  ): void {
    const { idx, wt } = this;
    for (let i = 0, q = 0; i < n; i++, q += 4) {
      const j0 = idx[q], j1 = idx[q + 1], j2 = idx[q + 2], j3 = idx[q + 3];
      const w0 = wt[q], w1 = wt[q + 1], w2 = wt[q + 2], w3 = wt[q + 3];
      const sa = w0 * srcN[j0] + w1 * srcN[j1] + w2 * srcN[j2] + w3 * srcN[j3];
      const sb = w0 * srcN[n + j0] + w1 * srcN[n + j1] + w2 * srcN[n + j2] + w3 * srcN[n + j3];
      const sd = w0 * srcD[j0] + w1 * srcD[j1] + w2 * srcD[j2] + w3 * srcD[j3];
      let k = a;
      if (invSigma2 > 0 && sd > 1e-6) {
        const da = sa / sd - ref[i], db = sb / sd - ref[n + i];
        k *= Math.exp(-(da * da + db * db) * invSigma2);
      }
      outN[i] = x[i] + k * sa;
      outN[n + i] = x[n + i] + k * sb;
      outD[i] = 1 + k * sd;
    }
  }
}

/** Fraction of set pixels of a mask (fw x fh) in each block of the (w x h) grid. */
export function reduceMask(src: Uint8Array, fw: number, dst: Float32Array, w: number, h: number): void {
  const s = fw / w;
  const k = 1 / (s * s);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c = 0;
      for (let dy = 0; dy < s; dy++) {
        const row = (y * s + dy) * fw + x * s;
        for (let dx = 0; dx < s; dx++) c += src[row + dx];
      }
      dst[y * w + x] = c * k;
    }
  }
}

/** Average a flow field (fw x fh, planar) over blocks down to (w x h), in units of the small grid. */
export function reduceFlow(src: Float32Array, fw: number, fh: number, dst: Float32Array, w: number, h: number): void {
  const s = fw / w;
  const nf = fw * fh, n = w * h;
  if (s === 1) {
    dst.set(src.subarray(0, 2 * n));
    return;
  }
  const k = 1 / (s * s * s);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let u = 0, v = 0;
      for (let dy = 0; dy < s; dy++) {
        const row = (y * s + dy) * fw + x * s;
        for (let dx = 0; dx < s; dx++) {
          u += src[row + dx];
          v += src[nf + row + dx];
        }
      }
      dst[y * w + x] = u * k;
      dst[n + y * w + x] = v * k;
    }
  }
}

/**
 * The reverse of a flow field (w x h, planar, A -> B) as a flow B -> A: at each pixel p of B, the
 * f with p + f landing where A's flow brings it back to p, i.e. f = -flow(p + f), by fixed-point
 * iteration from f = -flow(p) (bilinear samples, clamped to the plane). Exact for a smooth field;
 * at motion boundaries and occlusions it is the flow of a neighbour, and the L-similarity weights
 * of the link built on it drop the taps that land on another surface.
 */
export function invertFlow(src: Float32Array, w: number, h: number, dst: Float32Array, iterations = 2): void {
  const n = w * h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let u = -src[i], v = -src[n + i];
      for (let k = 0; k < iterations; k++) {
        const nu = -sampleBilinearOffset(src, 0, w, h, x + u, y + v);
        v = -sampleBilinearOffset(src, n, w, h, x + u, y + v);
        u = nu;
      }
      dst[i] = u;
      dst[n + i] = v;
    }
  }
}
