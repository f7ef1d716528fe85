// Motion-compensated neighbours: the frames around the current one warped onto it, so that the
// temporal detectors (dust, grain) compare a pixel with the same point of the scene in the frames
// around it. The flow is computed on reduced planes (long side at most `maxSide`) and applied at
// full resolution. It is measured between the two neighbours, not from the current frame: a
// speck on the current frame would pull a flow computed from it towards whatever dark or bright
// thing lies near, and the warped neighbours would then carry that thing into the speck's place.
// With the flow F from the later neighbour to the earlier one (or between the two past frames,
// live), each neighbour is sampled a fraction of F away, as for frame interpolation.
import { FlowEstimator, boxSum, sampleBilinear } from '../motion/flow.js';
import { bestShift, subpixelShift } from '../motion/align.js';

export interface MotionOptions {
  /** Longest side of the plane the flow is computed on (default 256). */
  maxSide?: number;
}

/** The camera's pan between two reduced planes (low px): to(x + dx, y + dy) ~ from(x, y). */
export interface CameraShift {
  dx: number;
  dy: number;
}

/** A camera shift (low px) from which estimate() also tries a flow started from it. */
const PAN = 4;
/** The flow started from the pan replaces the other where its residual is under this share of the other's. */
const FUSE = 0.7;

/** `src` (w x h) box-averaged by four into `out` (qw x qh); the edge's leftover rows and columns are dropped. */
function quarterOf(src: Float32Array, w: number, h: number, out: Float32Array, qw: number, qh: number): void {
  for (let y = 0; y < qh; y++) {
    for (let x = 0; x < qw; x++) {
      let s = 0;
      for (let dy = 0; dy < 4; dy++) {
        const r = Math.min(h - 1, 4 * y + dy) * w;
        for (let dx = 0; dx < 4; dx++) s += src[r + Math.min(w - 1, 4 * x + dx)]!;
      }
      out[y * qw + x] = s / 16;
    }
  }
}

export class MotionCompensator {
  /** Integer reduction factor from the frame to the flow plane. */
  readonly factor: number;
  readonly lowWidth: number;
  readonly lowHeight: number;
  private readonly flow: FlowEstimator;
  private readonly uv: Float32Array;
  private readonly rowU: Float32Array;
  private readonly rowV: Float32Array;
  /** The second flow of estimate() with a camera shift, and each flow's local residual. */
  private uv2?: Float32Array;
  private err?: Float32Array;
  private err2?: Float32Array;
  /** The reduced planes cut by four again, for cameraShift()'s first search. */
  private quarter?: [Float32Array, Float32Array];
  private boxTmp?: Float32Array;
  private boxCol?: Float64Array;

  constructor(readonly width: number, readonly height: number, opts: MotionOptions = {}) {
    const maxSide = opts.maxSide ?? 256;
    this.factor = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
    this.lowWidth = Math.ceil(width / this.factor);
    this.lowHeight = Math.ceil(height / this.factor);
    this.flow = new FlowEstimator(this.lowWidth, this.lowHeight, { levels: 4 });
    this.uv = new Float32Array(2 * this.lowWidth * this.lowHeight);
    this.rowU = new Float32Array(this.lowWidth);
    this.rowV = new Float32Array(this.lowWidth);
  }

  /** Box-averages a full plane into `out` (lowWidth * lowHeight), edges averaging what they have. */
  reduce(L: Float32Array, out: Float32Array): void {
    const { width: w, height: h, factor: f, lowWidth: lw, lowHeight: lh } = this;
    if (f === 1) {
      out.set(L.subarray(0, w * h));
      return;
    }
    for (let ly = 0; ly < lh; ly++) {
      const y0 = ly * f, y1 = Math.min(h, y0 + f);
      for (let lx = 0; lx < lw; lx++) {
        const x0 = lx * f, x1 = Math.min(w, x0 + f);
        let s = 0;
        for (let y = y0; y < y1; y++) {
          const r = y * w;
          for (let x = x0; x < x1; x++) s += L[r + x];
        }
        out[ly * lw + lx] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }

  /**
   * Computes the flow between two reduced planes, from -> to (to(x + F(x)) ~ from(x)), for warp().
   * With `guess`, the last estimated flow times `guess` is where it starts: frames further apart
   * than the pyramid reaches (a fast pan) are met from the flow between nearer ones. With `shift`
   * (the camera's pan between the two, from cameraShift(); low px) of at least PAN, a second flow
   * starts from that shift everywhere, and each pixel keeps whichever of the two flows matches the
   * planes better around it: on a fast pan the first one loses the background (it comes out
   * smeared), the second one a subject the camera follows.
   */
  estimate(fromLow: Float32Array, toLow: Float32Array, guess?: number, shift?: CameraShift): void {
    const uv = this.uv;
    const panning = !!shift && Math.hypot(shift.dx, shift.dy) >= PAN;
    // On a pan the second flow meets the background; the first need not reach for it (a guess
    // from the nearer frames carries whatever pulled their flow: a tape hit on one of them).
    if (guess !== undefined && !panning) {
      for (let i = 0; i < uv.length; i++) uv[i] *= guess;
      this.flow.compute(fromLow, toLow, uv, uv);
    } else this.flow.compute(fromLow, toLow, uv);
    if (!panning) return;
    const n = this.lowWidth * this.lowHeight;
    const uv2 = (this.uv2 ??= new Float32Array(2 * n));
    uv2.fill(shift.dx, 0, n);
    uv2.fill(shift.dy, n);
    this.flow.compute(fromLow, toLow, uv2, uv2);
    const e1 = this.residual(fromLow, toLow, uv, (this.err ??= new Float32Array(n)));
    const e2 = this.residual(fromLow, toLow, uv2, (this.err2 ??= new Float32Array(n)));
    for (let i = 0; i < n; i++) {
      if (e2[i]! < FUSE * e1[i]!) {
        uv[i] = uv2[i]!;
        uv[n + i] = uv2[n + i]!;
      }
    }
  }

  /**
   * The camera's pan between two reduced planes (low px, whole pixels): to(x + shift) ~ from(x)
   * for most of the picture. Searched on the planes cut by four (up to an eighth of their width
   * each way), then refined on the planes themselves.
   */
  cameraShift(fromLow: Float32Array, toLow: Float32Array, subpixel = false): CameraShift {
    const { lowWidth: lw, lowHeight: lh } = this;
    const qw = Math.max(1, lw >> 2), qh = Math.max(1, lh >> 2);
    const [qa, qb] = (this.quarter ??= [new Float32Array(qw * qh), new Float32Array(qw * qh)]);
    quarterOf(fromLow, lw, lh, qa, qw, qh);
    quarterOf(toLow, lw, lh, qb, qw, qh);
    const coarse = bestShift({ width: qw, height: qh, data: qa }, { width: qw, height: qh, data: qb }, { maxShift: Math.max(1, qw >> 3), minOverlap: 0.4 });
    const a = { width: lw, height: lh, data: fromLow }, b = { width: lw, height: lh, data: toLow };
    const fine = bestShift(a, b, { maxShift: 2, minOverlap: 0.4, centre: { dx: 4 * coarse.dx, dy: 4 * coarse.dy } });
    return subpixel ? subpixelShift(a, b, fine, { minOverlap: 0.4 }) : { dx: fine.dx, dy: fine.dy };
  }

  /** Per pixel, |to(x + F(x)) - from(x)| summed over a 5x5 box, into `out`. */
  private residual(fromLow: Float32Array, toLow: Float32Array, uv: Float32Array, out: Float32Array): Float32Array {
    const { lowWidth: w, lowHeight: h } = this;
    const n = w * h;
    for (let y = 0, i = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i++) out[i] = Math.abs(sampleBilinear(toLow, w, h, x + uv[i]!, y + uv[n + i]!) - fromLow[i]!);
    }
    boxSum(out, (this.boxTmp ??= new Float32Array(n)), (this.boxCol ??= new Float64Array(w)), w, h, 2);
    return out;
  }

  /** Horizontal displacement (px, full resolution) of the last estimated flow at (x, y), scaled by k. */
  shiftAt(x: number, y: number, k: number): number {
    const { factor: f, lowWidth: lw, lowHeight: lh } = this;
    const lx = Math.min(lw - 1, Math.max(0, Math.floor(x / f))), ly = Math.min(lh - 1, Math.max(0, Math.floor(y / f)));
    return this.uv[ly * lw + lx] * f * k;
  }

  /**
   * Samples `plane` (full resolution) along the last estimated flow F scaled by `k` into `out`:
   * out(x) = plane(x + k F(x)), F upsampled from the reduced plane. Where the sample falls
   * more than a pixel outside the frame (content coming into view), `outside` (when given) gets 1.
   * `offset` (low px) moves every sample by the same amount on top of the flow.
   */
  warp(plane: Float32Array, k: number, out: Float32Array, outside?: Uint8Array, offset?: CameraShift): void {
    const { width: w, height: h, factor: f, lowWidth: lw, lowHeight: lh, uv, rowU, rowV } = this;
    const fk = f * k;
    const ox = offset ? offset.dx * f : 0, oy = offset ? offset.dy * f : 0;
    const ln = lw * lh;
    const inv = 1 / f;
    for (let y = 0; y < h; y++) {
      // The flow row at this full-resolution row (vertical interpolation once per row).
      let fy = (y + 0.5) * inv - 0.5;
      if (fy < 0) fy = 0;
      else if (fy > lh - 1) fy = lh - 1;
      const y0 = fy | 0, y1 = y0 < lh - 1 ? y0 + 1 : y0, ty = fy - y0;
      const r0 = y0 * lw, r1 = y1 * lw;
      for (let x = 0; x < lw; x++) {
        rowU[x] = (uv[r0 + x] + (uv[r1 + x] - uv[r0 + x]) * ty) * fk;
        rowV[x] = (uv[ln + r0 + x] + (uv[ln + r1 + x] - uv[ln + r0 + x]) * ty) * fk;
      }
      const row = y * w;
      for (let x = 0; x < w; x++) {
        let fx = (x + 0.5) * inv - 0.5;
        if (fx < 0) fx = 0;
        else if (fx > lw - 1) fx = lw - 1;
        const x0 = fx | 0, x1 = x0 < lw - 1 ? x0 + 1 : x0, tx = fx - x0;
        const sx = x + ox + rowU[x0] + (rowU[x1] - rowU[x0]) * tx;
        const sy = y + oy + rowV[x0] + (rowV[x1] - rowV[x0]) * tx;
        out[row + x] = sampleBilinear(plane, w, h, sx, sy);
        if (outside && (sx < -1 || sy < -1 || sx > w || sy > h)) outside[row + x] = 1;
      }
    }
  }
}

/**
 * The compensated neighbours of a frame, lent to the stages after restore-motion while it emits
 * the frame (the stages between are synchronous); gone once the emission returns.
 */
export interface Neighbours {
  /** The previous frame (already restored), warped onto this one; null for a shot's first frame. */
  a: Float32Array | null;
  /** Look-ahead: the next frame; causal: the frame before the previous one. Warped; may be null. */
  b: Float32Array | null;
  /** 1 where a neighbour was sampled outside its frame (what came into view has no neighbour). */
  outside?: Uint8Array;
  /** How far (px, horizontally) the scene at (x, y) moved between this frame and neighbour a. */
  shift?: (x: number, y: number) => number;
}

export const NEIGHBOURS: unique symbol = Symbol('chroma.restoreNeighbours');

export type WithNeighbours = { [NEIGHBOURS]?: Neighbours };

/** The neighbours lent with this frame, or null outside restore-motion's emission. */
export function neighboursOf(f: object): Neighbours | null {
  return (f as WithNeighbours)[NEIGHBOURS] ?? null;
}
