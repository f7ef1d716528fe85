// Camera setups: shots that show the same view (the same camera position, moved a little, people
// come and gone). Each shot is a few sample thumbnails spread over it (its first, middle and last
// frames and between: a shot that pans starts where an earlier one ended); two shots match when
// some pair of their samples correlates well after the best global shift (align.ts). Shots join
// setups in film order: a shot goes to the setup whose members match it best, or starts a new
// one when none matches well enough.
import { bestShift } from '../motion/align.js';
import type { Thumb } from './thumbnail.js';

/** One shot as the grouping sees it: sample thumbnails and the frames they were taken from. */
export interface ShotSamples {
  thumbs: Thumb[];
  frames: number[];
}

/** The best pair of samples of two shots: `b`'s sample shifted by (dx, dy) thumbnail pixels shows `a`'s. */
export interface ShotMatch {
  score: number;
  /** Indices into the two shots' samples. */
  a: number;
  b: number;
  dx: number;
  dy: number;
}

export interface SetupOptions {
  /** Correlation at or above which two shots show one setup (default 0.45). */
  setupThreshold?: number;
  /** Members of a setup a new shot is compared with, the latest first (default 4). */
  compareWith?: number;
}

export const SETUP_DEFAULTS = { setupThreshold: 0.45, compareWith: 4 } as const;

export interface SetupGrouping {
  /** Per shot: its setup's index (setups numbered in order of first appearance). */
  setupOf: number[];
  /** Per shot: 0..1, 1 for a setup's first shot; else how far above the threshold its match was. */
  confidence: number[];
  /** Per setup: its shots, ascending. */
  members: number[][];
}

/** Sample pairs refined at full thumbnail size after the coarse search. */
const REFINE = 3;

/**
 * The best-matching sample pair of shots `a` and `b`: every pair searched at half size (shifts up
 * to an eighth of the width), the best few refined at full size around twice their coarse shift.
 */
export function matchShots(a: ShotSamples, b: ShotSamples): ShotMatch {
  const coarse: ShotMatch[] = [];
  a.thumbs.forEach((ta, i) => b.thumbs.forEach((tb, j) => {
    if (ta.width !== tb.width || ta.height !== tb.height) return;
    const s = bestShift(ta.coarse, tb.coarse);
    coarse.push({ score: s.score, a: i, b: j, dx: s.dx, dy: s.dy });
  }));
  coarse.sort((p, q) => q.score - p.score);
  let best: ShotMatch = { score: -1, a: 0, b: 0, dx: 0, dy: 0 };
  for (const c of coarse.slice(0, REFINE)) {
    const s = bestShift(a.thumbs[c.a], b.thumbs[c.b], { maxShift: 1, centre: { dx: 2 * c.dx, dy: 2 * c.dy } });
    if (s.score > best.score) best = { score: s.score, a: c.a, b: c.b, dx: s.dx, dy: s.dy };
  }
  return best;
}

/** Group shots (in film order) into setups. */
export function groupSetups(shots: readonly ShotSamples[], o: SetupOptions = {}): SetupGrouping {
  const threshold = o.setupThreshold ?? SETUP_DEFAULTS.setupThreshold;
  const compareWith = o.compareWith ?? SETUP_DEFAULTS.compareWith;
  const setupOf: number[] = [];
  const confidence: number[] = [];
  const members: number[][] = [];
  shots.forEach((shot, i) => {
    let bestSetup = -1, bestScore = -Infinity;
    members.forEach((m, s) => {
      for (const j of m.slice(-compareWith)) {
        const score = matchShots(shots[j], shot).score;
        if (score > bestScore) [bestSetup, bestScore] = [s, score];
      }
    });
    if (bestSetup >= 0 && bestScore >= threshold) {
      setupOf.push(bestSetup);
      members[bestSetup].push(i);
      confidence.push(Math.min(1, 0.5 + (0.5 * (bestScore - threshold)) / (1 - threshold)));
    } else {
      setupOf.push(members.length);
      members.push([i]);
      confidence.push(1);
    }
  });
  return { setupOf, confidence, members };
}
