// Stage: grain reduction on each frame (src/restore/grain.ts), from the compensated neighbours
// restore-motion lends. The grain level is measured per frame and averaged over the last few
// (a level that jumps would itself flicker). The floor is the residual clean footage shows (fine
// texture the flow cannot follow exactly, sensor noise): only the part of the level above it is
// filtered, so frames measured under it pass unchanged.
import { defer, map, type OperatorFunction } from 'rxjs';
import { GrainFilter } from '../restore/grain.js';
import { neighboursOf } from '../restore/motion.js';
import type { GrainSettings } from '../restore/options.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

/** Weight of the history in the running grain level. */
const LEVEL_HISTORY = 0.7;

export interface RestoreGrainOptions {
  /** Charges the stage's time to 'restore-grain'. Default: none. */
  timer?: StageTimer;
  /** Sees every frame's grain level in L units (null: no neighbour to measure it against). Default: none. */
  onFrame?: (index: number, level: number | null) => void;
}

export function restoreGrain<T extends LFrame>(s: GrainSettings, opts: RestoreGrainOptions = {}): OperatorFunction<T, T> {
  return (source) =>
    defer(() => {
      let filter: GrainFilter | null = null;
      let level = -1;
      return source.pipe(
        map((f) => {
          const nb = neighboursOf(f);
          const a = nb?.a ?? nb?.b ?? null;
          if (!a || s.strength <= 0) {
            opts.onFrame?.(f.index, null);
            return f;
          }
          const t0 = performance.now();
          if (!filter || filter.width !== f.width || filter.height !== f.height) {
            filter = new GrainFilter(f.width, f.height);
            level = -1;
          }
          const b = nb?.a && nb.b ? nb.b : null;
          const measured = filter.estimate(f.L, a, b);
          level = level < 0 ? measured : LEVEL_HISTORY * level + (1 - LEVEL_HISTORY) * measured;
          // What rises above the floor is treated as grain: a level that hovers at the floor fades
          // in and out smoothly instead of switching the filter on and off.
          const excess = Math.sqrt(Math.max(0, level * level - s.floor * s.floor));
          if (excess > 0) filter.apply(f.L, a, b, excess, s.strength);
          opts.timer?.add('restore-grain', performance.now() - t0);
          opts.onFrame?.(f.index, level);
          return f;
        }),
      );
    });
}
