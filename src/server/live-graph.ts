// The model side of a live stream. The decoder never waits for the model: its frames land in a
// mailbox that keeps only the newest ones, and the graph admits at most one batch at a time. When
// inference is slower than the source, older frames are dropped (and counted) instead of queued, so
// latency stays at about one inference time whatever the backlog would have been.
//
//   decoder -> mailbox (newest `batch` frames) -> L -> resize -> batch (max wait) -> infer
//           -> annealed mean -> [causal smoothing] -> compose -> onOutput
import { Subject, type OperatorFunction, type Subscription } from 'rxjs';
import { colorGraph, type AbStage } from '../graph/color-graph.js';
import type { InferredBatch } from '../operators/infer-batch.js';
import { restoreStage } from '../graph/restore-stage.js';
import { restoreSwitch } from '../operators/restore-preview.js';
import type { RestoreSettings } from '../restore/options.js';
import { smoothAb } from '../operators/smooth-ab.js';
import { LatestMailbox } from './mailbox.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { AbFrame, ColorFrame, ModelFrame, RawFrame } from '../core/frames.js';
import type { StageTimes } from './frame-header.js';
import type { HintProvider } from '../operators/apply-hints.js';
import { DEFAULT_LIVE_BATCH } from '../core/defaults.js';

/** Timestamps (performance.now() ms) a live frame collects on its way through. */
export interface FrameMarks {
  seq: number;
  decoded: number;
  /** Wall clock (epoch ms) when the decoder delivered it. */
  decodedWall: number;
  admitted: number;
  prepped: number;
  batched: number;
  inferred: number;
  smoothed: number;
  composed: number;
}

export type LiveFrame = RawFrame & { live: FrameMarks };
export type LiveColorFrame = ColorFrame & { live: FrameMarks };

export type DropReason = 'mailbox' | 'paused' | 'idle';

export interface LiveGraphOptions {
  /** Frames per inference call (default 1: lowest latency on CPU). */
  batch?: number;
  /** Close a partial batch after this long (default 40 ms). */
  maxWaitMs?: number;
  /** Model input short side (default: the model's live size, ModelInfo.liveSize). */
  size?: number;
  temperature: () => number;
  paused: () => boolean;
  /** When true (nobody watching, nothing recording) frames skip the model entirely. */
  idle?: () => boolean;
  /** Causal temporal smoothing stage, or null. */
  smooth?: AbStage | null;
  /** Viewers' colour hints (live-hints.ts), for a model with a hints input. Default: none. */
  hints?: HintProvider | null;
  /** Film repair on L, causal (past frames only, none held). Default: none. */
  restore?: RestoreSettings | null;
  /** With `restore`: when true, frames leave the repair with their L as it came (the viewers' switch). Default: never. */
  showOriginal?: () => boolean;
  /** Gives decoder slots back (one per frame that leaves the graph or is dropped). */
  release: (count: number) => void;
  onOutput: (frame: LiveColorFrame, stages: Omit<StageTimes, 'jpeg'>) => void;
  onDrop?: (reason: DropReason) => void;
  onError?: (err: Error) => void;
  /**
   * Batch + inference done elsewhere (SharedInference: one model call for several sources); the
   * default batches this source's frames alone. Time waiting for other sources counts as infer.
   */
  infer?: (temperature: () => number) => OperatorFunction<ModelFrame, InferredBatch<ModelFrame>>;
}

const marksOf = (f: object): FrameMarks => (f as { live: FrameMarks }).live;

export class LiveGraph {
  private readonly mailbox: LatestMailbox<LiveFrame>;
  private readonly batch: number;
  private input: Subject<LiveFrame> | null = null;
  private sub: Subscription | null = null;
  private inGraph = 0;
  private stopped = false;
  private rebuildTimer: NodeJS.Timeout | null = null;
  framesOut = 0;
  errors = 0;

  constructor(private readonly model: LoadedModel, private readonly o: LiveGraphOptions) {
    this.batch = Math.max(1, Math.floor(o.batch ?? DEFAULT_LIVE_BATCH));
    this.mailbox = new LatestMailbox<LiveFrame>(this.batch, () => this.drop('mailbox'));
    this.build();
  }

  /** Frames inside the model graph now. */
  get busy(): number {
    return this.inGraph;
  }

  /** A decoded frame arrives (it holds one decoder slot until released here). */
  push(frame: RawFrame, seq: number, decodedWall: number): void {
    if (this.stopped) return void this.o.release(1);
    const skip = this.o.paused() ? 'paused' : this.o.idle?.() ? 'idle' : null;
    if (skip) {
      const waiting = this.mailbox.take().length;
      for (let i = 0; i <= waiting; i++) this.drop(skip); // the waiting frames and this one
      return;
    }
    const now = performance.now();
    const live: FrameMarks = {
      seq, decoded: now, decodedWall, admitted: now, prepped: now, batched: now, inferred: now, smoothed: now, composed: now,
    };
    this.mailbox.put(Object.assign(frame, { live }));
    this.pump();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.teardown();
    const left = this.mailbox.take().length;
    if (left) this.o.release(left);
  }

  private drop(reason: DropReason): void {
    this.o.release(1);
    this.o.onDrop?.(reason);
  }

  private pump(): void {
    while (this.input && this.inGraph < this.batch && this.mailbox.size) {
      const [f] = this.mailbox.take(1);
      f.live.admitted = performance.now();
      this.inGraph++;
      this.input.next(f);
    }
  }

  private build(): void {
    const { model, o } = this;
    const input = new Subject<LiveFrame>();
    const graph = input.pipe(colorGraph(model, {
      batch: this.batch,
      maxWaitMs: o.maxWaitMs ?? 40,
      size: o.size ?? model.info.liveSize,
      temperature: o.temperature,
      smooth: o.smooth ?? null,
      hints: o.hints ?? null,
      // One inference per frame: a live camera has no time for a second, unhinted pass (docs/hints.md, "Colour hints").
      unhintedPass: false,
      infer: o.infer?.(o.temperature),
      restore: o.showOriginal ? restoreSwitch(restoreStage(o.restore ?? null, { mode: 'causal' }), o.showOriginal) : restoreStage(o.restore ?? null, { mode: 'causal' }),
    }, { onStage: (point, f) => (marksOf(f)[point] = performance.now()) }));
    this.input = input;
    this.sub = graph.subscribe({
      next: (f) => this.output(f as unknown as LiveColorFrame),
      error: (e: unknown) => this.failed(e instanceof Error ? e : new Error(String(e))),
    });
  }

  private output(f: LiveColorFrame): void {
    const m = f.live;
    m.composed = performance.now();
    this.inGraph = Math.max(0, this.inGraph - 1);
    this.o.release(1);
    this.framesOut++;
    this.o.onOutput(f, {
      queue: m.admitted - m.decoded + (m.batched - m.prepped),
      prep: m.prepped - m.admitted,
      infer: m.inferred - m.batched,
      smooth: m.smoothed - m.inferred,
      compose: m.composed - m.smoothed,
    });
    this.pump();
  }

  private teardown(): void {
    this.sub?.unsubscribe();
    this.sub = null;
    this.input = null;
    if (this.inGraph) this.o.release(this.inGraph);
    this.inGraph = 0;
  }

  /** A failing inference must not end the stream: report it, drop what was inside, start a fresh graph. */
  private failed(err: Error): void {
    this.errors++;
    this.o.onError?.(err);
    this.teardown();
    if (this.stopped) return;
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      if (this.stopped) return;
      this.build();
      this.pump();
    }, 1000);
  }
}

/** Causal temporal smoothing (no look-ahead: zero frames of latency); `strength` is read per frame so viewers can change it. */
export function causalSmoothing(strength: () => number): AbStage {
  return smoothAb<AbFrame>({ mode: 'causal', strength });
}
