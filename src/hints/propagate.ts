// Hint propagation: pulls the decoded ab towards each user hint's colour over the region the hint
// sits in. The net also sees the hints (its `hints` input), but a small net trained briefly on CPU
// spreads them unevenly: too little for a person's click to show on most photos. A geodesic distance transform
// from the hinted cells, where a step costs 1 per cell plus `edgeCost` per unit of L difference,
// carries the nearest hint's ab; the blend weight exp(-d / reach) fades with that distance, so a
// hint stops at edges in L and far from its point. A saturated hint is also held to its own lightness
// (lightnessChroma): spilt onto a white wall it costs far more than a near-neutral one does. Given
// the net's prediction without the hints too (the graph's unhinted pass), the net's own hinted
// change is held to the same neighbourhood first (netReach), since a net may spread a hint over
// the whole frame by itself. Runs at
// the model's output resolution (a 48x36 grid for a 640x480 frame), two chamfer passes over the
// 8-neighbourhood: well under a millisecond.
// training/propagate.py is the same algorithm, used to choose the defaults on validation photos.

/** Options of {@link propagateHints}. */
export interface PropagateOptions {
  /** Distance (in output cells, edges counted) at which a hint's pull falls to 1/e. Default {@link DEFAULT_REACH}. */
  reach?: number;
  /** Added step cost per unit of CIE L difference between neighbouring cells. Default {@link DEFAULT_EDGE_COST}. */
  edgeCost?: number;
  /**
   * Keeps a saturated hint on its own lightness: a cell's pull is also scaled by
   * exp(-gap * chroma_hint / lightnessChroma), gap = how far L_hint lies outside the range of L
   * around the cell (its block of model pixels, at least 4 x 4), however smooth the way there. A near-neutral
   * hint (a wall, the sky's haze) still spreads wide; a red coat's colour stops where the lightness
   * changes. Infinity turns the gate off. Default {@link DEFAULT_LIGHTNESS_CHROMA}.
   */
  lightnessChroma?: number;
  /**
   * When the net's unhinted prediction is given too (`base` of {@link HintPropagator.apply}): the
   * distance, counted like `reach`, at which the net's own hinted change (hinted minus unhinted
   * prediction) falls to 1/e; the same lightness gate applies. Beyond it the unhinted prediction
   * stands. Default {@link DEFAULT_NET_REACH}.
   */
  netReach?: number;
}

/** Chosen on the tuning half of the validation split (training/RESULTS.md, "Hint propagation"). */
export const DEFAULT_REACH = 24;
export const DEFAULT_EDGE_COST = 0.3;
/** Measured on the development clips and the untouched validation half (training/hints-experiments.md). */
export const DEFAULT_LIGHTNESS_CHROMA = 200;
export const DEFAULT_NET_REACH = 24;

/**
 * The gate reads a cell's range of L over at least this many model pixels a side: a net with
 * full-resolution output (1 pixel a cell) would otherwise see a textured object's every pixel as
 * a lightness change. Our nets output one cell per 4 x 4 pixels, where this changes nothing.
 */
const GATE_BLOCK = 4;

const SQRT2 = Math.SQRT2;

/** Work buffers, kept between frames of one size. */
export class HintPropagator {
  private d = new Float32Array(0);
  private sa = new Float32Array(0);
  private sb = new Float32Array(0);
  private l = new Float32Array(0);
  private sl = new Float32Array(0);
  private lmin = new Float32Array(0);
  private lmax = new Float32Array(0);
  private cnt = new Uint16Array(0);

  /**
   * In place: `ab` (planar a then b, w x h output cells) pulled towards the hints in `planes`
   * (3 x W x H at model resolution: a/110, b/110, mask - 0.5), with `modelL` (W x H, CIE L) for the
   * edges. W = w * factor, H = h * factor. With `base` (the net's prediction for the same frame
   * without hints, same layout as `ab`), the net's hinted change is first kept only near the hints
   * (`netReach`). Returns false (ab untouched) when no pixel is hinted.
   */
  apply(ab: Float32Array, w: number, h: number, planes: Float32Array, modelL: Float32Array, W: number, H: number, opts: PropagateOptions = {}, base?: Float32Array): boolean {
    const reach = opts.reach ?? DEFAULT_REACH, edge = opts.edgeCost ?? DEFAULT_EDGE_COST;
    const netReach = opts.netReach ?? DEFAULT_NET_REACH;
    const invLC = 1 / (opts.lightnessChroma ?? DEFAULT_LIGHTNESS_CHROMA);
    const n = w * h, fx = Math.floor(W / w), fy = Math.floor(H / h);
    if (this.d.length !== n) {
      this.d = new Float32Array(n); this.sa = new Float32Array(n); this.sb = new Float32Array(n);
      this.l = new Float32Array(n); this.sl = new Float32Array(n); this.cnt = new Uint16Array(n);
      this.lmin = new Float32Array(n); this.lmax = new Float32Array(n);
    }
    const { d, sa, sb, l, sl, cnt, lmin, lmax } = this;
    l.fill(0); sa.fill(0); sb.fill(0); sl.fill(0); cnt.fill(0); lmin.fill(Infinity); lmax.fill(-Infinity);
    const plane = W * H, inv = 1 / (fx * fy);
    let any = false;
    // Cells: mean L; seed ab = mean hint ab of the cell's hinted pixels.
    for (let y = 0; y < h * fy; y++) {
      const row = y * W, cy = ((y / fy) | 0) * w;
      for (let x = 0; x < w * fx; x++) {
        const c = cy + ((x / fx) | 0), p = row + x;
        l[c] += modelL[p] * inv;
        if (planes[2 * plane + p] > 0) {
          sa[c] += planes[p] * 110; sb[c] += planes[plane + p] * 110; sl[c] += modelL[p]; cnt[c]++;
          any = true;
        }
      }
    }
    if (!any) return false;
    // Each cell's range of L, over its block of model pixels widened to GATE_BLOCK a side.
    const bx = Math.max(fx, GATE_BLOCK), by = Math.max(fy, GATE_BLOCK);
    for (let cy = 0; cy < h; cy++) {
      const y0 = Math.max(0, cy * fy + Math.floor((fy - by) / 2)), y1 = Math.min(H, y0 + by);
      for (let cx = 0; cx < w; cx++) {
        const x0 = Math.max(0, cx * fx + Math.floor((fx - bx) / 2)), x1 = Math.min(W, x0 + bx);
        let lo = Infinity, hi = -Infinity;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
          const v = modelL[y * W + x];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        lmin[cy * w + cx] = lo; lmax[cy * w + cx] = hi;
      }
    }
    for (let c = 0; c < n; c++) {
      // A seed's lightness is that of its hinted pixels, not of the whole cell (which may straddle an edge).
      if (cnt[c]) { sa[c] /= cnt[c]; sb[c] /= cnt[c]; sl[c] /= cnt[c]; d[c] = 0; } else d[c] = Infinity;
    }
    for (let pass = 0; pass < 2; pass++) {
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const c = y * w + x;
        relax(c, x > 0 && y > 0 ? c - w - 1 : -1, SQRT2);
        relax(c, y > 0 ? c - w : -1, 1);
        relax(c, x < w - 1 && y > 0 ? c - w + 1 : -1, SQRT2);
        relax(c, x > 0 ? c - 1 : -1, 1);
      }
      for (let y = h - 1; y >= 0; y--) for (let x = w - 1; x >= 0; x--) {
        const c = y * w + x;
        relax(c, x < w - 1 && y < h - 1 ? c + w + 1 : -1, SQRT2);
        relax(c, y < h - 1 ? c + w : -1, 1);
        relax(c, x > 0 && y < h - 1 ? c + w - 1 : -1, SQRT2);
        relax(c, x < w - 1 ? c + 1 : -1, 1);
      }
    }
    for (let c = 0; c < n; c++) {
      if (d[c] === Infinity) {
        if (base) { ab[c] = base[c]; ab[n + c] = base[n + c]; }
        continue;
      }
      // The lightness gap is to the cell's range of L, not its mean: a cell across the object's edge
      // holds some of the object (and a hinted cell holds its own hinted pixels), so it keeps the colour.
      const gap = Math.max(0, lmin[c] - sl[c], sl[c] - lmax[c]);
      const held = gap * Math.hypot(sa[c], sb[c]) * invLC;
      if (base) {
        // The net may carry a hint's colour over the whole frame (a hoodie's orange onto the wall):
        // its change stands only as far as the hint's own region reaches.
        const kn = Math.exp(-d[c] / netReach - held);
        ab[c] = base[c] + kn * (ab[c] - base[c]);
        ab[n + c] = base[n + c] + kn * (ab[n + c] - base[n + c]);
      }
      const k = Math.exp(-d[c] / reach - held);
      ab[c] += k * (sa[c] - ab[c]);
      ab[n + c] += k * (sb[c] - ab[n + c]);
    }
    return true;

    function relax(c: number, from: number, step: number): void {
      if (from < 0) return;
      const v = d[from] + step + edge * Math.abs(l[c] - l[from]);
      if (v < d[c]) { d[c] = v; sa[c] = sa[from]; sb[c] = sb[from]; sl[c] = sl[from]; }
    }
  }
}
