// Stage: CIE L* of every pixel at full resolution. Gray sources (R = G = B) take the exact
// 256-entry table; colour sources go through linear-light Y and an interpolated cube-root table.
import { map, type OperatorFunction } from 'rxjs';
import { rgbToL } from '../color/lab.js';
import type { LFrame, RawFrame } from '../pipeline/types.js';
import type { StageTimer } from '../pipeline/stage-timer.js';

export function extractL(timer?: StageTimer): OperatorFunction<RawFrame, LFrame> {
  return map((f) => {
    const t0 = performance.now();
    const L = new Float32Array(f.width * f.height);
    const gray = rgbToL(f.rgb, L, f.width * f.height);
    timer?.add('l', performance.now() - t0);
    return Object.assign(f, { L, gray });
  });
}
