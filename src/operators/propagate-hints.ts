// Stage: spread each frame's user hints over the region they sit in (src/hints/propagate.ts), right
// after the annealed mean and before smoothing. Frames without hints pass untouched.
import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { AbFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';
import { HintPropagator, type PropagateOptions } from '../hints/propagate.js';

export function propagateHints<F extends AbFrame>(opts: PropagateOptions = {}, timer?: StageTimer): MonoTypeOperatorFunction<F> {
  return (source) => {
    const propagator = new HintPropagator();
    return source.pipe(map((f) => {
      if (!f.modelHints) return f;
      const t0 = performance.now();
      propagator.apply(f.ab, f.abWidth, f.abHeight, f.modelHints, f.modelL, f.modelWidth, f.modelHeight, opts, f.unhintedAb);
      timer?.add('hints', performance.now() - t0, 1);
      return f;
    }));
  };
}
