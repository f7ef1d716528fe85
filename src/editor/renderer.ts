// Renders one frame of the film through the same colour graph as `chroma colorize --hints`, so a
// saved hints file gives the frames the editor showed. The one difference is on purpose: the editor
// shows single frames, so temporal smoothing is off here (render the file with `--smooth off` to
// compare pixel for pixel; with smoothing the file differs by exactly that stage). With
// `--restore`, the frame's restored L (restored-l.ts) takes the decoded L's place in the graph's
// restoration slot, where the file job's restoration stage puts it. Also asks the model for its own
// top colours at a pixel (the suggestions).
import { lastValueFrom, map, of, pipe, tap, toArray, type OperatorFunction } from 'rxjs';
import type * as ort from 'onnxruntime-node';
import { colorGraph, type GraphOptions } from '../graph/color-graph.js';
import { batchFrames } from '../operators/batch-frames.js';
import { inferBatch, type InferredBatch } from '../operators/infer-batch.js';
import { topColours, type Suggestion } from '../hints/top-colours.js';
import type { HintProvider } from '../operators/apply-hints.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { ColorFrame, ModelFrame, RawFrame } from '../core/frames.js';
import type { LStage } from '../graph/restore-stage.js';

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

  private graphOptions(hints: HintProvider | null, L: Float32Array | null): GraphOptions {
    const o = this.opts;
    return {
      ...(o.size !== undefined ? { size: o.size } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      tilt: o.tilt ?? null, hints, smooth: null, restore: L ? withL(L) : null,
    };
  }

  /** Colorize `raw` with `hints`; with `L` (its restored L), from that L instead of the decoded one. */
  async render(raw: RawFrame, hints: HintProvider | null, L: Float32Array | null = null): Promise<ColorFrame> {
    const [f] = await lastValueFrom(of(raw).pipe(colorGraph(this.model, this.graphOptions(hints, L)), toArray()));
    return f;
  }

  /**
   * The model's own top colours at film pixel (x, y) of `raw` (or of its restored `L`), with
   * `hints`: modes of its distribution there (bins at least `spread` ab apart), most likely
   * first. None for a model that outputs ab directly.
   */
  async suggest(raw: RawFrame, hints: HintProvider | null, x: number, y: number, count: number, spread: number, L: Float32Array | null = null): Promise<Suggestion[]> {
    if (this.model.info.kind !== 'logits313') return [];
    let logits: ort.Tensor | null = null;
    const grab: OperatorFunction<ModelFrame, InferredBatch<ModelFrame>> = pipe(
      batchFrames<ModelFrame>({ size: 1 }), inferBatch(this.model), tap((b) => (logits = b.output)),
    );
    const [f] = await lastValueFrom(of(raw).pipe(colorGraph(this.model, { ...this.graphOptions(hints, L), tilt: null, infer: grab }), toArray()));
    if (!logits) return [];
    const out = logits as ort.Tensor;
    const [, , h, w] = out.dims;
    const px = Math.min(w - 1, Math.max(0, Math.round(((x + 0.5) * w) / raw.width - 0.5)));
    const py = Math.min(h - 1, Math.max(0, Math.round(((y + 0.5) * h) / raw.height - 0.5)));
    const lightness = f.L[Math.round(y) * raw.width + Math.round(x)];
    return topColours(out.data as Float32Array, h * w, py * w + px, lightness, count, spread);
  }
}

/**
 * The restoration slot's stage for one frame already restored: its L becomes `L` (a copy: the
 * graph may work on it in place). Set on the record, as the repair stages do: a gray frame's
 * setter then stops the later stages reading L from its gray codes.
 */
function withL(L: Float32Array): LStage {
  return map((f) => {
    f.L = L.slice();
    return f;
  });
}
