// Where each video hint is in every frame of its span: the hint's point followed through the
// model-resolution L planes, forwards and backwards from the frame it was placed on, with the
// pyramidal Lucas–Kanade tracker (motion/track-points.ts). A point that is lost stops painting from
// that frame on (in the direction it was being followed), and the loss is reported, so a hint
// never paints whatever came to cover its object; its patch is then looked for in the following
// frames (refind.ts), and where it is plainly back the hint resumes there, the loss saying when.
//
// Plain surfaces. The tracker refuses a window without texture (LOST_WEAK), and a hint is often put
// on exactly that: the middle of a plain coat. Such a point is not lost at once: it moves with the
// median motion of the points on two rings around it (8 and 16 px: edges of the coat, the texture
// beside it), or, when the rings are plain too, with its own last motion, for at most `coastFrames` frames in a row;
// after that it is lost as weak (the middle of a plain area much wider than the rings is: straight
// edges are as weak as no edge, the aperture problem). A point that fails the forward–backward
// check is carried the same way when most of its rings (10 of 16) are followed cleanly and move
// within 4 px of the point's last motion: on the development clips that kept 57 of 100 grid points
// over 100 frames instead of 51 (a plain hoodie under moving hands, a pan's blur). Every other loss
// (left the frame, failed the correlation check, rings failing too) ends the hint at once: those
// say the content is gone, not only hard to see.
import {
  LOST_FORWARD_BACKWARD, LOST_MISMATCH, LOST_OUTSIDE, LOST_WEAK, PointTracker, TRACK_KEPT, createTrackResult,
  type TrackerOptions,
} from '../motion/track-points.js';
import { cutPatch, refind, type LostPatch, type RefindOptions } from './refind.js';

/** One hint to follow, in model pixels. */
export interface TrackSpec {
  /** The frame it was placed on (first <= start <= last). */
  start: number;
  /** Its span: frames it may live in, inclusive (cuts, `until`, the video's ends). */
  first: number;
  last: number;
  /** Where it was placed, model pixels (pixel centres at integers). */
  x: number;
  y: number;
}

/** Why a tracked point was dropped. */
export type LostReason = 'outside' | 'forward-backward' | 'weak' | 'mismatch';

export interface HintTrack {
  /** Frames with a position: from `first` to `last` inclusive (narrower than the span after a loss). */
  first: number;
  last: number;
  /** The span's first frame: `xy` holds x, y per frame from it, model pixels (NaN where not alive). */
  origin: number;
  xy: Float32Array;
  /**
   * Losses, in the order they happened: from `frame` on (in `direction`) the point was not
   * followed; `back`: the frame it was found again (it is absent from `frame` to the frame before
   * `back`), absent when it never was (the loss ended the track).
   */
  lost: { frame: number; direction: 'forward' | 'backward'; reason: LostReason; back?: number }[];
}

export interface HintTrackOptions {
  /** Tracker settings (default: the tracker's own). */
  tracker?: TrackerOptions;
  /** Frames in a row a point on a plain surface may move without being located (default 10). */
  coastFrames?: number;
  /** Radii of the two rings of eight helper points each, model pixels (default 8 and 16). */
  ringRadii?: readonly [number, number];
  /** Ring points that must be tracked for their median to move a plain point (default 3). */
  minRingPoints?: number;
  /**
   * Ring points (of 16) that must be tracked for their median to carry a point that failed the
   * forward–backward check itself (default 10: most of them; fewer says the content is going). 17 turns carrying off.
   */
  minCarryPoints?: number;
  /** Looking for a lost point again in the following frames (refind.ts): its settings, or false for none. Default: on, refind.ts's settings. */
  refind?: RefindOptions | false;
}

/** Reads frame `index`'s model-resolution L plane (8-bit codes, L* x 2.55) into a buffer it owns. */
export type PlaneReader = (index: number) => Promise<Uint8Array>;

/** Helper points: two rings of eight. */
const RING = 16;
const REASONS: Record<number, LostReason> = {
  [LOST_OUTSIDE]: 'outside', [LOST_FORWARD_BACKWARD]: 'forward-backward', [LOST_WEAK]: 'weak', [LOST_MISMATCH]: 'mismatch',
};

/**
 * Follow every spec through its span. Specs placed on the same frame share one pass each way, so
 * the cost is one pyramid per frame read plus a few windows per point.
 */
export async function trackHints(
  specs: readonly TrackSpec[], width: number, height: number, read: PlaneReader, opts: HintTrackOptions = {},
): Promise<HintTrack[]> {
  const tracks: HintTrack[] = specs.map((s) => {
    const xy = new Float32Array(2 * (s.last - s.first + 1)).fill(NaN);
    xy[2 * (s.start - s.first)] = s.x;
    xy[2 * (s.start - s.first) + 1] = s.y;
    return { first: s.start, last: s.start, origin: s.first, xy, lost: [] };
  });
  const byStart = new Map<number, number[]>();
  specs.forEach((s, i) => byStart.set(s.start, [...(byStart.get(s.start) ?? []), i]));
  const tracker = new PointTracker(width, height, opts.tracker);
  for (const [start, members] of byStart) {
    for (const direction of ['forward', 'backward'] as const) {
      await follow(tracker, specs, tracks, members, start, direction, read, opts);
    }
  }
  return tracks;
}

async function follow(
  tracker: PointTracker, specs: readonly TrackSpec[], tracks: HintTrack[], members: number[], start: number,
  direction: 'forward' | 'backward', read: PlaneReader, opts: HintTrackOptions,
): Promise<void> {
  const step = direction === 'forward' ? 1 : -1;
  const end = (i: number) => (direction === 'forward' ? specs[i].last : specs[i].first);
  let active = members.filter((i) => end(i) !== start);
  if (active.length === 0) return;
  const stepper = new RingStepper(members.length, opts);
  const { width: w, height: h } = tracker;
  // Per member: position, last motion, frames coasted.
  const state = new Map(members.map((i) => [i, { x: specs[i].x, y: specs[i].y, vx: 0, vy: 0, coast: 0 }]));
  // Lost points being looked for again (refind.ts), with their loss (which gets `back` when found).
  const searching = new Map<number, { patch: LostPatch; loss: HintTrack['lost'][number] }>();
  // The planes are copied: the reader's buffer is overwritten by its next read, and a lost point's patch is cut from the frame before.
  let prev = Uint8Array.from(await read(start));
  tracker.pushFrame(prev);
  for (let t = start + step; active.length > 0 || searching.size > 0; t += step) {
    const plane = Uint8Array.from(await read(t));
    tracker.pushFrame(plane);
    const status = stepper.step(tracker, active.map((m) => state.get(m)!));
    const still: number[] = [];
    const put = (m: number) => {
      const s = state.get(m)!;
      const track = tracks[m];
      const k = t - specs[m].first;
      track.xy[2 * k] = s.x;
      track.xy[2 * k + 1] = s.y;
      if (direction === 'forward') track.last = t;
      else track.first = t;
      if (t !== end(m)) still.push(m);
    };
    // Points lost before this frame: looked for here (one lost at this frame is looked for from the next).
    for (const [m, { patch, loss }] of searching) {
      const found = refind(patch, plane, w, h, opts.refind || {});
      if (found) {
        Object.assign(state.get(m)!, { x: found.x, y: found.y, vx: 0, vy: 0, coast: 0 });
        loss.back = t;
        searching.delete(m);
        put(m);
      } else if (t === end(m)) searching.delete(m);
    }
    active.forEach((m, j) => {
      if (status[j] === TRACK_KEPT) return put(m);
      const loss = { frame: t, direction, reason: lostReason(status[j]) };
      tracks[m].lost.push(loss);
      const patch = opts.refind === false || t === end(m) ? null : cutPatch(prev, w, h, state.get(m)!, opts.refind ?? {});
      if (patch) searching.set(m, { patch, loss });
    });
    active = still;
    prev = plane;
  }
}

/** A followed point: position (model pixels), last motion, frames in a row it coasted on a plain surface. */
export interface RingPoint {
  x: number;
  y: number;
  vx: number;
  vy: number;
  coast: number;
}

/** How far (model px) the rings' motion may differ from the point's last motion for them to carry it. */
const CARRY_AGREE_PX = 4;

/** The reason a LOST_* status stands for. */
export const lostReason = (status: number): LostReason => REASONS[status] ?? 'mismatch';

/**
 * One step of following points with their rings, from the tracker's previous frame to its newest:
 * the buffers for `capacity` points are made once, so a caller that steps every frame (the live
 * server) allocates nothing per frame.
 */
export class RingStepper {
  // The points themselves, then the rings of those that need them (two calls to the tracker).
  private readonly cp: Float32Array;
  private readonly cg: Float32Array;
  private readonly cres: ReturnType<typeof createTrackResult>;
  private readonly rp: Float32Array;
  private readonly rg: Float32Array;
  private readonly rres: ReturnType<typeof createTrackResult>;
  private readonly ringOf: Int32Array;
  private readonly status: Uint8Array;
  private readonly dx: number[] = [];
  private readonly dy: number[] = [];
  private readonly coastFrames: number;
  private readonly radii: readonly [number, number];
  private readonly minRing: number;
  private readonly minCarry: number;

  constructor(readonly capacity: number, opts: HintTrackOptions = {}) {
    this.cp = new Float32Array(2 * capacity);
    this.cg = new Float32Array(2 * capacity);
    this.cres = createTrackResult(capacity);
    this.rp = new Float32Array(2 * RING * capacity);
    this.rg = new Float32Array(2 * RING * capacity);
    this.rres = createTrackResult(RING * capacity);
    this.ringOf = new Int32Array(capacity);
    this.status = new Uint8Array(capacity);
    this.coastFrames = opts.coastFrames ?? 10;
    this.radii = opts.ringRadii ?? [8, 16];
    this.minRing = opts.minRingPoints ?? 3;
    this.minCarry = opts.minCarryPoints ?? 10;
  }

  /**
   * Move `points` (at most `capacity`) to where they are in the newest frame. Returns a status per
   * point (TRACK_KEPT or the LOST_* reason; a view into a buffer the next call overwrites); kept
   * points are updated in place, lost ones left as they were. Rings are tracked only around the
   * points the tracker refused as weak, the only ones whose rings are used: a textured point costs
   * one tracked point, not seventeen.
   */
  step(tracker: PointTracker, points: readonly RingPoint[]): Uint8Array {
    const n = points.length;
    if (n > this.capacity) throw new RangeError(`${n} points, room for ${this.capacity}`);
    if (n === 0) return this.status.subarray(0, 0);
    const { cp, cg, cres, rp, rg, rres, ringOf, radii, dx, dy } = this;
    for (let j = 0; j < n; j++) {
      cp[2 * j] = points[j].x;
      cp[2 * j + 1] = points[j].y;
      cg[2 * j] = points[j].vx;
      cg[2 * j + 1] = points[j].vy;
    }
    tracker.track(cp, cres, n, cg);
    let weak = 0;
    for (let j = 0; j < n; j++) {
      if (cres.lost[j] !== LOST_WEAK && cres.lost[j] !== LOST_FORWARD_BACKWARD) continue;
      const s = points[j];
      ringOf[j] = weak;
      for (let r = 0; r < RING; r++) {
        // The outer ring turned by half a step, so its points fall between the inner ring's.
        const outer = r >= 8, ang = (2 * Math.PI * ((r % 8) + (outer ? 0.5 : 0))) / 8, radius = radii[outer ? 1 : 0];
        const k = 2 * (weak * RING + r);
        rp[k] = s.x + radius * Math.cos(ang);
        rp[k + 1] = s.y + radius * Math.sin(ang);
        rg[k] = s.vx;
        rg[k + 1] = s.vy;
      }
      weak++;
    }
    if (weak) tracker.track(rp, rres, weak * RING, rg);
    for (let j = 0; j < n; j++) {
      const s = points[j];
      let status = cres.lost[j];
      let nx = cres.points[2 * j], ny = cres.points[2 * j + 1];
      if (status === LOST_WEAK) {
        this.ringMotions(ringOf[j]);
        const located = dx.length >= this.minRing;
        const moveX = located ? median(dx) : s.vx, moveY = located ? median(dy) : s.vy;
        const coast = located ? 0 : s.coast + 1;
        nx = s.x + moveX;
        ny = s.y + moveY;
        const inside = nx >= 0 && ny >= 0 && nx <= tracker.width - 1 && ny <= tracker.height - 1;
        if (coast <= this.coastFrames && inside) status = TRACK_KEPT;
        else if (!inside) status = LOST_OUTSIDE;
        s.coast = coast;
      } else if (status === LOST_FORWARD_BACKWARD) {
        // The point's own window disagrees with itself both ways (a plain coat under moving folds,
        // motion blur), but if most of the rings around it are followed cleanly, the content is
        // still there and the rings carry it; an occluder or the frame's edge takes the rings too.
        this.ringMotions(ringOf[j]);
        const mx = dx.length ? median(dx) : 0, my = dx.length ? median(dy) : 0;
        // ... and only when they move as the point last did (rings on a background the object
        // moves across would otherwise pin the hint to the background).
        if (dx.length >= this.minCarry && Math.hypot(mx - s.vx, my - s.vy) <= CARRY_AGREE_PX) {
          nx = s.x + mx;
          ny = s.y + my;
          const inside = nx >= 0 && ny >= 0 && nx <= tracker.width - 1 && ny <= tracker.height - 1;
          status = inside ? TRACK_KEPT : LOST_OUTSIDE;
          s.coast = 0;
        }
      } else if (status === TRACK_KEPT) s.coast = 0;
      this.status[j] = status;
      if (status !== TRACK_KEPT) continue;
      s.vx = nx - s.x;
      s.vy = ny - s.y;
      s.x = nx;
      s.y = ny;
    }
    return this.status.subarray(0, n);
  }

  /** The motions of ring `ring`'s followed points, into dx, dy. */
  private ringMotions(ring: number): void {
    const { dx, dy, rres, rp } = this;
    dx.length = 0;
    dy.length = 0;
    for (let r = 0, c = ring * RING; r < RING; r++) {
      if (rres.lost[c + r] !== TRACK_KEPT) continue;
      dx.push(rres.points[2 * (c + r)] - rp[2 * (c + r)]);
      dy.push(rres.points[2 * (c + r) + 1] - rp[2 * (c + r) + 1]);
    }
  }
}

function median(v: number[]): number {
  v.sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** A track's position at frame `t` (model pixels), or null when the hint is not alive there (outside its frames, or absent between a loss and its return). */
export function trackAt(track: HintTrack, t: number): [number, number] | null {
  if (t < track.first || t > track.last) return null;
  const k = t - track.origin;
  const x = track.xy[2 * k];
  return Number.isNaN(x) ? null : [x, track.xy[2 * k + 1]];
}
