// The restoration stage in front of the colour graph: the film's L plane is repaired before the
// model sees it, and the repaired L is what the output carries. The defects are repaired in the
// order each needs: flicker first (the temporal tests compare brightness across frames), then
// blotches (larger than dust, found against frames two away), then the two that use the motion-compensated neighbours (grain, then dust: the grain filter's range
// weights leave a speck as it is, and the speck stands out better from a quieter frame), then
// scratches (spatial, easier to see once the grain is down).
import { identity, pipe, type OperatorFunction } from 'rxjs';
import { restoreFlicker } from '../operators/restore-flicker.js';
import { restoreMotion } from '../operators/restore-motion.js';
import { restoreDust } from '../operators/restore-dust.js';
import { restoreGrain } from '../operators/restore-grain.js';
import { restoreScratches, type ScratchFrameResult } from '../operators/restore-scratches.js';
import { restoreBlotches, BLOTCH_LOOKAHEAD, type BlotchResult } from '../operators/restore-blotches.js';
import { restorePreview, type RestorePreviewOptions } from '../operators/restore-preview.js';
import { restoresNothing, type RestoreMode, type RestoreSettings } from '../restore/options.js';
import type { DustResult } from '../restore/dust.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

/** The restoration stage: L frames in, the same records out with `L` repaired in place. */
export type LStage = OperatorFunction<LFrame, LFrame>;

/** What the stage did to one frame, for reports and the bench. */
export interface RestoreEvents {
  flicker?: (index: number, mean: number, reference: number) => void;
  dust?: (index: number, result: DustResult | null) => void;
  grain?: (index: number, level: number | null) => void;
  scratches?: (index: number, result: ScratchFrameResult) => void;
  blotches?: (index: number, result: BlotchResult | null) => void;
}

export interface RestoreStageOptions {
  /** 'lookahead' (files) or 'causal' (live: no future frames, past ones only). Default 'lookahead'. */
  mode?: RestoreMode;
  /** Charges each repair's time here ('restore-flicker', ...). Default: none. */
  timer?: StageTimer;
  /** Sees what each repair did to each frame (the bench's counts). Default: none. */
  events?: RestoreEvents;
  /** Write the before/after preview (--restore-debug) around the stage. Default: none. */
  preview?: RestorePreviewOptions;
}

/** Restoration as a job asks for it (GraphOptions.restore). */
export interface RestoreOptions {
  /** What to repair: a preset (RESTORE_PRESETS) or parseRestoreOption's result; null repairs nothing. */
  settings: RestoreSettings | null;
  /** --restore-debug: a before/after preview of the first `seconds` (default 5), written to `path`. Default: none. */
  preview?: { path: string; seconds?: number };
  /** Set by Colorizer: the temporary name the preview is written under until the job is done. Default: none (no preview is written). */
  previewTemp?: string;
}

/**
 * Frames the stage holds back at most in look-ahead mode: the flicker window, two for the
 * motion stage (dust, grain, scratches) at the start of a run (one after), and three for blotches. The file graph's FlowGate leaves room for them,
 * as for the smoothing window.
 */
export function restoreHold(s: RestoreSettings | null): number {
  if (restoresNothing(s)) return 0;
  return (s!.flicker ? s!.flicker.window : 0) + (s!.dust || s!.grain || s!.scratches ? 2 : 0) + (s!.blotches ? BLOTCH_LOOKAHEAD : 0);
}

/** The restoration stage for `settings`; identity when it repairs nothing. */
export function restoreStage(settings: RestoreSettings | null, opts: RestoreStageOptions = {}): LStage {
  if (restoresNothing(settings)) return identity;
  const s = settings!;
  const { mode = 'lookahead', timer, events = {} } = opts;
  const when = <T>(on: unknown, stage: () => OperatorFunction<T, T>): OperatorFunction<T, T> => (on ? stage() : identity);
  const stage: LStage = pipe(
    when(s.flicker, () => restoreFlicker<LFrame>(s.flicker!, { mode, timer, ...(events.flicker ? { onFrame: events.flicker } : {}) })),
    // Blotches need frames ahead: live (causal) runs leave them.
    when(s.blotches && mode === 'lookahead', () => restoreBlotches<LFrame>(s.blotches!, { timer, ...(events.blotches ? { onFrame: events.blotches } : {}) })),
    // Scratches use the neighbours too: a line that moved with the scene is the scene's (a pole in a pan).
    when(s.dust || s.grain || s.scratches, () => restoreMotion<LFrame>({ mode, timer })),
    when(s.grain, () => restoreGrain<LFrame>(s.grain!, { timer, ...(events.grain ? { onFrame: events.grain } : {}) })),
    when(s.dust, () => restoreDust<LFrame>(s.dust!, { timer, ...(events.dust ? { onFrame: events.dust } : {}) })),
    when(s.scratches, () => restoreScratches<LFrame>(s.scratches!, { timer, ...(events.scratches ? { onFrame: events.scratches } : {}) })),
  );
  return opts.preview ? restorePreview(opts.preview, stage) : stage;
}
