// Stage: the colour frame. ab is upsampled bilinearly to the frame and joined with the original
// full-resolution L, then converted to sRGB through lookup tables, in place into the frame's own
// rgb buffer (its pixels are no longer needed once L is extracted): no allocation per frame.
import { map, type OperatorFunction } from 'rxjs';
import { composeLab, makeUpsampleMap, type UpsampleMap } from '../color/lab.js';
import type { AbFrame, ColorFrame } from '../pipeline/types.js';
import type { StageTimer } from '../pipeline/stage-timer.js';

export function composeFrames<T extends AbFrame>(timer?: StageTimer): OperatorFunction<T, T & ColorFrame> {
  let upsample: UpsampleMap | null = null;
  let key = '';
  return map((f) => {
    const t0 = performance.now();
    const k = `${f.width}x${f.height}<${f.abWidth}x${f.abHeight}`;
    if (k !== key || !upsample) {
      upsample = makeUpsampleMap(f.width, f.height, f.abWidth, f.abHeight);
      key = k;
    }
    composeLab(f.L, f.ab, f.abWidth, f.abHeight, f.width, f.height, upsample, f.rgb);
    timer?.add('compose', performance.now() - t0);
    return Object.assign(f, { out: f.rgb });
  });
}
