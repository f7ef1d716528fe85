// The model half of every job: L -> [restore] -> resize -> batch -> infer -> annealed mean -> [smooth] ->
// compose, shared by files, stills and live sources. Callers that need to watch frames pass
// between stages (the live server's latency marks) give a hook instead of rebuilding the list.
import { defer, finalize, identity, pipe, tap, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import { borrowPixelPool, returnPixelPool } from '../pool/pixel-pool.js';
import { extractL } from '../operators/extract-l.js';
import { resizeForModel } from '../operators/resize-for-model.js';
import { batchFrames } from '../operators/batch-frames.js';
import { inferBatch, type InferredBatch } from '../operators/infer-batch.js';
import { annealedMeanAb } from '../operators/annealed-mean-ab.js';
import { composeFrames, type ComposeOutput } from '../operators/compose-frames.js';
import { propagateHints } from '../operators/propagate-hints.js';
import type { PropagateOptions } from '../hints/propagate.js';
import { applyHints, type HintProvider } from '../operators/apply-hints.js';
import { pairUnhinted } from '../operators/pair-unhinted.js';
import { mergeUnhinted } from '../operators/merge-unhinted.js';
import { DEFAULT_BATCH, DEFAULT_TEMPERATURE } from '../core/defaults.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { AbFrame, ColorFrame, ModelFrame, RawFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';
import type { LStage } from './restore-stage.js';
import { modelError } from '../core/errors.js';

/** The one line for hints given to a model that cannot take them (exit 5). */
export function hintsUnsupported(model: LoadedModel): Error {
  return modelError(`${model.info.name}: this model takes no colour hints (it has no 'hints' input); use a hint-capable model (e.g. the built-in default, or an imported siggraph17)`);
}

/** A smoothing stage for the slot between the annealed mean and composition. */
export type AbStage = OperatorFunction<AbFrame, AbFrame>;

/** The points between stages where a hook sees each frame. */
export type GraphPoint = 'prepped' | 'batched' | 'inferred' | 'smoothed';

export interface GraphOptions {
  /** Annealed-mean temperature, in [0.01, 1]; a function lets a live client change it. Default 0.38. */
  temperature?: number | (() => number);
  /** Frames per inference call. Default 4. */
  batch?: number;
  /** Close a partial batch after this many ms (live sources). Default: never (files). */
  maxWaitMs?: number;
  /** Model input short side in pixels. Default: the model's training size. */
  size?: number;
  /** The temporal smoothing stage (src/smoothing). Default: none (identity). */
  smooth?: AbStage | null;
  /** The film-repair stage on L, in front of the model (graph/restore-stage.ts). Default: none (identity). */
  restore?: LStage | null;
  /**
   * The user's colour hints, per frame (src/operators/apply-hints.ts). Needs a model with the
   * `hints` input (colorGraph throws a model error otherwise). Default: none.
   */
  hints?: HintProvider | null;
  /**
   * Added to every pixel's 313 logits before the annealed mean (a reference photo's tilt, see
   * jobs/job-reference.ts); logits models only. The inference worker then returns logits instead
   * of decoding them. Default: none.
   */
  tilt?: Float32Array | null;
  /** Charges each stage's time here (benchmarks, --json summaries). Default: none. */
  timer?: StageTimer;
  /** How far user hints spread over their region after the annealed mean (src/hints/propagate.ts). Default: reach 24 cells, edge cost 0.3, lightness-chroma gate 200, net reach 24. */
  propagate?: PropagateOptions;
  /**
   * Send each hinted frame through the net a second time without its hints, so the propagation
   * keeps the net's hinted change only near the hints (`propagate.netReach`). Costs one more
   * inference per hinted frame. Default: true.
   */
  unhintedPass?: boolean;
  /**
   * Batch + inference done by the caller (the live server's SharedInference: one model call for
   * several sources) in place of batchFrames + inferBatch; `batch` and `maxWaitMs` are then
   * unused. Default: none (this graph batches its own frames).
   */
  infer?: OperatorFunction<ModelFrame, InferredBatch<ModelFrame>>;
  /**
   * Threads of the pixel pool (src/pool) that run extract L, resize and compose in bands of each
   * frame; 0 runs them on the calling thread. Only frames whose bytes are in shared memory go to
   * the pool (a decoder given FrameBuffers: file jobs); the others stay on the calling thread.
   * The pool starts with each subscription and ends with it. Default 0 here; a video file job's
   * default is defaultPixelWorkers() (cores - 1 - cores/4, in 1..8), and with a pool the job's
   * smoothing gets a thread of its own as well (pool/smooth-thread.ts).
   */
  workers?: number;
  /**
   * The composed frames' layout (operators/compose-frames.ts): rgb24 in place (default), or
   * yuv420p for an encoder that takes it, in buffers of its own. Default: rgb24.
   */
  output?: ComposeOutput;
}

export interface GraphHooks {
  /** Called for every frame as it passes `point` (after resizing, batching, the annealed mean, smoothing). */
  onStage?: (point: GraphPoint, frame: ModelFrame) => void;
}

export function colorGraph(
  model: LoadedModel, opts: GraphOptions, hooks: GraphHooks = {},
): OperatorFunction<RawFrame, ColorFrame> {
  const t = opts.temperature ?? DEFAULT_TEMPERATURE;
  const temperature = typeof t === 'function' ? t : () => t;
  const { timer } = opts;
  const on = hooks.onStage;
  if (opts.hints && !model.hintsName) throw hintsUnsupported(model);
  const mark = <F extends ModelFrame>(point: GraphPoint): MonoTypeOperatorFunction<F> =>
    on ? tap((f) => on(point, f)) : identity;
  const markBatch = <F extends ModelFrame>(point: GraphPoint): MonoTypeOperatorFunction<F[]> =>
    on ? tap((frames) => frames.forEach((f) => on(point, f))) : identity;
  // Two pipes: RxJS types at most nine operators in one.
  return (source) => defer(() => {
    const pool = opts.workers ? borrowPixelPool(opts.workers) : null;
    return source.pipe(
      extractL(timer, pool),
      opts.restore ?? identity,
      resizeForModel({
        shortSide: opts.size ?? model.info.trainSize,
        multiple: model.info.sizeMultiple,
        lOffset: model.info.lOffset,
        lScale: model.info.lScale,
      }, timer, pool),
      opts.hints ? applyHints(opts.hints, timer) : identity,
      mark('prepped'),
      opts.hints && opts.unhintedPass !== false ? pairUnhinted() : identity,
      opts.infer ? pipe(mark<ModelFrame>('batched'), opts.infer) : pipe(
        batchFrames<ModelFrame>({ size: opts.batch ?? DEFAULT_BATCH, ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}) }),
        markBatch('batched'),
        // Logits become ab next to the inference (in its worker when it has one), unless a tilt
        // must be added to them first.
        inferBatch(model, timer, opts.tilt ? {} : { temperature }),
      ),
    ).pipe(
      annealedMeanAb(model, temperature, timer, opts.tilt),
      opts.hints && opts.unhintedPass !== false ? mergeUnhinted() : identity,
      propagateHints(opts.propagate, timer),
      mark('inferred'),
      opts.smooth ?? identity,
      mark('smoothed'),
      composeFrames(timer, pool, opts.output),
      // Success, error and unsubscribe (abort) all hand the pool back (kept for the next graph
      // only when no task of this one is still running on it).
      finalize(() => pool && returnPixelPool(pool)),
    );
  });
}
