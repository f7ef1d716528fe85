// Hints -> the model's hint planes. The hint-capable net (SIGGRAPH17 design) reads, beside L, three
// planes at model resolution: hint a / 110, hint b / 110 and the hint mask centred (mask - 0.5), so
// a frame with no hints is (0, 0, -0.5) everywhere: exactly what training/common.py's no_hints and
// simulate_hints produce. Points and sizes arrive in input pixels (what the user clicked); this
// module owns the one mapping to model pixels. It writes into the caller's buffer: it runs per frame.
import { defaultHintSize } from './hints-file.js';

/** What rasterizing needs of a hint (a parsed Hint, or a tracked position with its colour). */
export interface RasterHint {
  /** Input-pixel position (pixel centres at integers). */
  x: number;
  y: number;
  /** Lab a, b. */
  ab: readonly [number, number];
  /** Patch side in input pixels (default: defaultHintSize of the input, see hints-file.ts). */
  size?: number;
}

/** Scale of the ab planes the net reads and writes (ab / 110 in, logits or ab x 110 out). */
export const HINT_AB_SCALE = 110;

/** Sizes that fix the input -> model mapping; build it once per video, not per frame. */
export interface HintGeometry {
  /** Input frame size in pixels (the space of the hints' x, y and size). */
  inputWidth: number;
  inputHeight: number;
  /** Model resolution (e.g. 192 x 144 for a 640 x 480 frame). */
  modelWidth: number;
  modelHeight: number;
  /** Patch side in input pixels for hints without `size` (default: defaultHintSize of the input). */
  defaultSize?: number;
}

/**
 * Fill `out` (3 x modelHeight x modelWidth, planar: a/110, b/110, mask - 0.5) with the hints of one
 * frame. A hint's patch is centred on its point mapped to model pixels, its side scaled the same
 * way (at least 1 px each way), and clipped at the frame's edges rather than shifted: the colour
 * stays where it was placed. Where patches overlap, the later hint wins. Hints whose patch lies
 * wholly outside the frame leave no mark.
 */
export function rasterizeHints(hints: readonly RasterHint[], geometry: HintGeometry, out: Float32Array): void {
  const { inputWidth, inputHeight, modelWidth, modelHeight } = geometry;
  const hw = modelWidth * modelHeight;
  if (out.length < 3 * hw) throw new RangeError(`hint planes need ${3 * hw} floats, got ${out.length}`);
  out.fill(0, 0, 2 * hw);
  out.fill(-0.5, 2 * hw, 3 * hw);
  const defaultSize = geometry.defaultSize ?? defaultHintSize(inputWidth, inputHeight);
  const sx = modelWidth / inputWidth, sy = modelHeight / inputHeight;
  for (const h of hints) {
    const size = h.size ?? defaultSize;
    const sideX = patchSide(size, sx), sideY = patchSide(size, sy);
    const fx = patchFirst(h.x, sideX, sx), fy = patchFirst(h.y, sideY, sy);
    const x0 = Math.max(0, fx), x1 = Math.min(modelWidth - 1, fx + sideX - 1);
    const y0 = Math.max(0, fy), y1 = Math.min(modelHeight - 1, fy + sideY - 1);
    if (x0 > x1 || y0 > y1) continue;
    const a = h.ab[0] / HINT_AB_SCALE, b = h.ab[1] / HINT_AB_SCALE;
    for (let y = y0; y <= y1; y++) {
      const r = y * modelWidth;
      out.fill(a, r + x0, r + x1 + 1);
      out.fill(b, hw + r + x0, hw + r + x1 + 1);
      out.fill(0.5, 2 * hw + r + x0, 2 * hw + r + x1 + 1);
    }
  }
}

/** Patch side in model pixels on one axis: the input side scaled, at least 1. */
const patchSide = (size: number, scale: number): number => Math.max(1, Math.round(size * scale));

/** First model pixel of a patch of `side` centred on input position `pos` (may lie off the frame). */
const patchFirst = (pos: number, side: number, scale: number): number => Math.round(toModelPixels(pos, scale) - (side - 1) / 2);

/**
 * An input-pixel coordinate on one axis in model pixels, `scale` = model extent / input extent.
 * Pixel centres map to pixel centres, as the resampling to model resolution does: the mapping to
 * use for points the tracker follows at model resolution, and {@link toInputPixels} back.
 */
export const toModelPixels = (v: number, scale: number): number => (v + 0.5) * scale - 0.5;
/** A model-pixel coordinate on one axis back in input pixels (inverse of {@link toModelPixels}). */
export const toInputPixels = (v: number, scale: number): number => (v + 0.5) / scale - 0.5;
