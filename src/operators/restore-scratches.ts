// Stage: line-scratch removal on each frame (src/restore/scratches.ts). The detector remembers
// the previous frame's scratches; a change of frame geometry starts it afresh.
import { defer, map, type OperatorFunction } from 'rxjs';
import { ScratchDetector, type ScratchResult } from '../restore/scratches.js';
import type { ScratchSettings } from '../restore/options.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface RestoreScratchesOptions {
  /** Charges the stage's time to 'restore-scratches'. Default: none. */
  timer?: StageTimer;
  /** Sees every frame's result. Default: none. */
  onFrame?: (index: number, result: ScratchResult) => void;
}

export function restoreScratches<T extends LFrame>(s: ScratchSettings, opts: RestoreScratchesOptions = {}): OperatorFunction<T, T> {
  return (source) =>
    defer(() => {
      let det: ScratchDetector | null = null;
      return source.pipe(
        map((f) => {
          const t0 = performance.now();
          if (!det || det.width !== f.width || det.height !== f.height) det = new ScratchDetector(f.width, f.height, s.bandRows);
          const r = det.repair(f.L, s);
          opts.timer?.add('restore-scratches', performance.now() - t0);
          opts.onFrame?.(f.index, r);
          return f;
        }),
      );
    });
}
