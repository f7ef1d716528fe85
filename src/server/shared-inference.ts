// One model, several live sources: their frames meet here and go to the model together, so N
// cameras cost one inference call per round instead of N. Frames are grouped by model size and
// temperature (each source has its own, set by its viewers); a group runs as soon as it holds a
// frame from every source that is delivering frames now (one that sent nothing for a while, a
// camera that is down, is not waited for), or `batch` frames, or when its oldest frame has waited
// `maxWaitMs`. Results go back to each frame's own source, one frame per result, in the order the
// model finished them.
//
// Each source's graph uses `stage()` in place of its own batch + infer stages. A source whose
// graph is torn down (inference error, stop) simply stops receiving; the others carry on.
import { Observable, Subject, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import * as ort from 'onnxruntime-node';
import { inferBatch, type InferredBatch } from '../operators/infer-batch.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { ModelFrame } from '../core/frames.js';

export interface SharedInferenceOptions {
  /** Most frames per inference call. */
  batch: number;
  /** A partial group waits at most this long (default 40 ms). */
  maxWaitMs?: number;
}

interface Entry {
  frame: ModelFrame;
  t: number;
  to: Subscriber<InferredBatch<ModelFrame>>;
}

type Group = ModelFrame[] & { entries: Entry[]; t: number };

/** A source that sent no frame for this long is not waited for (a 15 fps camera sends one every 67 ms). */
const ACTIVE_MS = 500;

export class SharedInference {
  /** Inference calls made and frames they carried (frames / calls = the batching achieved). */
  calls = 0;
  frames = 0;
  private groups = new Map<string, { entries: Entry[]; timer: NodeJS.Timeout | null }>();
  private input: Subject<Group> | null = null;
  private sub: Subscription | null = null;
  private inFlight = new Set<Group>();
  /** Each subscribed source's last frame (performance.now()). */
  private lastSeen = new Map<Subscriber<InferredBatch<ModelFrame>>, number>();
  private closed = false;

  constructor(private readonly model: LoadedModel, private readonly o: SharedInferenceOptions) {
    this.build();
  }

  /** The batch + infer part of one source's graph; `temperature` is read when a frame arrives. */
  stage(temperature: () => number): OperatorFunction<ModelFrame, InferredBatch<ModelFrame>> {
    return (source) =>
      new Observable<InferredBatch<ModelFrame>>((to) => {
        const sub = source.subscribe({
          next: (frame) => this.submit({ frame, t: temperature(), to }),
          error: (e) => to.error(e),
          complete: () => to.complete(),
        });
        return () => {
          sub.unsubscribe();
          this.forget(to);
        };
      });
  }

  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) if (g.timer) clearTimeout(g.timer);
    this.groups.clear();
    this.sub?.unsubscribe();
    this.sub = this.input = null;
  }

  private build(): void {
    const input = new Subject<Group>();
    this.input = input;
    this.sub = input.pipe(inferBatch<ModelFrame>(this.model, undefined, { temperatureOf: (frames) => (frames as Group).t })).subscribe({
      next: (r) => this.deliver(r),
      // A failed call fails the sources that had frames in it (each graph rebuilds itself); the
      // pool starts a fresh pipeline for everyone.
      error: (e: unknown) => {
        const failed = [...this.inFlight];
        this.inFlight.clear();
        this.sub = this.input = null;
        const err = e instanceof Error ? e : new Error(String(e));
        for (const to of new Set(failed.flatMap((g) => g.entries.map((x) => x.to)))) to.error(err);
        if (!this.closed) this.build();
      },
    });
  }

  private submit(e: Entry): void {
    if (this.closed) return;
    const key = `${e.frame.modelWidth}x${e.frame.modelHeight}@${e.t}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { entries: [], timer: null }));
    g.entries.push(e);
    const now = performance.now();
    this.lastSeen.set(e.to, now);
    let active = 0;
    for (const t of this.lastSeen.values()) if (now - t < ACTIVE_MS) active++;
    const sources = new Set(g.entries.map((x) => x.to)).size;
    if (g.entries.length >= Math.max(1, this.o.batch) || sources >= active) this.run(key);
    else g.timer ??= setTimeout(() => this.run(key), this.o.maxWaitMs ?? 40);
  }

  private run(key: string): void {
    const g = this.groups.get(key);
    this.groups.delete(key);
    if (!g || !g.entries.length || !this.input) return;
    if (g.timer) clearTimeout(g.timer);
    const live = g.entries.filter((x) => !x.to.closed);
    if (!live.length) return;
    const group = Object.assign(live.map((x) => x.frame), { entries: live, t: live[0].t });
    this.calls++;
    this.frames += live.length;
    this.inFlight.add(group);
    this.input.next(group);
  }

  private deliver(r: InferredBatch<ModelFrame>): void {
    const group = r.frames as Group;
    this.inFlight.delete(group);
    const [, c, h, w] = r.output.dims;
    const plane = c * h * w;
    const data = r.output.data as Float32Array;
    group.entries.forEach((x, i) => {
      if (x.to.closed) return;
      // Decoded ab is only sliced downstream (a view is enough); raw logits go to the decoder's ONNX run (its own copy).
      const part = r.decoded ? data.subarray(i * plane, (i + 1) * plane) : data.slice(i * plane, (i + 1) * plane);
      x.to.next({ frames: [x.frame], output: new ort.Tensor('float32', part, [1, c, h, w]), decoded: r.decoded });
    });
  }

  private forget(to: Subscriber<InferredBatch<ModelFrame>>): void {
    this.lastSeen.delete(to);
    for (const g of this.groups.values()) g.entries = g.entries.filter((x) => x.to !== to);
  }
}
