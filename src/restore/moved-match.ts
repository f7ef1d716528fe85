// Whether a spike is a thing that moved: dust exists on one frame only, while a small bright or
// dark object that moved further than the flow followed (a headlight, a ball, a hand in a fast
// pan) is still in the neighbouring frames, somewhere near. The patch around the spike is looked
// for in each compensated neighbour, displaced up to a radius: when both neighbours hold a
// displaced copy that matches far better than the neighbour does in place, the spike is motion.

/** A displaced copy counts when its squared error is under this share of the in-place error. */
const MATCH_SHARE = 0.3;
/** Pixels of frame around the spike's box that belong to the patch (its shape against its surroundings). */
const PAD = 2;

/**
 * True when the patch of `cur` over the box x0..x1, y0..y1 (padded by PAD) reappears within
 * `radius` px in both `a` and `b`, matching at least 1 / MATCH_SHARE times better than either does
 * in place. Searched on a 2-px grid, then refined around the best.
 */
export function copyNearby(
  cur: Float32Array, a: Float32Array, b: Float32Array, w: number, h: number,
  x0: number, y0: number, x1: number, y1: number, radius: number,
): boolean {
  const px0 = Math.max(0, x0 - PAD), py0 = Math.max(0, y0 - PAD), px1 = Math.min(w - 1, x1 + PAD), py1 = Math.min(h - 1, y1 + PAD);
  return found(cur, a, w, h, px0, py0, px1, py1, radius) && found(cur, b, w, h, px0, py0, px1, py1, radius);
}

function found(cur: Float32Array, nb: Float32Array, w: number, h: number, x0: number, y0: number, x1: number, y1: number, radius: number): boolean {
  const inPlace = ssd(cur, nb, w, x0, y0, x1, y1, 0, 0, Infinity);
  const limit = MATCH_SHARE * inPlace;
  if (!(limit > 0)) return false;
  let best = Infinity, bx = 0, by = 0;
  for (let dy = -radius; dy <= radius; dy += 2) {
    if (y0 + dy < 0 || y1 + dy >= h) continue;
    for (let dx = -radius; dx <= radius; dx += 2) {
      if (x0 + dx < 0 || x1 + dx >= w || (dx === 0 && dy === 0)) continue;
      const e = ssd(cur, nb, w, x0, y0, x1, y1, dx, dy, best);
      if (e < best) {
        best = e;
        bx = dx;
        by = dy;
      }
    }
  }
  if (best < limit) return true;
  if (best === Infinity) return false;
  for (let dy = by - 1; dy <= by + 1; dy++) {
    if (y0 + dy < 0 || y1 + dy >= h) continue;
    for (let dx = bx - 1; dx <= bx + 1; dx++) {
      if (x0 + dx < 0 || x1 + dx >= w || (dx === 0 && dy === 0)) continue;
      if (ssd(cur, nb, w, x0, y0, x1, y1, dx, dy, limit) < limit) return true;
    }
  }
  return false;
}

/** Sum of squared differences between cur's box and nb's box displaced by dx, dy; stops past `stop`. */
function ssd(cur: Float32Array, nb: Float32Array, w: number, x0: number, y0: number, x1: number, y1: number, dx: number, dy: number, stop: number): number {
  let s = 0;
  for (let y = y0; y <= y1; y++) {
    const r = y * w, q = (y + dy) * w + dx;
    for (let x = x0; x <= x1; x++) {
      const d = cur[r + x] - nb[q + x];
      s += d * d;
    }
    if (s >= stop) return s;
  }
  return s;
}
