// The film's shots and camera setups as the editor shows them (the shot strip) and which shots
// each hint reaches. The shots are the scene cuts the hint tracks stop at (so "this shot" on the
// page is the shot a hint is followed through); their setups come from the shots layer's map
// (findShots), which has the same fields. Without a map every shot is its own setup.
import type { Hint } from '../hints/hints-file.js';

export interface EditorShot {
  index: number;
  start: number;
  /** Exclusive. */
  end: number;
  /** The shot's poster frame: the one shown for it (its thumbnail in the strip). */
  posterFrame: number;
  setup: number;
}

export interface EditorShots {
  shots: EditorShot[];
  setups: { index: number; shots: number[] }[];
}

/** Shots from the scene cuts (first frames of shots after the first); each its own setup. */
export function shotsFromCuts(frames: number, cuts: readonly number[]): EditorShots {
  const starts = [0, ...cuts.filter((c) => c > 0 && c < frames)];
  const shots = starts.map((start, index) => {
    const end = starts[index + 1] ?? frames;
    return { index, start, end, posterFrame: Math.floor((start + end - 1) / 2), setup: index };
  });
  return { shots, setups: shots.map((s) => ({ index: s.index, shots: [s.index] })) };
}

/**
 * `own`'s shots with the setups of `map` (a findShots ShotMap): each shot takes the setup of the
 * map's shot holding its poster frame; setups are numbered in order of their first shot.
 */
export function withSetups(own: EditorShots, map: Pick<EditorShots, 'shots'>): EditorShots {
  if (!map.shots.length) return own;
  const theirs = own.shots.map((s) => shotAt(map, s.posterFrame).setup);
  const ids = new Map<number, number>();
  for (const t of theirs) if (!ids.has(t)) ids.set(t, ids.size);
  const shots = own.shots.map((s, i) => ({ ...s, setup: ids.get(theirs[i])! }));
  return { shots, setups: [...ids.values()].map((index) => ({ index, shots: shots.filter((s) => s.setup === index).map((s) => s.index) })) };
}

/** The shot holding `frame`. */
export function shotAt<S extends EditorShot>(map: { shots: readonly S[] }, frame: number): S {
  return map.shots.find((s) => frame >= s.start && frame < s.end) ?? map.shots[map.shots.length - 1];
}

/** The shots a hint placed at `frame` colours: its own, or with `until: "setup"` every shot of its setup. */
export function shotsReached(map: EditorShots, frame: number, until: Hint['until']): number[] {
  const own = shotAt(map, frame);
  if (String(until) !== 'setup') return [own.index];
  return [...(map.setups[own.setup]?.shots ?? [own.index])];
}
