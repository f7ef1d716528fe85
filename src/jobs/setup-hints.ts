// "until": "setup": a hint followed through its own shot as a shot hint is, and also re-found in
// every other shot of its camera setup. Its point is mapped through the match between the frame
// it was placed on and the best of the other shot's sample frames (the global shift the setup
// grouping found, src/shots/), refined on a patch round the point at model resolution, then
// followed through that shot with the same tracker from that sample frame, both ways. A shot
// where the patch does not match (the object gone, covered, the view changed too much) or where
// the point falls outside the picture gets no hint, and the miss is reported with the shot.
import { bestShift } from '../motion/align.js';
import { thumbnail } from '../shots/thumbnail.js';
import { matchShots } from '../shots/setups.js';
import type { FilmShots, ShotInfo, ShotMap } from '../shots/shot-map.js';
import type { PlaneReader, TrackSpec } from '../hints/hint-tracks.js';

/** Why a setup hint was not re-found in a shot of its setup. */
export type SetupMiss = 'no-match' | 'outside';

/** A setup hint in one other shot of its setup: where to follow it from, or why it is not there. */
export interface SetupReach {
  shot: number;
  spec: TrackSpec | null;
  miss?: SetupMiss;
  /** The patch's correlation at the mapped point (1 for a plain patch, which the global match places). */
  score: number;
}

/** Radius of the patch round the point that is matched in the other shot, model pixels. */
const PATCH_RADIUS = 12;
/** A patch whose codes vary less than this (standard deviation) is plain: the global match places it alone. */
const PLAIN_STD = 4;
/** Patch correlation below which the point is not re-found. */
const PATCH_MIN = 0.5;
/** Global correlation (the placed frame against the shot's samples) below which the shot is not searched. */
const GLOBAL_MIN = 0.3;

/** The shot that holds frame `f`. */
export function shotOf(map: ShotMap, f: number): ShotInfo {
  return map.shots.find((s) => f >= s.start && f < s.end) ?? map.shots[map.shots.length - 1];
}

/** The other shots of the setup of the shot holding frame `f`, ascending. */
export function otherShotsOfSetup(map: ShotMap, f: number): number[] {
  const own = shotOf(map, f);
  return map.setups[own.setup].shots.filter((i) => i !== own.index);
}

/** The planes and shots a reach is computed from (a FilmPlanes). */
export interface SetupPlanes {
  width: number;
  height: number;
  read: PlaneReader;
  shots: FilmShots;
}

/**
 * Where a point placed at (x, y) model pixels on frame `start` is in every other shot of its
 * setup, as track specs spanning those shots (or the reason it is not).
 */
export async function setupReach(start: number, x: number, y: number, planes: SetupPlanes): Promise<SetupReach[]> {
  const { width: w, height: h } = planes;
  const { map, samples } = planes.shots;
  const others = otherShotsOfSetup(map, start);
  if (others.length === 0) return [];
  // The reader's buffer is overwritten by the next read: keep the placed frame's own copy.
  const placed = { width: w, height: h, data: Uint8Array.from(await planes.read(start)) };
  const thumb = thumbnail(placed.data, w, h);
  const sx = w / thumb.width, sy = h / thumb.height;
  const win = {
    x0: Math.max(0, Math.round(x) - PATCH_RADIUS), y0: Math.max(0, Math.round(y) - PATCH_RADIUS),
    x1: Math.min(w, Math.round(x) + PATCH_RADIUS + 1), y1: Math.min(h, Math.round(y) + PATCH_RADIUS + 1),
  };
  const plain = patchStd(placed.data, w, win) < PLAIN_STD;
  const out: SetupReach[] = [];
  for (const t of others) {
    const shot = map.shots[t];
    const m = matchShots({ thumbs: [thumb], frames: [start] }, samples[t]);
    if (m.score < GLOBAL_MIN) {
      out.push({ shot: t, spec: null, miss: 'no-match', score: m.score });
      continue;
    }
    const frame = samples[t].frames[m.b];
    let dx = m.dx * sx, dy = m.dy * sy, score = 1;
    if (!plain) {
      const there = { width: w, height: h, data: await planes.read(frame) };
      const r = bestShift(placed, there, {
        window: win, centre: { dx: Math.round(dx), dy: Math.round(dy) }, maxShift: Math.ceil(Math.max(sx, sy)) + 2, minOverlap: 0.8,
      });
      [dx, dy, score] = [r.dx, r.dy, r.score];
      if (score < PATCH_MIN) {
        out.push({ shot: t, spec: null, miss: 'no-match', score });
        continue;
      }
    }
    const qx = x + dx, qy = y + dy;
    if (qx < 0 || qy < 0 || qx > w - 1 || qy > h - 1) {
      out.push({ shot: t, spec: null, miss: 'outside', score });
      continue;
    }
    out.push({ shot: t, spec: { start: frame, first: shot.start, last: shot.end - 1, x: qx, y: qy }, score });
  }
  return out;
}

/** Standard deviation of the codes in `win` of a `w`-wide plane. */
function patchStd(p: Uint8Array, w: number, win: { x0: number; y0: number; x1: number; y1: number }): number {
  let s = 0, ss = 0, n = 0;
  for (let y = win.y0; y < win.y1; y++) for (let x = win.x0; x < win.x1; x++) {
    const v = p[y * w + x];
    s += v;
    ss += v * v;
    n++;
  }
  return n ? Math.sqrt(Math.max(0, ss / n - (s / n) ** 2)) : 0;
}
