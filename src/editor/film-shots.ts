// The film's shots and camera setups as the editor shows them (the shot strip) and which shots
// each hint reaches. The fields are those of the shots layer's ShotMap (issue 24: findShots), so
// its map can stand in for shotsFromCuts's; until then every shot is its own setup.
import type { Hint } from '../hints/hints-file.js';

export interface EditorShot {
  index: number;
  start: number;
  /** Exclusive. */
  end: number;
  /** The frame shown for the shot (its thumbnail). */
  keyframe: number;
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
    return { index, start, end, keyframe: Math.floor((start + end - 1) / 2), setup: index };
  });
  return { shots, setups: shots.map((s) => ({ index: s.index, shots: [s.index] })) };
}

/** The shot holding `frame`. */
export function shotAt(map: EditorShots, frame: number): EditorShot {
  return map.shots.find((s) => frame >= s.start && frame < s.end) ?? map.shots[map.shots.length - 1];
}

/** The shots a hint placed at `frame` colours: its own, or with `until: "setup"` every shot of its setup. */
export function shotsReached(map: EditorShots, frame: number, until: Hint['until']): number[] {
  const own = shotAt(map, frame);
  if (String(until) !== 'setup') return [own.index];
  return [...(map.setups[own.setup]?.shots ?? [own.index])];
}
