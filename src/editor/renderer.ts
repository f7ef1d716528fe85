// Renders one frame of the film through the same colour graph as `chroma colorize --hints`, so a
// saved hints file gives the frames the editor showed. The one difference is on purpose: the editor
// shows single frames, so temporal smoothing is off here (render the file with `--smooth off` to
// compare pixel for pixel; with smoothing the file differs by exactly that stage). Also asks the
// model for its own top colours at a pixel (the suggestions).
import { lastValueFrom, of, pipe, tap, toArray, type OperatorFunction } from 'rxjs';
import type * as ort from 'onnxruntime-node';
import { colorGraph, type GraphOptions } from '../graph/color-graph.js';
import { batchFrames } from '../operators/batch-frames.js';
import { inferBatch, type InferredBatch } from '../operators/infer-batch.js';
import { topColours, type Suggestion } from '../hints/top-colours.js';
import type { HintProvider } from '../operators/apply-hints.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { ColorFrame, ModelFrame, RawFrame } from '../core/frames.js';

export interface RenderOptions {
  /** Model input short side (default: the model's training size), as `colorize --size`. */
  size?: number;
  /** Annealed-mean temperature (default 0.38), as `colorize --temperature`. */
  temperature?: number;
  /** The reference photo's logit tilt (jobs/job-reference.ts), when the hints have one. Default: none. */
  tilt?: Float32Array | null;
}

export class FrameRenderer {
  constructor(private readonly model: LoadedModel, private readonly opts: RenderOptions) {}

  private graphOptions(hints: HintProvider | null): GraphOptions {
    const o = this.opts;
    return {
      ...(o.size !== undefined ? { size: o.size } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      tilt: o.tilt ?? null, hints, smooth: null, restore: null,
    };
  }

  /** Colorize `raw` with `hints`. */
  async render(raw: RawFrame, hints: HintProvider | null): Promise<ColorFrame> {
    const [f] = await lastValueFrom(of(raw).pipe(colorGraph(this.model, this.graphOptions(hints)), toArray()));
    return f;
  }

  /**
   * The model's own top colours at film pixel (x, y) of `raw`, with `hints`: modes of its
   * distribution there (bins at least `spread` ab apart), most likely first. None for a model
   * that outputs ab directly.
   */
  async suggest(raw: RawFrame, hints: HintProvider | null, x: number, y: number, count: number, spread: number): Promise<Suggestion[]> {
    if (this.model.info.kind !== 'logits313') return [];
    let logits: ort.Tensor | null = null;
    const grab: OperatorFunction<ModelFrame, InferredBatch<ModelFrame>> = pipe(
      batchFrames<ModelFrame>({ size: 1 }), inferBatch(this.model), tap((b) => (logits = b.output)),
    );
    const [f] = await lastValueFrom(of(raw).pipe(colorGraph(this.model, { ...this.graphOptions(hints), tilt: null, infer: grab }), toArray()));
    if (!logits) return [];
    const out = logits as ort.Tensor;
    const [, , h, w] = out.dims;
    const px = Math.min(w - 1, Math.max(0, Math.round(((x + 0.5) * w) / raw.width - 0.5)));
    const py = Math.min(h - 1, Math.max(0, Math.round(((y + 0.5) * h) / raw.height - 0.5)));
    const L = f.L[Math.round(y) * raw.width + Math.round(x)];
    return topColours(out.data as Float32Array, h * w, py * w + px, L, count, spread);
  }
}
