// Stage: one ONNX Runtime call per batch. The frames' normalised L planes are packed into one
// N x 1 x H x W tensor (and, for a model with a hints input, their hint planes into N x 3 x H x W
// right after it in the same buffer); the raw output (logits or ab) travels on with the batch.
//
// onnxruntime-node runs a session synchronously on the calling thread, so a run on the main thread
// stalls everything else for the whole batch: ffmpeg's pipes, L extraction, composition. Inference
// therefore goes to a worker thread with its own session (src/onnx/infer-client.ts; one per
// loaded model, started on the first batch and kept until model.release()), two batches in flight
// so the worker never waits for the main thread; results come back in order. When a temperature is given, logits models are decoded to
// ab in the worker too (the temperature is read when the batch is sent), so the 313-channel logits
// never cross threads. Without a worker (disabled, failed or still starting) the batch runs here.
import { Observable, type OperatorFunction } from 'rxjs';
import * as ort from 'onnxruntime-node';
import { noHintPlanes, type LoadedModel } from '../core/model-contract.js';
import type { ModelFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';
import { InferWorker, WorkerGoneError } from '../onnx/infer-client.js';
import { NULL_MODEL, nullModelAb } from '../onnx/null-model.js';

export interface InferredBatch<T extends ModelFrame = ModelFrame> {
  frames: T[];
  output: ort.Tensor;
  /** True when `output` is already ab (decoded in the worker); annealedMeanAb passes it on. */
  decoded?: boolean;
}

export interface InferBatchOptions<T extends ModelFrame = ModelFrame> {
  /** Decode logits to ab with the inference (worker only), at this temperature. Default: not decoded there (annealedMeanAb does it). */
  temperature?: () => number;
  /** Like `temperature`, but per batch (batches that gather frames from several live sources); wins over it. Default: none. */
  temperatureOf?: (frames: T[]) => number;
  /** Use the inference worker: 'auto' (default; CHROMA_INFER_WORKER=0 turns it off) or never (false). */
  worker?: 'auto' | false;
  /** Batches sent to the worker ahead of the one running (default 1). */
  prefetch?: number;
}

export function inferBatch<T extends ModelFrame>(
  model: LoadedModel, timer?: StageTimer, opts: InferBatchOptions<T> = {},
): OperatorFunction<T[], InferredBatch<T>> {
  const useWorker = opts.worker ?? (process.env.CHROMA_INFER_WORKER === '0' ? false : 'auto');
  return (source) => {
    let packed: Float32Array | null = null;
    let packedBusy = false;
    const spare: Float32Array[] = [];
    const hinted = model.hintsName !== null;
    // Floats per frame in the packed buffer: the L plane, plus three hint planes.
    const perFrame = (w: number, h: number) => w * h * (hinted ? 4 : 1);
    let empty: Float32Array | null = null;

    const pack = (frames: T[], into: Float32Array) => {
      const { modelWidth: w, modelHeight: h } = frames[0];
      const plane = w * h;
      for (let i = 0; i < frames.length; i++) into.set(frames[i].modelInput, i * plane);
      if (!hinted) return;
      if (!empty || empty.length !== 3 * plane) empty = noHintPlanes(w, h);
      const base = frames.length * plane;
      for (let i = 0; i < frames.length; i++) into.set(frames[i].modelHints ?? empty, base + i * 3 * plane);
    };

    /** The feeds of one run: views into the packed buffer. */
    const feeds = (buf: Float32Array, n: number, w: number, h: number): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = { [model.inputName]: new ort.Tensor('float32', buf.subarray(0, n * w * h), [n, 1, h, w]) };
      if (hinted) f[model.hintsName!] = new ort.Tensor('float32', buf.subarray(n * w * h, n * w * h * 4), [n, 3, h, w]);
      return f;
    };

    const runHere = async (frames: T[]): Promise<InferredBatch<T>> => {
      const t0 = performance.now();
      const { modelWidth: w, modelHeight: h } = frames[0];
      const n = perFrame(w, h) * frames.length;
      // The input buffer is reused while the size holds (ONNX Runtime copies it in on run()), unless
      // another batch's run here is still pending on it.
      const own = packedBusy;
      let buf: Float32Array;
      if (own) buf = new Float32Array(n);
      else {
        if (!packed || packed.length !== n) packed = new Float32Array(n);
        buf = packed;
        packedBusy = true;
      }
      pack(frames, buf);
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await model.session.run(feeds(buf, frames.length, w, h));
      } finally {
        if (!own) packedBusy = false;
      }
      timer?.add('infer', performance.now() - t0, frames.length);
      return { frames, output: out[model.outputName] };
    };

    const runThere = async (worker: InferWorker, frames: T[]): Promise<InferredBatch<T>> => {
      const { modelWidth: w, modelHeight: h } = frames[0];
      const n = perFrame(w, h) * frames.length;
      let buf = spare.pop();
      if (!buf || buf.length !== n) buf = new Float32Array(n);
      pack(frames, buf);
      const t = opts.temperatureOf?.(frames) ?? opts.temperature?.();
      const invT = t !== undefined && model.annealer ? 1 / t : null;
      const r = await worker.run(buf, [frames.length, 1, h, w], invT);
      if (spare.length < 4) spare.push(r.input);
      // A fused run (network + annealed mean in one ORT call) is all charged to 'infer'.
      timer?.add('infer', r.netMs, frames.length);
      if (r.decoded && !r.fused) timer?.add('distribution', r.decodeMs, frames.length);
      return { frames, output: new ort.Tensor('float32', r.data, r.dims), decoded: r.decoded };
    };

    // The null model's answer costs less than a message to the worker: computed here, same bytes.
    const runNull = (frames: T[]): InferredBatch<T> => {
      const t0 = performance.now();
      const r = nullModelAb(frames.map((f) => f.modelInput), frames[0].modelHeight, frames[0].modelWidth);
      timer?.add('infer', performance.now() - t0, frames.length);
      return { frames, output: new ort.Tensor('float32', r.data, r.dims) };
    };

    const project = async (frames: T[]): Promise<InferredBatch<T>> => {
      if (model.path === NULL_MODEL) return runNull(frames);
      if (useWorker === false) return runHere(frames);
      // Every batch goes to the worker (started on the first one, kept with the model): running
      // some here too would grow a second ORT memory arena for nothing.
      const worker = InferWorker.for(model);
      if (worker.state === 'starting') await worker.ready;
      if (worker.state !== 'ready') return runHere(frames);
      try {
        return await runThere(worker, frames);
      } catch (err) {
        if (err instanceof WorkerGoneError) return runHere(frames);
        throw err;
      }
    };
    return source.pipe(orderedMap(project, 1 + Math.max(0, opts.prefetch ?? 1)));
  };
}

/**
 * Like concatMap over promises, but with up to `limit` projections running at once; results are
 * emitted in input order. A slot is held until its result is emitted.
 */
export function orderedMap<T, R>(project: (v: T) => Promise<R>, limit: number): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      interface Slot { settled: boolean; ok: boolean; value?: R; error?: unknown }
      const waiting: T[] = [];
      const running: Slot[] = [];
      let sourceDone = false;
      let closed = false;
      const start = () => {
        while (!closed && running.length < limit && waiting.length) {
          const v = waiting.shift()!;
          const slot: Slot = { settled: false, ok: false };
          running.push(slot);
          let p: Promise<R>;
          try {
            p = project(v);
          } catch (err) {
            p = Promise.reject(err);
          }
          p.then(
            (value) => Object.assign(slot, { settled: true, ok: true, value }),
            (error: unknown) => Object.assign(slot, { settled: true, ok: false, error }),
          ).then(drain);
        }
      };
      const drain = () => {
        while (!closed && running.length && running[0].settled) {
          const s = running.shift()!;
          if (!s.ok) {
            closed = true;
            subscriber.error(s.error);
            return;
          }
          subscriber.next(s.value!);
        }
        start();
        if (!closed && sourceDone && running.length === 0 && waiting.length === 0) {
          closed = true;
          subscriber.complete();
        }
      };
      const sub = source.subscribe({
        next(v) {
          waiting.push(v);
          start();
        },
        error(e) {
          closed = true;
          subscriber.error(e);
        },
        complete() {
          sourceDone = true;
          drain();
        },
      });
      return () => {
        closed = true;
        sub.unsubscribe();
      };
    });
}
