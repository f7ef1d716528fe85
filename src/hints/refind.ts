// Re-finding a hint point that the tracker lost (an actor walked in front of it, a check failed):
// its patch, cut from the last frame it was followed in, is looked for in each following frame
// round where its last motion would have taken it, the search widening a pixel a frame; where the
// patch correlates well again, the point is back and is followed on from there. A point is only
// re-found where its patch says so: a patch too plain to tell one place from another is not
// searched, so a hint never resumes on whatever plain surface lies near.
import { bestShift, type Picture } from '../motion/align.js';

export interface RefindOptions {
  /** Patch radius, model pixels (default 8: a 17 x 17 patch; a plainer patch is taken at twice the radius). */
  radius?: number;
  /** Correlation at or above which the patch is found again (default 0.8). */
  minCorrelation?: number;
  /** Search radius on the first frame after the loss, model pixels; it grows by 1 a frame (default 4). */
  searchRadius?: number;
  /** Largest search radius, model pixels (default 24). */
  maxSearchRadius?: number;
  /** Patches whose codes vary less than this (standard deviation, 0..255) at twice the radius are not searched (default 3). */
  minStd?: number;
}

export const REFIND_DEFAULTS = { radius: 8, minCorrelation: 0.8, searchRadius: 4, maxSearchRadius: 24, minStd: 3 } as const;

/** A lost point's patch and where it was last seen; null when its patch is too plain to search for. */
export interface LostPatch {
  patch: Picture;
  /** The point's place within the patch (pixels from its top-left). */
  ox: number;
  oy: number;
  /** Last position and motion (model pixels a frame). */
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Frames since the last frame it was seen. */
  age: number;
}

/** The patch round (x, y) in `plane` (width w, height h), or null when it is too plain (or the point is off the plane). */
export function cutPatch(plane: Uint8Array, w: number, h: number, p: { x: number; y: number; vx: number; vy: number }, o: RefindOptions = {}): LostPatch | null {
  const base = o.radius ?? REFIND_DEFAULTS.radius;
  const minStd = o.minStd ?? REFIND_DEFAULTS.minStd;
  for (const r of [base, 2 * base]) {
    const cx = Math.round(p.x), cy = Math.round(p.y);
    const x0 = Math.max(0, cx - r), y0 = Math.max(0, cy - r), x1 = Math.min(w, cx + r + 1), y1 = Math.min(h, cy + r + 1);
    if (x1 - x0 < r + 1 || y1 - y0 < r + 1) return null;
    const pw = x1 - x0, ph = y1 - y0;
    const data = new Uint8Array(pw * ph);
    let s = 0, ss = 0;
    for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) {
      const v = plane[(y0 + y) * w + x0 + x];
      data[y * pw + x] = v;
      s += v;
      ss += v * v;
    }
    const n = pw * ph;
    if (Math.sqrt(Math.max(0, ss / n - (s / n) ** 2)) >= minStd) {
      return { patch: { width: pw, height: ph, data }, ox: p.x - x0, oy: p.y - y0, x: p.x, y: p.y, vx: p.vx, vy: p.vy, age: 0 };
    }
  }
  return null;
}

/**
 * Look for `lost` in the next frame's plane (one frame further from where it was seen): its new
 * position, or null (and its age grows). The predicted place is its last position moved by its
 * last motion for every frame since; the search round it widens a pixel a frame.
 */
export function refind(lost: LostPatch, plane: Uint8Array, w: number, h: number, o: RefindOptions = {}): { x: number; y: number; score: number } | null {
  lost.age++;
  const px = lost.x + lost.vx * lost.age, py = lost.y + lost.vy * lost.age;
  const range = Math.min(o.maxSearchRadius ?? REFIND_DEFAULTS.maxSearchRadius, (o.searchRadius ?? REFIND_DEFAULTS.searchRadius) + lost.age - 1);
  const s = bestShift(lost.patch, { width: w, height: h, data: plane }, {
    centre: { dx: Math.round(px - lost.ox), dy: Math.round(py - lost.oy) }, maxShift: range, minOverlap: 1,
  });
  if (s.score < (o.minCorrelation ?? REFIND_DEFAULTS.minCorrelation)) return null;
  return { x: s.dx + lost.ox, y: s.dy + lost.oy, score: s.score };
}
