// What the temporal blob detectors (dust.ts, blotches.ts) share: the frame's noise level against
// its warped neighbours, flooding a blob of candidates, and the two tests that tell damage on
// this frame from motion the flow missed (the frame around the blob matches the neighbours; the
// neighbours do not hold a thing like the blob nearby that moved).

/** A blob's box, inclusive. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Robust standard deviation of cur - mean(a, b) over every fourth pixel of every fourth row. */
export function residualSpread(cur: Float32Array, a: Float32Array, b: Float32Array, w: number, h: number, hist: Uint32Array): number {
  hist.fill(0);
  let count = 0;
  for (let y = 0; y < h; y += 4) {
    for (let x = 0; x < w; x += 4) {
      const i = y * w + x;
      hist[Math.min(255, Math.floor(Math.abs(cur[i]! - 0.5 * (a[i]! + b[i]!)) * 10))]!++;
      count++;
    }
  }
  let acc = 0, bin = 0;
  for (; bin < 255 && acc + hist[bin]! < count / 2; bin++) acc += hist[bin]!;
  return 1.4826 * ((bin + 0.5) / 10);
}

/**
 * Floods the 8-connected pixels marked `from` (or `also`, when given) around `seed` (marked
 * `from` too), marking them `to` and listing them from stack[0]. Returns their count and box.
 */
export function floodBlob(mask: Uint8Array, stack: Int32Array, seed: number, w: number, h: number, from: number, to: number, also = -1): Box & { count: number } {
  let top = 0, end = 0;
  stack[end++] = seed;
  mask[seed] = to;
  let x0 = w, x1 = 0, y0 = h, y1 = 0;
  while (top < end) {
    const i = stack[top++]!;
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
        if (mask[j] === from || mask[j] === also) {
          mask[j] = to;
          stack[end++] = j;
        }
      }
    }
  }
  return { count: end, x0, y0, x1, y1 };
}

/** The blob's mean value (its pixels stack[0..count)), and whether it is darker than `a` and `b` there. */
function blobLevel(cur: Float32Array, a: Float32Array, b: Float32Array, stack: Int32Array, count: number): { level: number; dark: boolean } {
  let sum = 0, diff = 0;
  for (let q = 0; q < count; q++) {
    const i = stack[q]!;
    sum += cur[i]!;
    diff += cur[i]! - 0.5 * (a[i]! + b[i]!);
  }
  return { level: sum / count, dark: diff < 0 };
}

/**
 * True when something as dark (or as bright) as the blob lies within `search` pixels of its box
 * in both `a` and `b`, at a place where this frame does not have it: a thing that moved further
 * than the flow could follow (a leash, a hand), not damage on this frame only. The blob's pixels
 * are stack[0..count).
 */
export function movedNearby(cur: Float32Array, a: Float32Array, b: Float32Array, stack: Int32Array, count: number, box: Box, search: number, t: number, w: number, h: number): boolean {
  const { level, dark } = blobLevel(cur, a, b, stack, count);
  // The moved thing is about as large as the blob: a few stray pixels at a moving edge are not it.
  const need = Math.max(2, count >> 1);
  let inA = 0, inB = 0;
  for (let y = Math.max(0, box.y0 - search); y <= Math.min(h - 1, box.y1 + search); y++) {
    const r = y * w;
    for (let x = Math.max(0, box.x0 - search); x <= Math.min(w - 1, box.x1 + search); x++) {
      // Only where this frame does not have it: dark foliage that sits still is no witness.
      const i = r + x, vc = cur[i]!, va = a[i]!, vb = b[i]!;
      if ((dark ? va <= level + 0.5 * t : va >= level - 0.5 * t) && Math.abs(va - vc) > t) inA++;
      if ((dark ? vb <= level + 0.5 * t : vb >= level - 0.5 * t) && Math.abs(vb - vc) > t) inB++;
    }
  }
  return inA >= need && inB >= need;
}

/** Scratch for movedThing(): a window's flags and flood queue, grown as needed. */
export interface ThingScratch {
  flags: Uint8Array;
  queue: Int32Array;
}

/**
 * Like movedNearby, but the thing must be one 8-connected region, at least `share` of the blob's
 * size, in both `a` and `b`: a thing that moved is whole, while on a busy pan the warped frames'
 * errors leave scattered pixels as dark as the blob all around it.
 */
export function movedThing(cur: Float32Array, a: Float32Array, b: Float32Array, stack: Int32Array, count: number, box: Box, search: number, t: number, share: number,
  scratch: ThingScratch, w: number, h: number): boolean {
  const { level, dark } = blobLevel(cur, a, b, stack, count);
  const need = Math.max(2, Math.ceil(share * count));
  const x0 = Math.max(0, box.x0 - search), x1 = Math.min(w - 1, box.x1 + search), y0 = Math.max(0, box.y0 - search), y1 = Math.min(h - 1, box.y1 + search);
  const ww = x1 - x0 + 1, hh = y1 - y0 + 1, size = ww * hh;
  if (scratch.flags.length < size) [scratch.flags, scratch.queue] = [new Uint8Array(size), new Int32Array(size)];
  const { flags, queue } = scratch;
  const largest = (p: Float32Array): number => {
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * w + x, vp = p[i]!;
        flags[(y - y0) * ww + x - x0] = (dark ? vp <= level + 0.5 * t : vp >= level - 0.5 * t) && Math.abs(vp - cur[i]!) > t ? 1 : 0;
      }
    }
    let best = 0;
    for (let s = 0; s < size && best < need; s++) {
      if (flags[s] !== 1) continue;
      flags[s] = 2;
      let top = 0, end = 0;
      queue[end++] = s;
      while (top < end) {
        const k = queue[top++]!, x = k % ww, y = (k - x) / ww;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= hh) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx, j = yy * ww + xx;
            if (xx < 0 || xx >= ww || flags[j] !== 1) continue;
            flags[j] = 2;
            queue[end++] = j;
          }
        }
      }
      if (end > best) best = end;
    }
    return best;
  };
  return largest(a) >= need && largest(b) >= need;
}

/**
 * True when, in a margin of `margin` pixels around a blob's box, the frame agrees with its
 * neighbours' mean to within `limit` on average: the motion compensation holds there. The blob's
 * soft edge (a pixel beyond its box) and marked pixels (other blobs) are no evidence.
 */
export function settledAround(cur: Float32Array, a: Float32Array, b: Float32Array, mask: Uint8Array, box: Box, margin: number, limit: number, w: number, h: number): boolean {
  let s = 0, c = 0;
  forMargin(mask, box, margin, w, h, (i) => {
    s += Math.abs(cur[i]! - 0.5 * (a[i]! + b[i]!));
    c++;
  });
  return c === 0 || s / c <= limit;
}

/** Mean absolute difference between `cur` and `plane` in place over the margin around the box (pixels as in settledAround); 0 when there are none. */
export function differenceAround(cur: Float32Array, plane: Float32Array, mask: Uint8Array, box: Box, margin: number, w: number, h: number): number {
  let s = 0, c = 0;
  forMargin(mask, box, margin, w, h, (i) => {
    s += Math.abs(cur[i]! - plane[i]!);
    c++;
  });
  return c === 0 ? 0 : s / c;
}

/** Calls `fn` for each pixel in a margin of `margin` around the box, beyond its soft edge (a pixel) and unmarked. */
function forMargin(mask: Uint8Array, box: Box, margin: number, w: number, h: number, fn: (i: number) => void): void {
  const { x0, y0, x1, y1 } = box;
  for (let y = Math.max(0, y0 - margin); y <= Math.min(h - 1, y1 + margin); y++) {
    for (let x = Math.max(0, x0 - margin); x <= Math.min(w - 1, x1 + margin); x++) {
      const i = y * w + x;
      if (mask[i] === 0 && !(x >= x0 - 1 && x <= x1 + 1 && y >= y0 - 1 && y <= y1 + 1)) fn(i);
    }
  }
}

/**
 * True when, in a margin of `margin` pixels around a blob's box, at least half the pixels match
 * one of the neighbours to within `limit` (the median of the smaller of the two differences). At
 * a motion boundary (a tracked car before a panning street) the flow blurs the two motions, so
 * neither neighbour matches all of the margin; but what one of them hides the other shows, and
 * the frame around damage still matches one of them on most of it. Pixels as in settledAround.
 */
export function matchedAround(cur: Float32Array, a: Float32Array, b: Float32Array, mask: Uint8Array, box: Box, margin: number, limit: number, w: number, h: number): boolean {
  let within = 0, c = 0;
  forMargin(mask, box, margin, w, h, (i) => {
    const v = cur[i]!;
    if (Math.min(Math.abs(v - a[i]!), Math.abs(v - b[i]!)) <= limit) within++;
    c++;
  });
  return c === 0 || 2 * within >= c;
}

/** True when any entry of `flags` (w wide) inside the box is set. */
export function anyIn(flags: Uint8Array, box: Box, w: number): boolean {
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) if (flags[y * w + x]) return true;
  }
  return false;
}

/** A frame near this one as it is (not warped), and where the camera's pan puts this frame's content in it. */
export interface TrackFrame {
  plane: Float32Array;
  /** Content at (x, y) on this frame lies at (x + dx, y + dy) there, camera motion alone (px). */
  dx: number;
  dy: number;
}

/** Blob pixels sampled for seenElsewhere(): enough to tell a patch, few enough to search widely. */
const TRACK_SAMPLES = 256;
/** Near matches of the coarse search that seenElsewhere() looks at closely, per frame. */
const TRACK_CANDIDATES = 48;

/**
 * The blob's track: true when the blob's own content (its pixels, stack[0..count)) is found in
 * one of `frames` within `search` px of where it would sit if it stood still or moved with the
 * camera, matching to within `limit` L on average, at a place where this frame does not show
 * the same (after the camera's pan): something in the scene that moved. Damage on this frame
 * alone is in no other frame; a patch of one tone can match a still part of the scene of that
 * tone, which this frame shows too, so that match is no track. Searched every 2 px, then
 * around each near match to 1 px, over up to TRACK_SAMPLES of the blob's pixels.
 */
export function seenElsewhere(cur: Float32Array, frames: TrackFrame[], stack: Int32Array, count: number, search: number, limit: number, w: number, h: number): boolean {
  const step = Math.max(1, Math.floor(count / TRACK_SAMPLES));
  const xs: number[] = [], ys: number[] = [], vs: number[] = [];
  for (let q = 0; q < count; q += step) {
    const i = stack[q]!, x = i % w;
    xs.push(x);
    ys.push((i - x) / w);
    vs.push(cur[i]!);
  }
  const m = xs.length;
  /** Mean |a(sample + (ax, ay)) - b(sample + (bx, by))| (b null: the sample's own value); past the edge (or over `cap`) Infinity. */
  const cost = (a: Float32Array, ax: number, ay: number, b: Float32Array | null, bx: number, by: number, cap: number): number => {
    let s = 0;
    const stop = cap * m;
    for (let k = 0; k < m; k++) {
      const x = xs[k]! + ax, y = ys[k]! + ay, x2 = xs[k]! + bx, y2 = ys[k]! + by;
      if (x < 0 || y < 0 || x >= w || y >= h || x2 < 0 || y2 < 0 || x2 >= w || y2 >= h) return Infinity;
      s += Math.abs(a[y * w + x]! - (b ? b[y2 * w + x2]! : vs[k]!));
      if (s > stop) return Infinity;
    }
    return s / m;
  };
  for (const f of frames) {
    const cx = Math.round(f.dx), cy = Math.round(f.dy);
    const x0 = Math.min(0, cx) - search, x1 = Math.max(0, cx) + search, y0 = Math.min(0, cy) - search, y1 = Math.max(0, cy) + search;
    const near: number[] = [];
    for (let dy = y0; dy <= y1; dy += 2) {
      for (let dx = x0; dx <= x1; dx += 2) if (cost(f.plane, dx, dy, null, 0, 0, 1.5 * limit) <= 1.5 * limit) near.push(dx, dy);
    }
    for (let k = 0; k < near.length && k < 2 * TRACK_CANDIDATES; k += 2) {
      for (let dy = near[k + 1]! - 1; dy <= near[k + 1]! + 1; dy++) {
        for (let dx = near[k]! - 1; dx <= near[k]! + 1; dx++) {
          if (cost(f.plane, dx, dy, null, 0, 0, limit) > limit) continue;
          // Where the scene (still, or moved with the camera) puts it: its own content, which the
          // flow missed. Elsewhere it is a track unless this frame shows the same there too
          // (a patch of one tone matching a part of the scene of that tone).
          if ((Math.abs(dx - cx) <= 3 && Math.abs(dy - cy) <= 3) || (Math.abs(dx) <= 3 && Math.abs(dy) <= 3)) return true;
          if (cost(f.plane, dx, dy, cur, dx - cx, dy - cy, limit) > limit && cost(f.plane, dx, dy, cur, dx, dy, limit) > limit) return true;
        }
      }
    }
  }
  return false;
}
