// Stage: the other half of pairUnhinted. An unhinted twin's ab becomes its frame's `unhintedAb`
// (a view of the batch output, no copy) and the twin leaves the graph, so every later stage sees
// each frame once, as before.
import { mergeMap, type OperatorFunction } from 'rxjs';
import type { AbFrame } from '../core/frames.js';

export function mergeUnhinted<T extends AbFrame>(): OperatorFunction<T, T> {
  return (source) => {
    let twin: T | null = null;
    return source.pipe(mergeMap((f) => {
      if (f.unhintedTwin) {
        twin = f;
        return [];
      }
      if (twin && twin.index === f.index) f.unhintedAb = twin.ab;
      twin = null;
      return [f];
    }));
  };
}
