// Stage: the user's colour hints as the model's hint planes. For each frame the provider says which
// hints apply (already tracked to where their content is in that frame); the stage rasterizes them
// into a fresh 3 x modelW x modelH buffer on that frame's record. Frames without hints get no
// buffer at all: the inference stage feeds its one shared "no hints" plane for them, so an
// unhinted video costs nothing here.
import { map, type OperatorFunction } from 'rxjs';
import { rasterizeHints, type RasterHint } from '../hints/rasterize.js';
import type { ModelFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

/**
 * The hints of one frame, by its index in decode order: positions in input pixels of that frame.
 * Return an empty list (or null) for none. `frame` is the frame itself (its model-resolution L, for
 * a provider that follows hints as frames arrive: the live server's).
 */
export type HintProvider = (frameIndex: number, frame?: ModelFrame) => readonly RasterHint[] | null;

export function applyHints<T extends ModelFrame>(provider: HintProvider, timer?: StageTimer): OperatorFunction<T, T> {
  return map((f) => {
    const hints = provider(f.index, f);
    if (!hints || hints.length === 0) return f;
    const t0 = performance.now();
    const planes = new Float32Array(3 * f.modelWidth * f.modelHeight);
    rasterizeHints(hints, { inputWidth: f.width, inputHeight: f.height, modelWidth: f.modelWidth, modelHeight: f.modelHeight }, planes);
    f.modelHints = planes;
    timer?.add('hints', performance.now() - t0);
    return f;
  });
}
