// --smooth for files: the temporal smoothing stage in look-ahead mode (no lag), or none.
import { parseSmoothOption, smoothAb, DEFAULT_VIDEO_SMOOTH } from '../operators/smooth-ab.js';
import type { AbStage } from '../graph/color-graph.js';

export function smoothingFromCli(value: string | undefined): AbStage | null {
  const strength = parseSmoothOption(value ?? DEFAULT_VIDEO_SMOOTH);
  return strength === 0 ? null : smoothAb({ mode: 'lookahead', strength });
}
