// Stage: line-scratch removal on each frame (src/restore/scratches.ts), then the hairlines too
// faint for it (src/restore/hairlines.ts). The scratch detector remembers the previous frame's
// scratches; a change of frame geometry starts both afresh.
import { defer, map, type OperatorFunction } from 'rxjs';
import { ScratchDetector, type ScratchResult } from '../restore/scratches.js';
import { HairlineDetector, type HairlineResult } from '../restore/hairlines.js';
import { marksOf } from '../restore/repair-marks.js';
import { neighboursOf } from '../restore/motion.js';
import type { ScratchSettings } from '../restore/options.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface RestoreScratchesOptions {
  /** Charges the stage's time to 'restore-scratches'. Default: none. */
  timer?: StageTimer;
  /** Sees every frame's result. Default: none. */
  onFrame?: (index: number, result: ScratchFrameResult) => void;
}

/** What the stage did to one frame: the scratches, and the hairlines under `hairlines`. */
export type ScratchFrameResult = ScratchResult & { hairlines: HairlineResult };

export function restoreScratches<T extends LFrame>(s: ScratchSettings, opts: RestoreScratchesOptions = {}): OperatorFunction<T, T> {
  return (source) =>
    defer(() => {
      let det: ScratchDetector | null = null;
      let hair: HairlineDetector | null = null;
      return source.pipe(
        map((f) => {
          const t0 = performance.now();
          if (!det || det.width !== f.width || det.height !== f.height) {
            det = new ScratchDetector(f.width, f.height, s.bandRows);
            hair = new HairlineDetector(f.width, f.height);
          }
          const marks = marksOf(f);
          const nb = neighboursOf(f);
          const r = det.repair(f.L, s, marks, nb);
          const hairlines = hair!.repair(f.L, s, marks, nb);
          opts.timer?.add('restore-scratches', performance.now() - t0);
          opts.onFrame?.(f.index, { ...r, hairlines });
          return f;
        }),
      );
    });
}
