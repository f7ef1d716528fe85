// Dust and dirt: a speck sits on one frame only. A pixel is a candidate when it differs from both
// motion-compensated neighbours by more than a threshold, with the same sign, while the two
// neighbours agree with each other (spike detection), and stands out beyond every value of both
// neighbours within a pixel (a flow a pixel off on fine texture is not a spike). Candidates are
// grouped into 8-connected blobs. A blob is taken for motion the flow missed, and left alone, when
// it is larger or longer than dust can be, when the frame around it does not match the
// neighbours, or when both neighbours hold a thing like it nearby where this frame does not.
// Accepted blobs, grown by a pixel or two for their soft edges, are filled with the neighbours'
// mean where the neighbours agree, and spatially (inpaintMasked) where they do not.
import { inpaintMasked } from './inpaint.js';
import type { DustSettings } from './options.js';

/** Margin (px) around a blob where the motion compensation must hold. */
const MARGIN = 4;
/** Distance (px) searched in the neighbours for a thing like the blob that moved. */
const SEARCH = 16;
/** Thresholds are at least this many robust standard deviations of the frame's temporal residual. */
const NOISE_FACTOR = 3;
const CANDIDATE = 1, PENDING = 2, DUST = 3, REJECTED = 4, RING = 5, SPATIAL = 6;

export interface DustResult {
  /** Blobs accepted as dust and filled. */
  blobs: number;
  /** Pixels replaced (blobs and their grown edge). */
  pixels: number;
  /** Candidate blobs rejected as too large (motion). */
  rejected: number;
}

export class DustDetector {
  /** Per-pixel state while a frame is processed; all zero between frames. */
  readonly mask: Uint8Array;
  private readonly stack: Int32Array;
  private readonly touched: Int32Array;
  private readonly hist = new Uint32Array(256);

  constructor(readonly width: number, readonly height: number) {
    const n = width * height;
    this.mask = new Uint8Array(n);
    this.stack = new Int32Array(n);
    this.touched = new Int32Array(n);
  }

  /** Finds dust in `cur` against the compensated neighbours `a` and `b` and fills it in place. */
  repair(cur: Float32Array, a: Float32Array, b: Float32Array, s: DustSettings): DustResult {
    const { width: w, height: h, mask, stack, touched } = this;
    const n = w * h;
    // Grain makes every pixel differ a little from its neighbours; the thresholds rise above it.
    const spread = this.spread(cur, a, b);
    const t = Math.max(s.threshold, NOISE_FACTOR * spread), agree = Math.max(s.agree, NOISE_FACTOR * spread);
    let nt = 0;
    for (let i = 0; i < n; i++) {
      const c = cur[i], d1 = c - a[i], d2 = c - b[i], dn = a[i] - b[i];
      if (((d1 > t && d2 > t) || (d1 < -t && d2 < -t)) && dn < agree && dn > -agree && this.outside(cur, a, b, i, d1 > 0, t)) {
        mask[i] = CANDIDATE;
        touched[nt++] = i;
      }
    }
    const candidates = nt;
    let blobs = 0, rejected = 0;
    for (let k = 0; k < candidates; k++) {
      const seed = touched[k];
      if (mask[seed] !== CANDIDATE) continue;
      // Flood the blob; its pixels are kept on the stack's bottom part.
      let top = 0, end = 0;
      stack[end++] = seed;
      mask[seed] = PENDING;
      let x0 = w, x1 = 0, y0 = h, y1 = 0;
      while (top < end) {
        const i = stack[top++];
        const x = i % w, y = (i - x) / w;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= w) continue;
            const j = yy * w + xx;
            if (mask[j] === CANDIDATE) {
              mask[j] = PENDING;
              stack[end++] = j;
            }
          }
        }
      }
      const keep = end <= s.maxArea && x1 - x0 < s.maxExtent && y1 - y0 < s.maxExtent
        && this.settled(cur, a, b, x0, y0, x1, y1, Math.max(0.5 * t, 1.5 * spread))
        && !this.nearby(cur, a, b, end, x0, y0, x1, y1, t);
      for (let q = 0; q < end; q++) mask[stack[q]] = keep ? DUST : REJECTED;
      if (keep) blobs++;
      else rejected++;
    }
    // Grow the accepted blobs (their soft edges fall under the threshold).
    const g = s.grow;
    for (let k = 0; k < candidates; k++) {
      const i = touched[k];
      if (mask[i] !== DUST) continue;
      const x = i % w, y = (i - x) / w;
      for (let yy = Math.max(0, y - g); yy <= Math.min(h - 1, y + g); yy++) {
        for (let xx = Math.max(0, x - g); xx <= Math.min(w - 1, x + g); xx++) {
          const j = yy * w + xx;
          if (mask[j] === 0) {
            mask[j] = RING;
            touched[nt++] = j;
          }
        }
      }
    }
    // Fill from the neighbours where they agree; the rest is filled spatially below.
    let pixels = 0, spatial = 0;
    for (let k = 0; k < nt; k++) {
      const i = touched[k];
      const m = mask[i];
      if (m !== DUST && m !== RING) continue;
      pixels++;
      const dn = a[i] - b[i];
      if (dn < agree && dn > -agree) {
        cur[i] = 0.5 * (a[i] + b[i]);
        mask[i] = 0;
      } else {
        mask[i] = SPATIAL;
        spatial++;
      }
    }
    if (spatial) inpaintMasked(cur, mask, w, h, SPATIAL, 16, true);
    for (let k = 0; k < nt; k++) mask[touched[k]] = 0;
    return { blobs, pixels, rejected };
  }

  /**
   * True when pixel i stands out by more than t beyond every value of both neighbours within one
   * pixel: a flow off by a pixel on fine texture brings a neighbouring value, not a spike.
   */
  private outside(cur: Float32Array, a: Float32Array, b: Float32Array, i: number, bright: boolean, t: number): boolean {
    const w = this.width, x = i % w, y = (i - x) / w;
    const xa = x > 0 ? -1 : 0, xb = x < w - 1 ? 1 : 0, ya = y > 0 ? -w : 0, yb = y < this.height - 1 ? w : 0;
    const c = cur[i];
    for (let dy = ya; dy <= yb; dy += w) {
      for (let dx = xa; dx <= xb; dx++) {
        const j = i + dy + dx;
        if (bright ? c - a[j] <= t || c - b[j] <= t : a[j] - c <= t || b[j] - c <= t) return false;
      }
    }
    return true;
  }

  /** Robust standard deviation of cur - mean(a, b) over every fourth pixel of every fourth row. */
  private spread(cur: Float32Array, a: Float32Array, b: Float32Array): number {
    const { width: w, height: h, hist } = this;
    hist.fill(0);
    let count = 0;
    for (let y = 0; y < h; y += 4) {
      for (let x = 0; x < w; x += 4) {
        const i = y * w + x;
        hist[Math.min(255, Math.floor(Math.abs(cur[i] - 0.5 * (a[i] + b[i])) * 10))]++;
        count++;
      }
    }
    let acc = 0, bin = 0;
    for (; bin < 255 && acc + hist[bin] < count / 2; bin++) acc += hist[bin];
    return 1.4826 * ((bin + 0.5) / 10);
  }

  /**
   * True when something as dark (or as bright) as the blob lies within SEARCH pixels of it in both
   * neighbours, at a place where this frame does not have it: a small thing that moved further
   * than the flow could follow (a leash, a hand), not a speck that exists on this frame only. The blob's pixels are the first `count` on the stack.
   */
  private nearby(cur: Float32Array, a: Float32Array, b: Float32Array, count: number, x0: number, y0: number, x1: number, y1: number, t: number): boolean {
    const { width: w, height: h, stack } = this;
    let sum = 0, diff = 0;
    for (let q = 0; q < count; q++) {
      const i = stack[q];
      sum += cur[i];
      diff += cur[i] - 0.5 * (a[i] + b[i]);
    }
    const level = sum / count, dark = diff < 0;
    // The moved thing is about as large as the blob: a few stray pixels at a moving edge are not it.
    const need = Math.max(2, count >> 1);
    let inA = 0, inB = 0;
    for (let y = Math.max(0, y0 - SEARCH); y <= Math.min(h - 1, y1 + SEARCH); y++) {
      const r = y * w;
      for (let x = Math.max(0, x0 - SEARCH); x <= Math.min(w - 1, x1 + SEARCH); x++) {
        // Only where this frame does not have it: dark foliage that sits still is no witness.
        const i = r + x, vc = cur[i], va = a[i], vb = b[i];
        if ((dark ? va <= level + 0.5 * t : va >= level - 0.5 * t) && Math.abs(va - vc) > t) inA++;
        if ((dark ? vb <= level + 0.5 * t : vb >= level - 0.5 * t) && Math.abs(vb - vc) > t) inB++;
      }
    }
    return inA >= need && inB >= need;
  }

  /**
   * True when, in a margin of RING pixels around a blob's box, the frame agrees with its
   * neighbours' mean to within `limit` on average: the motion compensation holds there, so the
   * blob is a speck on this frame and not part of something the flow missed.
   */
  private settled(cur: Float32Array, a: Float32Array, b: Float32Array, x0: number, y0: number, x1: number, y1: number, limit: number): boolean {
    const { width: w, height: h, mask } = this;
    let s = 0, c = 0;
    for (let y = Math.max(0, y0 - MARGIN); y <= Math.min(h - 1, y1 + MARGIN); y++) {
      for (let x = Math.max(0, x0 - MARGIN); x <= Math.min(w - 1, x1 + MARGIN); x++) {
        const i = y * w + x;
        // The blob's soft edge (a pixel beyond its box) is not evidence about the motion.
        if (mask[i] !== 0 || (x >= x0 - 1 && x <= x1 + 1 && y >= y0 - 1 && y <= y1 + 1)) continue;
        s += Math.abs(cur[i] - 0.5 * (a[i] + b[i]));
        c++;
      }
    }
    return c === 0 || s / c <= limit;
  }
}
