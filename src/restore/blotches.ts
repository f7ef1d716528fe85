// Blotches and tears: damage 25-100 px across that the dust detector leaves alone (it takes
// anything that large for motion). A blotch on one frame differs from the frames either side; a
// tape hit on two consecutive frames has one neighbour that agrees with it, so the witnesses are
// the frames two away (t-2, t+2 warped onto t), which miss both copies. A pixel is a candidate
// when it differs from both of those with the same sign while they agree with each other, and
// also differs from at least one direct neighbour (t-1 or t+1). Candidates form 8-connected blobs.
// A blob is taken for motion the flow missed, and left alone, when the frame around it does not
// match the witnesses, when both direct neighbours (or both witnesses) hold a thing like it
// nearby where this frame lacks it, or when its own content is found in a frame within two as
// they are (its track: damage is on one frame, or two in the same place, a thing in the scene
// on all of them). A tape hit (in place on a direct neighbour as it came, while the scene around
// it moved) is judged by its track alone, not by what lies nearby; a tape pair (in place on
// exactly one neighbour) over what the camera follows, by a whole thing nearby, not scattered
// pixels. Accepted blobs, grown for their soft edge, are filled from the
// frames two and three away where those four agree; what remains is marked for a spatial fill
// (the learned net, blotch-net.ts, or the directional fill of inpaint.ts).
import { anyIn, differenceAround, floodBlob, matchedAround, movedNearby, movedThing, residualSpread, seenElsewhere, settledAround, type Box, type ThingScratch, type TrackFrame } from './blobs.js';
import type { BlotchSettings } from './options.js';

/** Margin (px) around a blob where the motion compensation must hold. */
const MARGIN = 6;
/** Thresholds are at least this many robust standard deviations of the frame's temporal residual. */
const NOISE_FACTOR = 3;
const CANDIDATE = 1, PENDING = 2, REJECTED = 3;
/** A pixel that stands out like a candidate where the witnesses disagree: joins a blob, seeds none. */
const WEAK = 6;
/** Contrast (times the threshold) a blob needs before a margin matching one witness will do. */
const MATCHED_CONTRAST = 3;
/** Contrast (times the threshold) a blob needs before its copy in place on a direct neighbour clears it of motion. */
const IN_PLACE_CONTRAST = 2;
/** How far (times the margin's limit: what the margin tests call a match) the scene around a blob must differ in place on a direct neighbour before a copy of the blob in place there makes it a tape hit. */
const SCENE_MOVED = 1;
/**
 * Least shift (px, or this share of the blob's extent when larger) at which a copy of the blob in
 * place on a direct neighbour must no longer match. Half the extent found more tape hits on the
 * synthetic set but took fast real motion for them (a book opened in vsdeoldify_sample-bw).
 */
const IN_PLACE_SHIFT = 4;
const IN_PLACE_SHIFT_SHARE = 0.125;
/** How far (times the threshold) the other direct neighbour must differ over a blob in place on one for the two to be a tape pair. */
const PAIR_LACKS = 1.5;
/**
 * A direct neighbour whose difference from this frame, over the whole frame, is under this share
 * of the other's is a repeat of it (telecined film repeats every fifth frame): everything on this
 * frame is in place there, so a copy in place proves nothing.
 */
const REPEAT_SHARE = 0.5;
/** Least side (px) of a tape pair's box: a thin upright thing in place on one neighbour is a post or a line that paused, not a tape hit. */
const PAIR_SIDE = 8;
/** Least size of a thing that moved (movedThing), as a share of the blob's pixels. */
const THING_SHARE = 0.25;
/**
 * A blob reaching where a witness was beyond its frame is judged only when it stands out by
 * MATCHED_CONTRAST thresholds, under this share of it is there, and the rest is this many times a
 * blotch's least size (`minArea`): by the frame's edge on a pan, small or faint things coming into
 * view or leaving it pass every other test (on the clean fast clips, all of them faint).
 */
const OUTSIDE_SHARE = 0.25, OUTSIDE_EVIDENCE = 4;
/** The eight directions sitsInPlace looks in. */
const STEP_X = [1, 1, 0, -1, -1, -1, 0, 1], STEP_Y = [0, 1, 1, 1, 0, -1, -1, -1];
/** A blob's content found elsewhere matching to within this share of its contrast (or the margin's limit) is motion. */
const TRACK_SHARE = 0.15;
/** Farthest (px) the blob's track is looked for: a ball thrown moves that far between frames two apart. */
const TRACK_REACH = 96;
/** Mask value of a blob's pixels still to be filled spatially (after fillFromFrames). */
export const HOLE = 4;
/** Mask value of a blob's pixels (and grown edge) filled from the frames around. */
const FILLED = 5;

/** The box of one accepted blob (inclusive), grown edge included. */
export type BlotchBox = Box;

export interface BlotchDetection {
  /** Boxes of the accepted blobs; their pixels (grown) are HOLE in the detector's mask. */
  boxes: BlotchBox[];
  /** Pixels marked (blobs and their grown edge). */
  pixels: number;
  /** Candidate blobs rejected as motion. */
  rejected: number;
}

/** The planes around frame t, each warped onto it; p3 and n3 may be missing (fill only). */
export interface BlotchWitnesses {
  p1: Float32Array;
  n1: Float32Array;
  p2: Float32Array;
  n2: Float32Array;
  /** 1 where a witness (p2, n2) was sampled beyond its frame: what comes into view has none. */
  outside?: Uint8Array;
  /**
   * The direct neighbours as they are, not warped (a tape hit sits still in the frame, not in the
   * scene); the one before as it came, before its own repair took the hit away.
   */
  raw?: Float32Array[];
  /**
   * The frames t±1 and t±2 as they are, with the camera's pan to each, for the blob's track: a
   * blob whose content one of them holds nearby (where this frame does not) is motion.
   */
  track?: (TrackFrame & { direct: boolean })[];
}

/** Mean absolute difference of the blob's pixels (stack[0..count)) from the witnesses' mean. */
function contrast(cur: Float32Array, a: Float32Array, b: Float32Array, stack: Int32Array, count: number): number {
  let s = 0;
  for (let q = 0; q < count; q++) {
    const i = stack[q]!;
    s += Math.abs(cur[i]! - 0.5 * (a[i]! + b[i]!));
  }
  return s / count;
}

/** True when one of `planes` matches `cur` over the blob's pixels (stack[0..count)) to within `limit` on average. */
function inPlace(cur: Float32Array, planes: Float32Array[] | undefined, stack: Int32Array, count: number, limit: number): boolean {
  for (const p of planes ?? []) {
    let s = 0;
    for (let q = 0; q < count; q++) s += Math.abs(cur[stack[q]!]! - p[stack[q]!]!);
    if (s <= limit * count) return true;
  }
  return false;
}

/**
 * True when one of `planes` holds the blob (its pixels, stack[0..count)) in place, to within
 * `limit` on average, and not also `shift` px away in any of eight directions, while the scene
 * around the blob's box (`margin` px) differs from that plane in place by more than `moved` on
 * average: a copy of the blob itself, not a flat area of its tone that it lies in (the inside of a
 * dark wall on a pan), and fixed on the film while the scene moved under it. Where the scene
 * around stands still in the frame (a still camera, a repeated frame, a periodic pattern that
 * moved by its period) a copy in place is what the scene itself would show: no sign of a tape hit.
 */
function sitsInPlace(cur: Float32Array, planes: Float32Array[] | undefined, stack: Int32Array, count: number, limit: number, shift: number,
  around: { mask: Uint8Array; box: Box; margin: number; moved: number }, w: number, h: number): boolean {
  for (const p of planes ?? []) {
    if (!inPlace(cur, [p], stack, count, limit)) continue;
    if (differenceAround(cur, p, around.mask, around.box, around.margin, w, h) <= around.moved) continue;
    let elsewhere = false;
    for (let k = 0; k < 8 && !elsewhere; k++) {
      const dx = STEP_X[k]! * shift, dy = STEP_Y[k]! * shift;
      let sum = 0;
      for (let q = 0; q < count; q++) {
        const i = stack[q]!, x = (i % w) + dx, y = ((i - (i % w)) / w) + dy;
        // Beyond the frame counts as no match.
        sum += x < 0 || y < 0 || x >= w || y >= h ? 2 * limit : Math.abs(cur[i]! - p[y * w + x]!);
      }
      elsewhere = sum <= limit * count;
    }
    if (!elsewhere) return true;
  }
  return false;
}

export class BlotchDetector {
  /** Per-pixel state: HOLE on blotch pixels still to fill after detect()/fillFromFrames(); cleared by clear(). */
  readonly mask: Uint8Array;
  private readonly stack: Int32Array;
  private readonly touched: Int32Array;
  private nt = 0;
  private readonly hist = new Uint32Array(256);
  private readonly scratch: ThingScratch = { flags: new Uint8Array(0), queue: new Int32Array(0) };
  /** Each direct neighbour's (raw) summed difference from the frame being judged, over every third pixel; found when first needed. */
  private rawDiff: number[] | null = null;

  constructor(readonly width: number, readonly height: number) {
    const n = width * height;
    [this.mask, this.stack, this.touched] = [new Uint8Array(n), new Int32Array(n), new Int32Array(n)];
  }

  /** Finds blotches in `cur` and marks them HOLE in `mask`; `cur` is not changed. */
  detect(cur: Float32Array, wt: BlotchWitnesses, s: BlotchSettings): BlotchDetection {
    const { width: w, height: h, mask, stack, touched } = this;
    const { p1, n1, p2, n2, outside } = wt;
    const n = w * h;
    this.clear();
    this.rawDiff = null;
    const spread = residualSpread(cur, p2, n2, w, h, this.hist);
    const t = Math.max(s.threshold, NOISE_FACTOR * spread), agree = Math.max(s.agree, NOISE_FACTOR * spread);
    let nt = 0;
    // Where the witnesses disagree (the flow failed on one of them, at a motion boundary) or one
    // was sampled beyond its frame, a pixel is only weak (with `boundaries`): it joins the blob it
    // touches, so that one blotch is judged whole, not in pieces; otherwise it is no candidate.
    for (let i = 0; i < n; i++) {
      const c = cur[i], d1 = c - p2[i], d2 = c - n2[i], dn = p2[i] - n2[i];
      const kind = dn < agree && dn > -agree && !(s.boundaries && outside && outside[i]) ? CANDIDATE : s.boundaries ? WEAK : 0;
      if (!kind) continue;
      if (d1 > t && d2 > t) {
        if (c - p1[i] > t || c - n1[i] > t) mask[touched[nt++] = i] = kind;
      } else if (d1 < -t && d2 < -t) {
        if (p1[i] - c > t || n1[i] - c > t) mask[touched[nt++] = i] = kind;
      }
    }
    const candidates = nt;
    const boxes: BlotchBox[] = [];
    let rejected = 0;
    for (let k = 0; k < candidates; k++) {
      const seed = touched[k];
      if (mask[seed] !== CANDIDATE) continue;
      const blob = floodBlob(mask, stack, seed, w, h, CANDIDATE, PENDING, WEAK);
      const end = blob.count;
      const { x0, y0, x1, y1 } = blob;
      const extent = Math.max(x1 - x0, y1 - y0) + 1;
      // Too small: dust's (restore-dust); too large: not a blotch. Neither counts as rejected.
      // Weak pixels (witnesses disagreeing) join a blob but do not make up its size: at a motion
      // boundary a few candidates and the boundary beside them would pass for a blotch.
      let weak = 0;
      if (s.boundaries) {
        for (let q = 0; q < end; q++) {
          const i = stack[q]!, dn = p2[i]! - n2[i]!;
          if (dn >= agree || dn <= -agree || (outside && outside[i])) weak++;
        }
      }
      if (end - weak < s.minArea || extent < s.minExtent || extent > s.maxExtent) {
        for (let q = 0; q < end; q++) mask[stack[q]] = REJECTED;
        continue;
      }
      const search = Math.min(48, Math.max(16, extent >> 1));
      const limit = Math.max(0.5 * t, 1.5 * spread);
      // Only damage-like contrast earns the looser tests (the margin matching one witness, a copy
      // in place on a direct neighbour): motion the flow lost seldom stands out that far.
      const strong = contrast(cur, p2, n2, stack, end);
      // A tape hit on two frames is in its place on the other one, unwarped, while the scene moved
      // under it: that copy, warped along a pan, lies beside it and is no sign of motion; nor is
      // something as dark nearby in the frames around (on a busy street on a pan something always
      // is): its track judges it. (Letting its margin match one witness only, as a strong blob's
      // may, found more on the synthetic set and took fast real motion for tape hits too.)
      const tape = () => strong >= IN_PLACE_CONTRAST * t && sitsInPlace(cur, wt.raw, stack, end, 0.5 * t,
        Math.max(IN_PLACE_SHIFT, Math.round(extent * IN_PLACE_SHIFT_SHARE)), { mask, box: blob, margin: MARGIN, moved: SCENE_MOVED * limit }, w, h);
      // A tape pair (in place on exactly one direct neighbour, the other lacking it) over what the
      // camera follows: the scene around stands still in the frame, so the copy in place alone
      // proves nothing, but a thing that paused for two frames is whole in the frames around,
      // while a busy pan leaves only scattered pixels as dark as the hit there.
      let paired: boolean | null = null;
      const pair = () => (paired ??= strong >= IN_PLACE_CONTRAST * t && Math.min(x1 - x0, y1 - y0) + 1 >= PAIR_SIDE && this.tapePair(cur, wt.raw, end, 0.5 * t, PAIR_LACKS * t));
      let sits: boolean | null = null;
      const tapeHit = () => (sits ??= tape());
      const keep = this.inView(outside, s.boundaries && strong >= MATCHED_CONTRAST * t, blob, end, weak, s.minArea)
        && (settledAround(cur, p2, n2, mask, blob, MARGIN, limit, w, h)
          || (s.boundaries && strong >= MATCHED_CONTRAST * t && matchedAround(cur, p2, n2, mask, blob, MARGIN, limit, w, h))
          // A tape pair whose copy sits still while the scene moved under it needs no margin:
          // where the flow fails (a tracked car's edge) the margin matches neither witness.
          || (tapeHit() && pair()))
        && !this.tracked(cur, wt, end, Math.min(TRACK_REACH, Math.max(32, 2 * extent)), Math.max(limit, TRACK_SHARE * strong))
        && (tapeHit()
          || (!movedNearby(cur, p1, n1, stack, end, blob, search, t, w, h) && !movedNearby(cur, p2, n2, stack, end, blob, search, t, w, h))
          || (pair() && !movedThing(cur, p1, n1, stack, end, blob, search, t, THING_SHARE, this.scratch, w, h)
            && !movedThing(cur, p2, n2, stack, end, blob, search, t, THING_SHARE, this.scratch, w, h)));
      if (!keep) {
        for (let q = 0; q < end; q++) mask[stack[q]] = REJECTED;
        rejected++;
        continue;
      }
      const box = { x0, y0, x1, y1 };
      const grown = this.extend(cur, p2, n2, end, box, Math.max(0.35 * t, 2 * spread), agree);
      for (let q = end; q < grown; q++) touched[nt++] = stack[q];
      boxes.push(box);
    }
    // Only the accepted blobs' pixels stay listed (in place: the list only shrinks); the rest go back to 0.
    let na = 0;
    for (let k = 0; k < nt; k++) {
      const i = touched[k];
      if (mask[i] === PENDING) touched[na++] = i;
      else mask[i] = 0;
    }
    // Mark them and their grown edge HOLE (the soft edge falls under the threshold), listed on the stack.
    const g = s.grow;
    let marked = 0;
    for (let q = 0; q < na; q++) {
      const i = touched[q];
      const x = i % w, y = (i - x) / w;
      for (let yy = Math.max(0, y - g); yy <= Math.min(h - 1, y + g); yy++) {
        for (let xx = Math.max(0, x - g); xx <= Math.min(w - 1, x + g); xx++) {
          const j = yy * w + xx;
          if (mask[j] !== HOLE) {
            mask[j] = HOLE;
            stack[marked++] = j;
          }
        }
      }
    }
    this.nt = marked;
    for (const b of boxes) {
      b.x0 = Math.max(0, b.x0 - g);
      b.y0 = Math.max(0, b.y0 - g);
      b.x1 = Math.min(w - 1, b.x1 + g);
      b.y1 = Math.min(h - 1, b.y1 + g);
    }
    return { boxes, pixels: marked, rejected };
  }

  /**
   * Fills HOLE pixels from the planes `refs` (frames further away, warped onto this one) where all
   * of them agree to within `agree` L (and none was sampled beyond its frame: `outside`): their
   * mean. Returns the pixels filled; the rest stay HOLE.
   */
  fillFromFrames(cur: Float32Array, refs: Float32Array[], agree: number, outside?: Uint8Array): number {
    const { mask, stack } = this;
    let filled = 0;
    for (let k = 0; k < this.nt; k++) {
      const i = stack[k];
      if (mask[i] !== HOLE || outside?.[i]) continue;
      let lo = Infinity, hi = -Infinity, sum = 0;
      for (const r of refs) {
        const v = r[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
      }
      if (hi - lo < agree) {
        cur[i] = sum / refs.length;
        mask[i] = FILLED;
        filled++;
      }
    }
    return filled;
  }

  /**
   * The blob's track (its pixels stack[0..count)): true when its content is found in t±1 or t±2
   * near where it was (still, or moved with the camera): something that moved. A direct
   * neighbour that holds it in place (a tape hit on two frames) is no witness of motion.
   */
  private tracked(cur: Float32Array, wt: BlotchWitnesses, count: number, search: number, limit: number): boolean {
    if (!wt.track) return false;
    const frames = wt.track.filter((f) => !(f.direct && inPlace(cur, [f.plane], this.stack, count, limit)));
    return seenElsewhere(cur, frames, this.stack, count, search, limit, this.width, this.height);
  }

  /**
   * True when the blob (its pixels stack[0..count)) is in place on exactly one of the two direct
   * neighbours as they are (`raw`: to within `inPlace` on average), the other differs there by
   * at least `lacks`, and the one holding it is no repeat of this frame.
   */
  private tapePair(cur: Float32Array, raw: Float32Array[] | undefined, count: number, inPlace: number, lacks: number): boolean {
    if (!raw || raw.length < 2) return false;
    const d = raw.map((p) => {
      let sum = 0;
      for (let q = 0; q < count; q++) sum += Math.abs(cur[this.stack[q]!]! - p[this.stack[q]!]!);
      return sum / count;
    });
    const one = d[0]! <= inPlace ? 0 : d[1]! <= inPlace ? 1 : -1;
    if (one < 0 || d[1 - one]! < lacks) return false;
    this.rawDiff ??= raw.map((p) => {
      let sum = 0;
      for (let i = 0; i < cur.length; i += 3) sum += Math.abs(cur[i]! - p[i]!);
      return sum;
    });
    return this.rawDiff[one]! >= REPEAT_SHARE * this.rawDiff[1 - one]!;
  }

  /**
   * False when the blob's box (its pixels stack[0..count), `weak` of them weak) reaches where a
   * witness was sampled beyond its frame (what a pan brings into view has no witness, and a thing
   * coming into view looks like damage), unless `judged` (with `boundaries`, for a blob standing
   * out like damage) and under OUTSIDE_SHARE of it is there, the rest, judged on both witnesses,
   * being OUTSIDE_EVIDENCE times a blotch's least size.
   */
  private inView(outside: Uint8Array | undefined, judged: boolean, box: Box, count: number, weak: number, minArea: number): boolean {
    if (!outside || !anyIn(outside, box, this.width)) return true;
    if (!judged || count - weak < OUTSIDE_EVIDENCE * minArea) return false;
    let beyond = 0;
    for (let q = 0; q < count; q++) if (outside[this.stack[q]!]) beyond++;
    return beyond <= OUTSIDE_SHARE * count;
  }

  /** Pixels still HOLE. */
  holes(): number {
    let c = 0;
    for (let k = 0; k < this.nt; k++) if (this.mask[this.stack[k]] === HOLE) c++;
    return c;
  }

  /** Resets the mask to all zero. */
  clear(): void {
    for (let k = 0; k < this.nt; k++) this.mask[this.stack[k]] = 0;
    this.nt = 0;
  }

  /**
   * Extends an accepted blob (its `count` pixels first on the stack, PENDING) to the 8-connected
   * pixels that stand out from the witnesses' mean by more than `low` with the blob's sign, where
   * the witnesses agree, within 8 px of its box: its soft edge and the parts of it over a
   * background of about its own value. Updates `box`; returns the blob's new pixel count.
   */
  private extend(cur: Float32Array, a: Float32Array, b: Float32Array, count: number, box: BlotchBox, low: number, agree: number): number {
    const { width: w, height: h, mask, stack } = this;
    let diff = 0;
    for (let q = 0; q < count; q++) {
      const i = stack[q];
      diff += cur[i] - 0.5 * (a[i] + b[i]);
    }
    const sign = diff < 0 ? -1 : 1;
    const bx0 = Math.max(0, box.x0 - 8), bx1 = Math.min(w - 1, box.x1 + 8), by0 = Math.max(0, box.y0 - 8), by1 = Math.min(h - 1, box.y1 + 8);
    let top = 0, end = count;
    while (top < end) {
      const i = stack[top++];
      const x = i % w, y = (i - x) / w;
      if (x < box.x0) box.x0 = x;
      if (x > box.x1) box.x1 = x;
      if (y < box.y0) box.y0 = y;
      if (y > box.y1) box.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < by0 || yy > by1) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < bx0 || xx > bx1) continue;
          const j = yy * w + xx;
          // A fragment left alone on its own (too small, or seen before this blob) joins it.
          if (mask[j] !== 0 && mask[j] !== REJECTED && mask[j] !== WEAK) continue;
          const dn = a[j] - b[j];
          if (sign * (cur[j] - 0.5 * (a[j] + b[j])) > low && dn < agree && dn > -agree) {
            mask[j] = PENDING;
            stack[end++] = j;
          }
        }
      }
    }
    return end;
  }
}
