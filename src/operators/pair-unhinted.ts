// Stage: a hinted frame goes to the net twice, with and without its hints, so the hint propagation
// can tell the net's hinted change from what it predicts anyway (a net may carry one saturated hint
// over the whole frame; see src/hints/propagate.ts, netReach). The unhinted twin is a shallow copy
// that shares every plane and only drops the hints; it travels right before its frame and
// mergeUnhinted folds it back after the annealed mean. Frames without hints pass alone.
import { mergeMap, type OperatorFunction } from 'rxjs';
import type { ModelFrame } from '../core/frames.js';

export function pairUnhinted<T extends ModelFrame>(): OperatorFunction<T, T> {
  return mergeMap((f) => (f.modelHints ? [{ ...f, modelHints: undefined, unhintedTwin: true }, f] : [f]));
}
