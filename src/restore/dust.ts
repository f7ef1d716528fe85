// Dust and dirt: a speck sits on one frame only. A pixel is a candidate when it differs from both
// motion-compensated neighbours by more than a threshold, with the same sign, while the two
// neighbours agree with each other (spike detection), and stands out beyond every value of both
// neighbours within a pixel (a flow a pixel off on fine texture is not a spike). Candidates are
// grouped into 8-connected blobs. A blob is taken for motion the flow missed, and left alone, when
// it is larger or longer than dust can be, when the frame around it does not match the
// neighbours, or when both neighbours hold a thing like it nearby where this frame does not, or
// a copy of its patch within 40 px (moved-match.ts), or when it lies where a neighbour
// was sampled beyond its frame (content coming into view in a pan).
// Accepted blobs, grown by a pixel or two for their soft edges, are filled with the neighbours'
// mean where the neighbours agree, and spatially (inpaintMasked) where they do not.
import { inpaintMasked } from './inpaint.js';
import { floodBlob, movedNearby, residualSpread, settledAround } from './blobs.js';
import { copyNearby } from './moved-match.js';
import { REPAIR_CODE } from './repair-marks.js';
import type { DustSettings } from './options.js';

/** Margin (px) around a blob where the motion compensation must hold. */
const MARGIN = 4;
/** Distance (px) searched in the neighbours for a thing like the blob that moved. */
const SEARCH = 16;
/** Distance (px) searched in the neighbours for a copy of the blob's patch (copyNearby). */
const MATCH_RADIUS = 40;
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

  /**
   * Finds dust in `cur` against the compensated neighbours `a` and `b` and fills it in place;
   * `marks` (the preview's) gets the dust code where it filled. Blobs near a pixel flagged in
   * `outside` (a neighbour sampled beyond its frame) are left: what came into view has no neighbour.
   */
  repair(cur: Float32Array, a: Float32Array, b: Float32Array, s: DustSettings, marks?: Uint8Array, outside?: Uint8Array): DustResult {
    const { width: w, height: h, mask, stack, touched } = this;
    const n = w * h;
    // Grain makes every pixel differ a little from its neighbours; the thresholds rise above it.
    const spread = residualSpread(cur, a, b, w, h, this.hist);
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
      const box = floodBlob(mask, stack, seed, w, h, CANDIDATE, PENDING);
      const end = box.count;
      const keep = end <= s.maxArea && box.x1 - box.x0 < s.maxExtent && box.y1 - box.y0 < s.maxExtent
        && !(outside && this.any(outside, box.x0, box.y0, box.x1, box.y1))
        && settledAround(cur, a, b, mask, box, MARGIN, Math.max(0.5 * t, 1.5 * spread), w, h)
        && !movedNearby(cur, a, b, stack, end, box, SEARCH, t, w, h)
        && !copyNearby(cur, a, b, w, h, box.x0, box.y0, box.x1, box.y1, MATCH_RADIUS);
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
      if (marks) marks[i] = REPAIR_CODE.dust;
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

  /** True when `flags` has a non-zero pixel within MARGIN of the box. */
  private any(flags: Uint8Array, x0: number, y0: number, x1: number, y1: number): boolean {
    const { width: w, height: h } = this;
    for (let y = Math.max(0, y0 - MARGIN); y <= Math.min(h - 1, y1 + MARGIN); y++) {
      for (let x = Math.max(0, x0 - MARGIN); x <= Math.min(w - 1, x1 + MARGIN); x++) if (flags[y * w + x]) return true;
    }
    return false;
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
}
