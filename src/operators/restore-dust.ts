// Stage: dust and dirt removal on each frame, against the compensated neighbours restore-motion
// lends (src/restore/dust.ts). A frame without both neighbours (a shot's first or last frame, or
// the first two frames live) passes unchanged: one neighbour cannot tell dust from new content.
import { defer, map, type OperatorFunction } from 'rxjs';
import { DustDetector, type DustResult } from '../restore/dust.js';
import { neighboursOf } from '../restore/motion.js';
import { marksOf } from '../restore/repair-marks.js';
import type { DustSettings } from '../restore/options.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface RestoreDustOptions {
  /** Charges the stage's time to 'restore-dust'. Default: none. */
  timer?: StageTimer;
  /** Sees every frame's result (null when it was passed unchanged). Default: none. */
  onFrame?: (index: number, result: DustResult | null) => void;
}

export function restoreDust<T extends LFrame>(s: DustSettings, opts: RestoreDustOptions = {}): OperatorFunction<T, T> {
  return (source) =>
    defer(() => {
      let det: DustDetector | null = null;
      return source.pipe(
        map((f) => {
          const nb = neighboursOf(f);
          if (!nb?.a || !nb.b) {
            opts.onFrame?.(f.index, null);
            return f;
          }
          const t0 = performance.now();
          if (!det || det.width !== f.width || det.height !== f.height) det = new DustDetector(f.width, f.height);
          const r = det.repair(f.L, nb.a, nb.b, s, marksOf(f), nb.outside);
          opts.timer?.add('restore-dust', performance.now() - t0);
          opts.onFrame?.(f.index, r);
          return f;
        }),
      );
    });
}
