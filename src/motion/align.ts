// The global alignment of two pictures of one view (or of a patch within a picture): the translation that maximises their
// normalised cross-correlation, searched exhaustively over a small range. The correlation is
// computed over the overlap only (with the overlap's own means and deviations), so a shifted
// frame is not penalised for the strip that left the picture; a minimum overlap keeps a tiny
// corner from matching by chance. A camera that moved a little, people who walked through, a
// change of exposure: the background still correlates. A different view does not.

import { pearson } from './pearson.js';

/** A gray picture, row-major. */
export interface Picture {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export interface Shift {
  /** b(x + dx, y + dy) shows what a(x, y) shows. */
  dx: number;
  dy: number;
  /** Normalised cross-correlation over the overlap, -1..1 (0 when either side is flat). */
  score: number;
}

export interface AlignOptions {
  /** Largest shift tried each way, pixels (default: an eighth of the width, at least 1). */
  maxShift?: number;
  /** Overlap below this share of `a`'s window is not tried (default 0.6). */
  minOverlap?: number;
  /** Window of `a` to align (default: all of it): a patch around a point. */
  window?: { x0: number; y0: number; x1: number; y1: number };
  /** Centre of the search: shifts tried are centre ± maxShift (default 0, 0). */
  centre?: { dx: number; dy: number };
}

/** The best translation of `b` onto `a` (same size or not) within the search range. */
export function bestShift(a: Picture, b: Picture, o: AlignOptions = {}): Shift {
  const win = o.window ?? { x0: 0, y0: 0, x1: a.width, y1: a.height };
  const range = o.maxShift ?? Math.max(1, Math.round(a.width / 8));
  const minPixels = (o.minOverlap ?? 0.6) * (win.x1 - win.x0) * (win.y1 - win.y0);
  const cx = o.centre?.dx ?? 0, cy = o.centre?.dy ?? 0;
  let best: Shift = { dx: cx, dy: cy, score: -Infinity };
  for (let dy = cy - range; dy <= cy + range; dy++) {
    for (let dx = cx - range; dx <= cx + range; dx++) {
      const s = correlation(a, b, win, dx, dy, minPixels);
      if (s > best.score) best = { dx, dy, score: s };
    }
  }
  if (best.score === -Infinity) best.score = 0;
  return best;
}

/**
 * `s` (a bestShift result) to a fraction of a pixel: on each axis, the vertex of the parabola
 * through the correlations one pixel either side and at `s` (at most half a pixel away).
 */
export function subpixelShift(a: Picture, b: Picture, s: Shift, o: AlignOptions = {}): { dx: number; dy: number } {
  const win = o.window ?? { x0: 0, y0: 0, x1: a.width, y1: a.height };
  const minPixels = (o.minOverlap ?? 0.6) * (win.x1 - win.x0) * (win.y1 - win.y0);
  const vertex = (lo: number, hi: number): number => {
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return 0;
    const curve = lo - 2 * s.score + hi;
    return curve < 0 ? Math.max(-0.5, Math.min(0.5, (lo - hi) / (2 * curve))) : 0;
  };
  return {
    dx: s.dx + vertex(correlation(a, b, win, s.dx - 1, s.dy, minPixels), correlation(a, b, win, s.dx + 1, s.dy, minPixels)),
    dy: s.dy + vertex(correlation(a, b, win, s.dx, s.dy - 1, minPixels), correlation(a, b, win, s.dx, s.dy + 1, minPixels)),
  };
}

/** NCC of `a`'s window with `b` shifted by (dx, dy), over the part of the window both cover; -Infinity below `minPixels`. */
function correlation(a: Picture, b: Picture, win: NonNullable<AlignOptions['window']>, dx: number, dy: number, minPixels: number): number {
  const x0 = Math.max(win.x0, -dx), x1 = Math.min(win.x1, b.width - dx);
  const y0 = Math.max(win.y0, -dy), y1 = Math.min(win.y1, b.height - dy);
  const n = (x1 - x0) * (y1 - y0);
  if (x1 <= x0 || y1 <= y0 || n < minPixels) return -Infinity;
  const A = a.data, B = b.data;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let y = y0; y < y1; y++) {
    let ia = y * a.width + x0, ib = (y + dy) * b.width + x0 + dx;
    for (let x = x0; x < x1; x++, ia++, ib++) {
      const va = A[ia], vb = B[ib];
      sa += va;
      sb += vb;
      saa += va * va;
      sbb += vb * vb;
      sab += va * vb;
    }
  }
  return pearson(n, sa, sb, saa, sbb, sab, 1e-9 * n);
}
