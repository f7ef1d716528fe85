// The smoothing stage's options as data: presets, defaults, the strength -> alpha mapping and the
// CLI's --smooth parser. Shared by the stage (operators/smooth-ab.ts), the library and the CLI.
import { readFlag } from '../core/options.js';
import { SMOOTH } from '../core/option-specs.js';
import type { StageTimer } from '../core/stage-timer.js';

export type SmoothPreset = 'off' | 'low' | 'medium' | 'high';
/** A preset or a number in 0..1 (0 = off). */
export type SmoothStrength = SmoothPreset | number;
export type SmoothMode = 'causal' | 'lookahead';
/** How the previous state is carried to the current frame. */
export type SmoothMotion = 'flow' | 'gate' | 'none';

/** The per-frame history weight (alpha) of each preset. */
export const SMOOTH_PRESETS: Readonly<Record<SmoothPreset, number>> = { off: 0, low: 0.5, medium: 0.75, high: 0.9 };
/** The default strength for video (files and live) and for stills (a single frame: nothing to smooth). */
export const DEFAULT_VIDEO_SMOOTH: SmoothPreset = 'medium';
export const DEFAULT_STILL_SMOOTH: SmoothPreset = 'off';
/** Highest alpha used: above it the filter would barely follow real colour changes. */
export const MAX_ALPHA = 0.97;

/**
 * Defaults, chosen with bench/smoothing.ts on the dev clips (an intermediate checkpoint of the
 * default model, 60 frames at 320 px): flow beat the in-place gate wherever the camera moves (davis_car-roundabout: flicker 1.31 -> 0.88
 * look-ahead with flow, 1.19 with the gate); tau 8 kept more history than tau 4 (gate 0.82 vs 0.70
 * on a pan) at no accuracy cost; the forward-backward check cost a second flow in causal mode and
 * gave no measurable gain once the L and colour tests were there; W beyond 3 changed nothing.
 */
export const SMOOTH_DEFAULTS = {
  mode: 'causal' as SmoothMode,
  motion: 'flow' as SmoothMotion,
  window: 6,
  motionThreshold: 8,
  cutThreshold: 0.2,
  flowScale: 2,
  consistencyCheck: false,
  colorThreshold: 30,
};

export interface SmoothOptions {
  /** 'causal' (live: no look-ahead) or 'lookahead' (files: a window of future frames). Default causal. */
  mode?: SmoothMode;
  /** A preset, a number in 0..1, or a function read once per frame (live clients). Default 'medium'. */
  strength?: SmoothStrength | (() => number);
  /**
   * Look-ahead frames W (default 6). The stage holds W frames, which keep their FlowGate slots: the
   * file graph stalls unless W + batch <= its in-flight limit (defaults: batch 4, limit 24, so W <= 20).
   */
  window?: number;
  /** Motion handling: 'flow' (default: follow the optical flow), 'gate' (in place, L-similarity weights only), 'none' (a plain EMA: trails). */
  motion?: SmoothMotion;
  /** L difference tau (CIE L units, at ab resolution) at which a tap's weight falls to 1/e (default 8). */
  motionThreshold?: number;
  /**
   * Histogram distance (total variation of mean-centred 32-bin L histograms, 0..1) above which a
   * frame starts a new shot (default 0.2: consecutive frames of the dev clips stay under 0.09, cuts
   * between them measure 0.24 to 0.59).
   */
  cutThreshold?: number;
  /** Resolution of the flow relative to the ab planes (default 2: twice the ab size, from modelL). */
  flowScale?: number;
  /**
   * Colour difference (ab units) between the carried history and this frame's prediction at which
   * the history weight falls to 1/e (default 30; 0 disables): catches objects whose L matches
   * their background, which the L test cannot see.
   */
  colorThreshold?: number;
  /**
   * Flow mode: also estimate the reverse flow and drop pixels failing the forward-backward check
   * (default false: a second flow per frame, no measured gain). Without it, look-ahead's forward
   * links follow the backward flow reversed.
   */
  consistencyCheck?: boolean;
  /** Called for every detected cut (not for the first frame) with the frame index and the histogram distance. Default: none. */
  onCut?: (index: number, distance: number) => void;
  /** Charges the stage's time to 'smooth'. Default: none (a job passes its own). */
  timer?: StageTimer;
}

/** A strength (preset or number) as the filter's alpha in 0..MAX_ALPHA. */
export function smoothingAlpha(s: SmoothStrength): number {
  const v = typeof s === 'number' ? s : SMOOTH_PRESETS[s];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`invalid smoothing strength: ${String(s)}`);
  return Math.min(MAX_ALPHA, Math.max(0, v));
}

/**
 * The CLI's `--smooth off|low|medium|high|<number>` (checked by its spec): the filter's alpha
 * (0 = off). Throws the usage error of every bad option otherwise.
 */
export function parseSmoothOption(s: string): number {
  const v = readFlag(SMOOTH, s.trim().toLowerCase())!;
  return smoothingAlpha(v);
}
