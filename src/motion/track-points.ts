// Sparse point tracking: pyramidal Lucas–Kanade (Bouguet's formulation) on luminance planes, with a
// forward–backward check. A colour hint must follow the coat it was put on as the actor walks, and
// must stop the moment the coat is hidden or leaves the frame, or it would paint whatever comes
// next. Tracking a point forward and then back again and requiring it to land within about a
// pixel of where it started is a cheap, model-free test of exactly that (Kalal et al., 2010).
//
// Cost model: the tracker owns two frames' pyramids with their gradients; pushFrame builds the
// newest one into the older slot (no allocation after construction), so a video pays one pyramid
// per frame whichever direction it is tracked in, and each point then costs a few windows of
// bilinear reads per level. Coordinates are pixel units of the planes given (pixel centres at
// integers); intensities are scaled to 0..1 on the way in, so thresholds do not depend on the
// plane's type.

export * from './track-options.js';
import type { Plane, TrackResult, TrackerOptions } from './track-options.js';
import { pearson } from './pearson.js';
import { LOST_FORWARD_BACKWARD, LOST_MISMATCH, LOST_OUTSIDE, LOST_WEAK, TRACK_KEPT } from './track-options.js';

interface Level {
  w: number;
  h: number;
  img: Float32Array;
  gx: Float32Array;
  gy: Float32Array;
}

export class PointTracker {
  readonly width: number;
  readonly height: number;
  readonly levels: number;
  private readonly radius: number;
  private readonly iterations: number;
  private readonly epsilon: number;
  private readonly fbThreshold: number;
  private readonly minEigenvalue: number;
  private readonly minCorrelation: number;
  /** Two frames' pyramids: `prev` is the older, `curr` the newest pushed. */
  private prev: Level[];
  private curr: Level[];
  private pushed = 0;
  private readonly tmp: Float32Array;
  // Window scratch: the source window's intensities and gradients, reused by every point.
  private readonly wI: Float32Array;
  private readonly wX: Float32Array;
  private readonly wY: Float32Array;
  // Output of trackOne (kept as fields so the hot path returns no objects).
  private outX = 0;
  private outY = 0;

  constructor(width: number, height: number, options: TrackerOptions = {}) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new RangeError(`tracker size must be positive integers, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.radius = options.radius ?? 7;
    this.iterations = options.iterations ?? 20;
    this.epsilon = options.epsilon ?? 0.01;
    this.fbThreshold = options.fbThreshold ?? 1;
    this.minEigenvalue = options.minEigenvalue ?? 1e-5;
    this.minCorrelation = options.minCorrelation ?? 0.6;
    const win = 2 * this.radius + 1;
    let levels = 1;
    for (let w = width, h = height; levels < (options.levels ?? 3); levels++) {
      w = (w + 1) >> 1;
      h = (h + 1) >> 1;
      if (Math.min(w, h) < win) break;
    }
    this.levels = levels;
    this.prev = this.allocPyramid();
    this.curr = this.allocPyramid();
    this.tmp = new Float32Array(((width + 1) >> 1) * height);
    this.wI = new Float32Array(win * win);
    this.wX = new Float32Array(win * win);
    this.wY = new Float32Array(win * win);
  }

  private allocPyramid(): Level[] {
    const out: Level[] = [];
    for (let l = 0, w = this.width, h = this.height; l < this.levels; l++, w = (w + 1) >> 1, h = (h + 1) >> 1) {
      const n = w * h;
      out.push({ w, h, img: new Float32Array(n), gx: new Float32Array(n), gy: new Float32Array(n) });
    }
    return out;
  }

  /** Frames pushed so far (tracking needs two). */
  get frameCount(): number {
    return this.pushed;
  }

  /**
   * Make `plane` (width x height) the newest frame; the one before becomes the frame points are
   * tracked from. Push frames in reverse order to track backwards through a shot.
   * @param maxValue the plane's full scale (default 100 for Float32Array L*, 255 for Uint8Array).
   */
  pushFrame(plane: Plane, maxValue: number = plane instanceof Uint8Array ? 255 : 100): void {
    const n = this.width * this.height;
    if (plane.length < n) throw new RangeError(`plane needs ${n} values, got ${plane.length}`);
    const swap = this.prev;
    this.prev = this.curr;
    this.curr = swap;
    const base = swap[0].img, k = 1 / maxValue;
    for (let i = 0; i < n; i++) base[i] = plane[i] * k;
    for (let l = 1; l < this.levels; l++) pyrDown(swap[l - 1], swap[l], this.tmp);
    for (const level of swap) gradients(level);
    this.pushed++;
  }

  /**
   * Track `count` points (x, y pairs in `points`) from the previous frame to the newest one, with
   * the forward–backward check. A point that is not finite or outside the frame is lost at once
   * (LOST_OUTSIDE), so a caller can keep lost points' slots (NaN) and call again frame after frame.
   * @param guesses optional expected displacement per point (dx, dy pairs, e.g. the last step's or
   *   the optical flow's): the search starts there instead of at no motion.
   */
  track(points: ArrayLike<number>, out: TrackResult, count: number = points.length >> 1, guesses?: ArrayLike<number>): TrackResult {
    if (this.pushed < 2) throw new Error('track needs two frames: call pushFrame twice first');
    if (out.lost.length < count || out.points.length < 2 * count) throw new RangeError(`result has room for ${out.lost.length} points, not ${count}`);
    const maxX = this.width - 1, maxY = this.height - 1, fb2 = this.fbThreshold * this.fbThreshold;
    for (let i = 0; i < count; i++) {
      const px = points[2 * i], py = points[2 * i + 1];
      let status = TRACK_KEPT;
      let fb = NaN;
      if (!(px >= 0 && px <= maxX && py >= 0 && py <= maxY)) status = LOST_OUTSIDE;
      else status = this.trackOne(this.prev, this.curr, px, py, guesses ? guesses[2 * i] || 0 : 0, guesses ? guesses[2 * i + 1] || 0 : 0);
      const qx = this.outX, qy = this.outY;
      if (status === TRACK_KEPT) {
        status = this.trackOne(this.curr, this.prev, qx, qy, px - qx, py - qy);
        if (status === LOST_OUTSIDE) status = LOST_FORWARD_BACKWARD; // came back somewhere else
        if (status === TRACK_KEPT) {
          const ex = this.outX - px, ey = this.outY - py;
          fb = Math.sqrt(ex * ex + ey * ey);
          if (ex * ex + ey * ey > fb2) status = LOST_FORWARD_BACKWARD;
        }
        // The backward pass left the newest frame's window at (qx, qy) in wI: compare it with the
        // previous frame's window where the point started.
        if (status === TRACK_KEPT && this.minCorrelation > -1 && this.correlation(this.prev[0], px, py) < this.minCorrelation) status = LOST_MISMATCH;
      }
      out.lost[i] = status;
      out.fbError[i] = fb;
      out.points[2 * i] = status === TRACK_KEPT ? qx : NaN;
      out.points[2 * i + 1] = status === TRACK_KEPT ? qy : NaN;
    }
    return out;
  }

  /**
   * Normalised cross-correlation of the last source window sampled (wI, full size) with the window
   * of `level` at (x, y), over the pixels both have; 0 when either is flat.
   */
  private correlation(level: Level, x: number, y: number): number {
    const r = this.radius, { w, h, img } = level, wI = this.wI;
    const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
    const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
    let n = 0, si = 0, sj = 0, sii = 0, sjj = 0, sij = 0;
    for (let j = -r, k = 0; j <= r; j++) {
      const sy = y + j, ya = clamp(y0 + j, h) * w, yb = clamp(y0 + j + 1, h) * w;
      for (let i = -r; i <= r; i++, k++) {
        const a = wI[k], sx = x + i;
        if (a !== a || sx < 0 || sy < 0 || sx > w - 1 || sy > h - 1) continue;
        const xa = clamp(x0 + i, w), xb = clamp(x0 + i + 1, w);
        const b = w00 * img[ya + xa] + w01 * img[ya + xb] + w10 * img[yb + xa] + w11 * img[yb + xb];
        n++;
        si += a;
        sj += b;
        sii += a * a;
        sjj += b * b;
        sij += a * b;
      }
    }
    return pearson(n, si, sj, sii, sjj, sij, 1e-12);
  }

  /**
   * One point from `src` to `dst`, coarse to fine, starting from displacement (gx, gy) in full-size
   * pixels. Leaves the position in outX, outY and returns TRACK_KEPT, LOST_OUTSIDE or LOST_WEAK.
   */
  private trackOne(src: Level[], dst: Level[], px: number, py: number, gx: number, gy: number): number {
    const r = this.radius, win = 2 * r + 1, n = win * win;
    const wI = this.wI, wX = this.wX, wY = this.wY;
    const top = this.levels - 1;
    let dx = gx / (1 << top), dy = gy / (1 << top);
    for (let l = top; l >= 0; l--) {
      if (l < top) { dx *= 2; dy *= 2; } // the coarser level's estimate, at this level's scale
      const S = src[l], D = dst[l], w = S.w, h = S.h;
      const scale = 1 / (1 << l);
      const cx = px * scale, cy = py * scale;
      // Source window: constant bilinear weights, since the window's offsets are whole pixels.
      sampleWindow(S, cx, cy, r, wI, wX, wY);
      let a11 = 0, a12 = 0, a22 = 0, used = 0;
      for (let k = 0; k < n; k++) {
        const ix = wX[k], iy = wY[k];
        if (ix !== ix) continue; // off the plane
        used++;
        a11 += ix * ix;
        a12 += ix * iy;
        a22 += iy * iy;
      }
      const det = a11 * a22 - a12 * a12;
      const minEig = (a11 + a22 - Math.sqrt((a11 - a22) * (a11 - a22) + 4 * a12 * a12)) / (2 * used);
      if (minEig < this.minEigenvalue || det < 1e-12) {
        if (l === 0) {
          this.outX = px + dx;
          this.outY = py + dy;
          return LOST_WEAK;
        }
        continue; // too flat at this scale: carry the coarser estimate down
      }
      const inside = used === n;
      const startX = dx, startY = dy;
      let lastX = 0, lastY = 0;
      for (let it = 0; it < this.iterations; it++) {
        const tx = cx + dx, ty = cy + dy;
        if (tx < -r || ty < -r || tx > w - 1 + r || ty > h - 1 + r) {
          // The window left the frame. At a coarse level that is usually divergence on the
          // replicated border: keep the estimate this level started from and let finer levels
          // refine it. At full size it is the point leaving (reported as such below).
          if (l > 0) {
            dx = startX;
            dy = startY;
          }
          break;
        }
        let bx = 0, by = 0, g11 = a11, g12 = a12, g22 = a22;
        const x0 = Math.floor(tx), y0 = Math.floor(ty), fx = tx - x0, fy = ty - y0;
        const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        const J = D.img;
        if (inside && x0 - r >= 0 && y0 - r >= 0 && x0 + r + 1 < w && y0 + r + 1 < h) {
          for (let j = -r, k = 0; j <= r; j++) {
            let p = (y0 + j) * w + x0 - r;
            for (let i = -r; i <= r; i++, k++, p++) {
              const e = wI[k] - (w00 * J[p] + w01 * J[p + 1] + w10 * J[p + w] + w11 * J[p + w + 1]);
              bx += e * wX[k];
              by += e * wY[k];
            }
          }
        } else {
          // Near an edge: match only the pixels both windows have, with their own normal equations.
          g11 = g12 = g22 = 0;
          for (let j = -r, k = 0; j <= r; j++) {
            const sy = ty + j, ya = clamp(y0 + j, h) * w, yb = clamp(y0 + j + 1, h) * w;
            for (let i = -r; i <= r; i++, k++) {
              const sx = tx + i;
              const ix = wX[k], iy = wY[k];
              if (ix !== ix || sx < 0 || sy < 0 || sx > w - 1 || sy > h - 1) continue;
              const xa = clamp(x0 + i, w), xb = clamp(x0 + i + 1, w);
              const e = wI[k] - (w00 * J[ya + xa] + w01 * J[ya + xb] + w10 * J[yb + xa] + w11 * J[yb + xb]);
              bx += e * ix;
              by += e * iy;
              g11 += ix * ix;
              g12 += ix * iy;
              g22 += iy * iy;
            }
          }
        }
        const d = g11 * g22 - g12 * g12;
        if (!(d > 1e-12)) break; // too little overlap left to solve
        const ux = (g22 * bx - g12 * by) / d, uy = (g11 * by - g12 * bx) / d;
        // An update that undoes the last one is an oscillation around the optimum: split the difference.
        if (it > 0 && Math.abs(ux + lastX) < this.epsilon && Math.abs(uy + lastY) < this.epsilon) {
          dx -= ux * 0.5;
          dy -= uy * 0.5;
          break;
        }
        dx += ux; dy += uy;
        lastX = ux; lastY = uy;
        if (ux * ux + uy * uy < this.epsilon * this.epsilon) break;
      }
    }
    const x = px + dx, y = py + dy;
    this.outX = x;
    this.outY = y;
    return x >= 0 && y >= 0 && x <= this.width - 1 && y <= this.height - 1 ? TRACK_KEPT : LOST_OUTSIDE;
  }
}

const clamp = (v: number, n: number): number => (v < 0 ? 0 : v >= n ? n - 1 : v);

/**
 * The (2r+1)^2 window of a level's intensities and gradients centred on (cx, cy), bilinear, into
 * oI, oX, oY; NaN where a window pixel falls outside the plane, so that matching uses only what
 * both frames really show.
 */
function sampleWindow(level: Level, cx: number, cy: number, r: number, oI: Float32Array, oX: Float32Array, oY: Float32Array): void {
  const { w, h, img, gx, gy } = level;
  const x0 = Math.floor(cx), y0 = Math.floor(cy), fx = cx - x0, fy = cy - y0;
  const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
  if (x0 - r >= 0 && y0 - r >= 0 && x0 + r + 1 < w && y0 + r + 1 < h) {
    for (let j = -r, k = 0; j <= r; j++) {
      let q = (y0 + j) * w + x0 - r;
      for (let i = -r; i <= r; i++, k++, q++) {
        const q1 = q + w;
        oI[k] = w00 * img[q] + w01 * img[q + 1] + w10 * img[q1] + w11 * img[q1 + 1];
        oX[k] = w00 * gx[q] + w01 * gx[q + 1] + w10 * gx[q1] + w11 * gx[q1 + 1];
        oY[k] = w00 * gy[q] + w01 * gy[q + 1] + w10 * gy[q1] + w11 * gy[q1 + 1];
      }
    }
    return;
  }
  for (let j = -r, k = 0; j <= r; j++) {
    const sy = cy + j, ya = clamp(y0 + j, h) * w, yb = clamp(y0 + j + 1, h) * w;
    for (let i = -r; i <= r; i++, k++) {
      const sx = cx + i;
      if (sx < 0 || sy < 0 || sx > w - 1 || sy > h - 1) {
        oI[k] = oX[k] = oY[k] = NaN;
        continue;
      }
      const xa = clamp(x0 + i, w), xb = clamp(x0 + i + 1, w);
      const a = ya + xa, b = ya + xb, c = yb + xa, d = yb + xb;
      oI[k] = w00 * img[a] + w01 * img[b] + w10 * img[c] + w11 * img[d];
      oX[k] = w00 * gx[a] + w01 * gx[b] + w10 * gx[c] + w11 * gx[d];
      oY[k] = w00 * gy[a] + w01 * gy[b] + w10 * gy[c] + w11 * gy[d];
    }
  }
}

/**
 * Half-size level: a [1 4 6 4 1] / 16 blur each way, then every second pixel, so that pixel x of
 * the result sits on pixel 2x of the source (the coordinate rule the tracker's levels rely on).
 */
function pyrDown(src: Level, dst: Level, tmp: Float32Array): void {
  const { w, h, img } = src, W = dst.w, H = dst.h, out = dst.img;
  for (let y = 0; y < h; y++) {
    const r = y * w, o = y * W;
    for (let x = 0; x < W; x++) {
      const c = 2 * x;
      const m2 = c >= 2 ? c - 2 : 0, m1 = c >= 1 ? c - 1 : 0, p1 = c + 1 < w ? c + 1 : w - 1, p2 = c + 2 < w ? c + 2 : w - 1;
      tmp[o + x] = (img[r + m2] + img[r + p2] + 4 * (img[r + m1] + img[r + p1]) + 6 * img[r + c]) * 0.0625;
    }
  }
  for (let y = 0; y < H; y++) {
    const c = 2 * y;
    const m2 = (c >= 2 ? c - 2 : 0) * W, m1 = (c >= 1 ? c - 1 : 0) * W, c0 = c * W;
    const p1 = (c + 1 < h ? c + 1 : h - 1) * W, p2 = (c + 2 < h ? c + 2 : h - 1) * W;
    const o = y * W;
    for (let x = 0; x < W; x++) out[o + x] = (tmp[m2 + x] + tmp[p2 + x] + 4 * (tmp[m1 + x] + tmp[p1 + x]) + 6 * tmp[c0 + x]) * 0.0625;
  }
}

/** Scharr derivatives ([3 10 3] / 32 across, central difference along): intensity per pixel. */
function gradients(level: Level): void {
  const { w, h, img, gx, gy } = level;
  for (let y = 0; y < h; y++) {
    const rm = (y > 0 ? y - 1 : 0) * w, r0 = y * w, rp = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) {
      const xm = x > 0 ? x - 1 : 0, xp = x < w - 1 ? x + 1 : x;
      gx[r0 + x] = (3 * (img[rm + xp] - img[rm + xm] + img[rp + xp] - img[rp + xm]) + 10 * (img[r0 + xp] - img[r0 + xm])) * 0.03125;
      gy[r0 + x] = (3 * (img[rp + xm] - img[rm + xm] + img[rp + xp] - img[rm + xp]) + 10 * (img[rp + x] - img[rm + x])) * 0.03125;
    }
  }
}
