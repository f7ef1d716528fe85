// Dense optical flow by pyramidal, iterative Lucas–Kanade on a luminance plane. Each pixel solves
// the 2x2 normal equations of the brightness-constancy residual summed over a square window
// (box-filtered structure tensor), coarse to fine, re-warping the target at every iteration. A
// small Tikhonov term keeps flat regions at the flow propagated from the coarser level instead of
// letting noise drive them. Cheap enough to run on every frame pair at ~320x180 in plain JS; the
// accuracy against synthetic translations is pinned in test/metrics.test.ts.
//
// Conventions used everywhere in chroma: a flow field is planar, [u plane, v plane], one entry per
// pixel of the frame it starts from; `flow(from -> to)` at pixel x says where x went:
// to(x + flow(x)) ~ from(x).

export interface FlowOptions {
  /** Pyramid levels at most (default 5); the coarsest level keeps its short side >= minSize. */
  levels?: number;
  /** Shortest side allowed at the coarsest level (default 12 pixels). */
  minSize?: number;
  /** Gauss–Newton iterations per level (default 3). */
  iterations?: number;
  /** Window radius of the structure tensor: a (2r+1)^2 box (default 3, a 7x7 window). */
  radius?: number;
  /** Tikhonov weight per window pixel, in (input units)^2 (default 0.05 for L in 0..100). */
  lambda?: number;
}

/** One pyramid level of a plane: the blurred image and, for when it is the flow's reference, its gradients and box-summed structure tensor. */
interface PlaneLevel {
  w: number;
  h: number;
  img: Float32Array;
  ix: Float32Array;
  iy: Float32Array;
  a11: Float32Array;
  a12: Float32Array;
  a22: Float32Array;
}

/**
 * What the flow needs of one plane, built once by FlowEstimator.prepare: a video frame is both
 * ends of two flows (with the previous frame and with the next, each way), so its pyramid and
 * structure tensor are built once instead of at every flow.
 */
export class FlowPyramid {
  /** @internal */
  readonly levels: PlaneLevel[];
  constructor(sizes: readonly { w: number; h: number }[]) {
    this.levels = sizes.map(({ w, h }) => {
      const n = w * h;
      return {
        w, h,
        img: new Float32Array(n), ix: new Float32Array(n), iy: new Float32Array(n),
        a11: new Float32Array(n), a12: new Float32Array(n), a22: new Float32Array(n),
      };
    });
  }
}

/** Bilinear sample of `p` (w x h) at (x, y), coordinates clamped to the plane. */
export function sampleBilinear(p: Float32Array, w: number, h: number, x: number, y: number): number {
  return sampleBilinearOffset(p, 0, w, h, x, y);
}

/** 3x3 binomial blur ([1 2 1] / 4 each way), edges replicated. `tmp` is scratch of the same size. */
function blur3(src: Float32Array, dst: Float32Array, tmp: Float32Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      const l = x > 0 ? src[r + x - 1] : src[r + x];
      const rr = x < w - 1 ? src[r + x + 1] : src[r + x];
      tmp[r + x] = 0.25 * l + 0.5 * src[r + x] + 0.25 * rr;
    }
  }
  for (let y = 0; y < h; y++) {
    const r = y * w, up = (y > 0 ? y - 1 : y) * w, dn = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) dst[r + x] = 0.25 * tmp[up + x] + 0.5 * tmp[r + x] + 0.25 * tmp[dn + x];
  }
}

/** 2x2 average downsample into (ceil(w/2) x ceil(h/2)), odd edges replicated. */
function halve(src: Float32Array, w: number, h: number, dst: Float32Array, dw: number, dh: number): void {
  for (let y = 0; y < dh; y++) {
    const ya = 2 * y, yb = Math.min(2 * y + 1, h - 1);
    for (let x = 0; x < dw; x++) {
      const xa = 2 * x, xb = Math.min(2 * x + 1, w - 1);
      dst[y * dw + x] = 0.25 * (src[ya * w + xa] + src[ya * w + xb] + src[yb * w + xa] + src[yb * w + xb]);
    }
  }
}

/**
 * In-place (2r+1)^2 box sum, zero outside the plane: a running sum along each row into `tmp`, then
 * down each column. The column sums run row by row (one accumulator per column, in `col`) so the
 * pass reads memory in order; each sum adds and drops the same values in the same order as a
 * column-at-a-time walk would, so the result is the same to the bit. The edge tests are hoisted
 * out of the inner loops (the row pass in three runs of x, the column pass in one loop per row
 * that stores, adds and drops), the same additions in the same order.
 */
export function boxSum(p: Float32Array, tmp: Float32Array, col: Float64Array, w: number, h: number, r: number): void {
  // x below `lo` adds only, x from `hi` on drops only (neither when the window spans the row).
  const lo = Math.min(w, r), hi = Math.max(lo, w - r - 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    for (let x = 0; x <= r && x < w; x++) acc += p[row + x];
    let x = 0;
    for (; x < lo; x++) {
      tmp[row + x] = acc;
      if (x + r + 1 < w) acc += p[row + x + r + 1];
    }
    for (; x < hi; x++) {
      tmp[row + x] = acc;
      acc += p[row + x + r + 1];
      acc -= p[row + x - r];
    }
    for (; x < w; x++) {
      tmp[row + x] = acc;
      if (x + r + 1 < w) acc += p[row + x + r + 1];
      if (x - r >= 0) acc -= p[row + x - r];
    }
  }
  col.fill(0, 0, w);
  for (let y = 0; y <= r && y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) col[x] += tmp[row + x];
  }
  for (let y = 0; y < h; y++) {
    const row = y * w, add = y + r + 1, sub = y - r;
    const ra = add * w, rs = sub * w;
    if (add < h && sub >= 0) {
      for (let x = 0; x < w; x++) {
        const c = col[x];
        p[row + x] = c;
        col[x] = c + tmp[ra + x] - tmp[rs + x];
      }
    } else if (add < h) {
      for (let x = 0; x < w; x++) {
        const c = col[x];
        p[row + x] = c;
        col[x] = c + tmp[ra + x];
      }
    } else if (sub >= 0) {
      for (let x = 0; x < w; x++) {
        const c = col[x];
        p[row + x] = c;
        col[x] = c - tmp[rs + x];
      }
    } else {
      for (let x = 0; x < w; x++) p[row + x] = col[x];
    }
  }
}

export class FlowEstimator {
  private readonly sizes: { w: number; h: number }[] = [];
  /** The flow at each level. */
  private readonly u: Float32Array[] = [];
  private readonly v: Float32Array[] = [];
  private readonly iterations: number;
  private readonly radius: number;
  private readonly lambda: number;
  // Scratch at full size, shared by every level.
  private readonly b1: Float32Array;
  private readonly b2: Float32Array;
  private readonly tmp: Float32Array;
  private readonly col: Float64Array;
  // The two planes of compute().
  private fromPyr: FlowPyramid | null = null;
  private toPyr: FlowPyramid | null = null;

  constructor(readonly width: number, readonly height: number, opts: FlowOptions = {}) {
    if (!(width >= 1 && height >= 1)) throw new RangeError('FlowEstimator needs a non-empty plane');
    this.iterations = opts.iterations ?? 3;
    this.radius = opts.radius ?? 3;
    const win = (2 * this.radius + 1) ** 2;
    this.lambda = (opts.lambda ?? 0.05) * win;
    const maxLevels = opts.levels ?? 5;
    const minSize = opts.minSize ?? 12;
    let w = width, h = height;
    for (let l = 0; l < maxLevels; l++) {
      this.sizes.push({ w, h });
      this.u.push(new Float32Array(w * h));
      this.v.push(new Float32Array(w * h));
      const nw = (w + 1) >> 1, nh = (h + 1) >> 1;
      if (Math.min(nw, nh) < minSize) break;
      w = nw;
      h = nh;
    }
    const n = width * height;
    this.b1 = new Float32Array(n);
    this.b2 = new Float32Array(n);
    this.tmp = new Float32Array(n);
    this.col = new Float64Array(width);
  }

  /** Number of pyramid levels in use. */
  get levelCount(): number {
    return this.sizes.length;
  }

  /** An empty pyramid of this estimator's geometry, for prepare(). */
  pyramid(): FlowPyramid {
    return new FlowPyramid(this.sizes);
  }

  /** Build `pyr` (from this.pyramid()) for `plane` (width x height): usable as either end of computePrepared(). */
  prepare(plane: Float32Array, pyr: FlowPyramid): FlowPyramid {
    const { tmp, col, radius } = this;
    if (plane.length < this.width * this.height) throw new RangeError('FlowEstimator.prepare: plane too small');
    const levels = pyr.levels;
    blur3(plane, levels[0].img, tmp, this.width, this.height);
    for (let l = 1; l < levels.length; l++) {
      const a = levels[l - 1], b = levels[l];
      halve(a.img, a.w, a.h, b.img, b.w, b.h);
    }
    for (const lv of levels) {
      const { w, h, img: i0, ix, iy, a11, a12, a22 } = lv;
      // Gradients of the reference (central differences, one-sided at the edges) and the structure tensor.
      for (let y = 0; y < h; y++) {
        const r = y * w, up = (y > 0 ? y - 1 : y) * w, dn = (y < h - 1 ? y + 1 : y) * w;
        const dyScale = y > 0 && y < h - 1 ? 0.5 : 1;
        for (let x = 0; x < w; x++) {
          const xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
          const gx = (i0[r + xr] - i0[r + xl]) * (xr - xl === 2 ? 0.5 : 1);
          const gy = (i0[dn + x] - i0[up + x]) * dyScale;
          ix[r + x] = gx;
          iy[r + x] = gy;
          a11[r + x] = gx * gx;
          a12[r + x] = gx * gy;
          a22[r + x] = gy * gy;
        }
      }
      boxSum(a11, tmp, col, w, h, radius);
      boxSum(a12, tmp, col, w, h, radius);
      boxSum(a22, tmp, col, w, h, radius);
    }
    return pyr;
  }

  /**
   * Flow from `from` to `to` (both width x height) into `out` (planar u, v; 2 * width * height):
   * to(x + out(x)) ~ from(x). `init` (same layout; may be `out` itself) is a first guess the
   * coarsest level starts from instead of zero: motion longer than the pyramid reaches.
   */
  compute(from: Float32Array, to: Float32Array, out: Float32Array, init?: Float32Array): void {
    const n = this.width * this.height;
    if (from.length < n || to.length < n || out.length < 2 * n) throw new RangeError('FlowEstimator.compute: plane too small');
    const a = this.prepare(from, (this.fromPyr ??= this.pyramid()));
    const b = this.prepare(to, (this.toPyr ??= this.pyramid()));
    this.computePrepared(a, b, out, init);
  }

  /** compute() between two prepared planes (the same result, without rebuilding their pyramids). */
  computePrepared(from: FlowPyramid, to: FlowPyramid, out: Float32Array, init?: Float32Array): void {
    const n = this.width * this.height;
    if (out.length < 2 * n) throw new RangeError('FlowEstimator.compute: plane too small');
    const last = this.sizes.length - 1;
    for (let l = last; l >= 0; l--) {
      if (l === last) {
        if (init) this.startFrom(init, l);
        else {
          this.u[l].fill(0);
          this.v[l].fill(0);
        }
      } else {
        this.upsampleFlow(l + 1, l);
      }
      this.refine(from.levels[l], to.levels[l].img, this.u[l], this.v[l]);
    }
    out.set(this.u[0].subarray(0, n), 0);
    out.set(this.v[0].subarray(0, n), n);
  }

  /** Level `l`'s flow from a full-size guess (planar u, v), sampled and scaled down. */
  private startFrom(init: Float32Array, l: number): void {
    const { width: w, height: h } = this;
    if (init.length < 2 * w * h) throw new RangeError('FlowEstimator.compute: init too small');
    const c = this.sizes[l]!, cu = this.u[l]!, cv = this.v[l]!;
    const sx = w / c.w, sy = h / c.h;
    const v = init.subarray(w * h);
    for (let y = 0; y < c.h; y++) {
      const fy = (y + 0.5) * sy - 0.5;
      for (let x = 0; x < c.w; x++) {
        const fx = (x + 0.5) * sx - 0.5;
        cu[y * c.w + x] = sampleBilinear(init, w, h, fx, fy) / sx;
        cv[y * c.w + x] = sampleBilinear(v, w, h, fx, fy) / sy;
      }
    }
  }

  private upsampleFlow(cl: number, fl: number): void {
    const c = this.sizes[cl], f = this.sizes[fl];
    const cu = this.u[cl], cv = this.v[cl], fu = this.u[fl], fv = this.v[fl];
    const sx = c.w / f.w, sy = c.h / f.h;
    for (let y = 0; y < f.h; y++) {
      const cy = (y + 0.5) * sy - 0.5;
      for (let x = 0; x < f.w; x++) {
        const cx = (x + 0.5) * sx - 0.5;
        const i = y * f.w + x;
        fu[i] = sampleBilinear(cu, c.w, c.h, cx, cy) / sx;
        fv[i] = sampleBilinear(cv, c.w, c.h, cx, cy) / sy;
      }
    }
  }

  /**
   * Gauss–Newton iterations at one level. Each iteration linearises every window pixel's residual
   * around the centre pixel's own flow (r_j(u_i) ~ r_j(u_j) + g_j . (u_i - u_j)), so the update does
   * not depend on how rough the neighbours' current flow is:
   * u_i <- (A_i + lambda I)^-1 (sum_j g_j (g_j . u_j - r_j) + lambda u_i).
   * A pixel's residual term needs only its own flow, so the next iteration's is made as soon as the
   * pixel is updated: one pass over the level per iteration.
   */
  private refine(lv: PlaneLevel, i1: Float32Array, u: Float32Array, v: Float32Array): void {
    const { w, h, a11, a12, a22 } = lv;
    const { b1, b2, tmp, col, radius, lambda, iterations } = this;
    for (let y = 0, i = 0; y < h; y++) for (let x = 0; x < w; x++, i++) this.residualAt(lv, i1, u[i], v[i], x, y, i);
    for (let it = 0; it < iterations; it++) {
      boxSum(b1, tmp, col, w, h, radius);
      boxSum(b2, tmp, col, w, h, radius);
      const more = it < iterations - 1;
      for (let y = 0, i = 0; y < h; y++) {
        for (let x = 0; x < w; x++, i++) {
          const p = a11[i] + lambda, q = a12[i], s = a22[i] + lambda;
          const det = p * s - q * q;
          const c1 = b1[i] + lambda * u[i], c2 = b2[i] + lambda * v[i];
          let du = (s * c1 - q * c2) / det - u[i];
          let dv = (p * c2 - q * c1) / det - v[i];
          // A step longer than a pixel is outside the linearisation's reach; cap it.
          if (du > 1) du = 1;
          else if (du < -1) du = -1;
          if (dv > 1) dv = 1;
          else if (dv < -1) dv = -1;
          u[i] += du;
          v[i] += dv;
          if (more) this.residualAt(lv, i1, u[i], v[i], x, y, i);
        }
      }
    }
  }

  /** Pixel i = (x, y)'s residual term b = g (g . u - r) at flow (uu, vv), into b1 / b2. */
  private residualAt(lv: PlaneLevel, i1: Float32Array, uu: number, vv: number, x: number, y: number, i: number): void {
    const gx = lv.ix[i], gy = lv.iy[i];
    const e = gx * uu + gy * vv - (sampleBilinear(i1, lv.w, lv.h, x + uu, y + vv) - lv.img[i]);
    this.b1[i] = gx * e;
    this.b2[i] = gy * e;
  }
}

/**
 * Forward–backward consistency (Sundaram, Brox & Keutzer, ECCV 2010): a pixel x of frame A is kept
 * when x + fwd(x) lands inside frame B and the backward flow there brings it back:
 * |fwd(x) + bwd(x + fwd(x))|^2 <= 0.01 (|fwd(x)|^2 + |bwd(x + fwd(x))|^2) + 0.5.
 * `fwd` is A -> B, `bwd` is B -> A; `mask` (w * h) gets 1 for kept pixels. Returns the kept count.
 */
export function consistencyMask(fwd: Float32Array, bwd: Float32Array, w: number, h: number, mask: Uint8Array): number {
  const n = w * h;
  let kept = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = fwd[i], v = fwd[n + i];
      const tx = x + u, ty = y + v;
      if (tx < -0.5 || ty < -0.5 || tx > w - 0.5 || ty > h - 0.5) {
        mask[i] = 0;
        continue;
      }
      const bu = sampleBilinear(bwd, w, h, tx, ty);
      const bv = sampleBilinearOffset(bwd, n, w, h, tx, ty);
      const du = u + bu, dv = v + bv;
      const ok = du * du + dv * dv <= 0.01 * (u * u + v * v + bu * bu + bv * bv) + 0.5;
      mask[i] = ok ? 1 : 0;
      if (ok) kept++;
    }
  }
  return kept;
}

/** Bilinear sample of the plane starting at `offset` in `p`. */
export function sampleBilinearOffset(p: Float32Array, offset: number, w: number, h: number, x: number, y: number): number {
  if (x < 0) x = 0;
  else if (x > w - 1) x = w - 1;
  if (y < 0) y = 0;
  else if (y > h - 1) y = h - 1;
  const x0 = x | 0, y0 = y | 0;
  const x1 = x0 < w - 1 ? x0 + 1 : x0, y1 = y0 < h - 1 ? y0 + 1 : y0;
  const fx = x - x0, fy = y - y0;
  const r0 = offset + y0 * w, r1 = offset + y1 * w;
  const top = p[r0 + x0] + (p[r0 + x1] - p[r0 + x0]) * fx;
  const bot = p[r1 + x0] + (p[r1 + x1] - p[r1 + x0]) * fx;
  return top + (bot - top) * fy;
}

/** Mean end-point error between a flow field and a constant (u, v), over pixels at least `border` from the edges. */
export function meanEndpointError(flow: Float32Array, w: number, h: number, u: number, v: number, border = 0): number {
  const n = w * h;
  let sum = 0, count = 0;
  for (let y = border; y < h - border; y++) {
    for (let x = border; x < w - border; x++) {
      const i = y * w + x;
      sum += Math.hypot(flow[i] - u, flow[n + i] - v);
      count++;
    }
  }
  return count ? sum / count : 0;
}
