// The main-thread side of the inference worker (infer-worker.ts): one worker per loaded model,
// started on demand, requests answered in order. The worker is unref'd while idle so it never
// keeps a process alive, and it is closed with the model (LoadedModel.release).
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../core/worker-boot.js';
import { availableParallelism } from 'node:os';
import type { LoadedModel } from '../core/model-contract.js';
import type { InferWorkerConfig, RunRequest, WorkerReply } from './infer-worker.js';

export interface WorkerResult {
  data: Float32Array;
  dims: number[];
  /** True when the worker already turned logits into ab. */
  decoded: boolean;
  /** Decoded inside the same ORT call as the network (its time is in netMs, decodeMs is 0). */
  fused: boolean;
  netMs: number;
  decodeMs: number;
  /** The request's input buffer, handed back for reuse. */
  input: Float32Array;
}

/** The worker went away (crashed or closed): the caller may run the batch elsewhere. */
export class WorkerGoneError extends Error {
  override name = 'WorkerGoneError';
}

export interface InferWorkerOptions {
  /**
   * Intra-op threads. Default: the model's own setting when known (LoadedModel.threads), else
   * CHROMA_INFER_THREADS, else for the CPU provider all cores but one: the main thread's stages and
   * the ffmpeg children need the last core, and one thread fewer also spares ORT the cost of
   * synchronising a thread that keeps being preempted.
   */
  threads?: number;
  /** Spin idle intra-op threads (default false). */
  spinning?: boolean;
}

const workers = new WeakMap<LoadedModel, InferWorker>();

function startWorker(workerData: InferWorkerConfig): Worker {
  return startModuleWorker(import.meta.url, 'infer-worker', { workerData });
}

export class InferWorker {
  /** 'starting' until the session is built; 'ready'; or 'gone' (failed, crashed or closed). */
  state: 'starting' | 'ready' | 'gone' = 'starting';
  readonly ready: Promise<boolean>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure = '';

  /** The model's worker, started on first call. */
  static for(model: LoadedModel, opts: InferWorkerOptions = {}): InferWorker {
    let w = workers.get(model);
    if (!w) {
      w = new InferWorker(model, opts);
      workers.set(model, w);
      const release = model.release.bind(model);
      model.release = async () => {
        workers.delete(model);
        await w!.close();
        await release();
      };
    }
    return w;
  }

  /** The model's worker if one was started and is not gone. */
  static existing(model: LoadedModel): InferWorker | null {
    const w = workers.get(model);
    return w && w.state !== 'gone' ? w : null;
  }

  private constructor(model: LoadedModel, opts: InferWorkerOptions) {
    const cfg: InferWorkerConfig = {
      path: model.path,
      provider: model.provider,
      threads: opts.threads ?? model.threads ?? (Number(process.env.CHROMA_INFER_THREADS) || undefined)
        ?? (model.provider === 'cpu' ? Math.max(1, availableParallelism() - 1) : undefined),
      spinning: opts.spinning ?? false,
      inputName: model.inputName,
      hintsName: model.hintsName,
      outputName: model.outputName,
      annealedMean: model.annealer !== null,
    };
    this.worker = startWorker(cfg);
    this.worker.unref();
    let settle: (ok: boolean) => void = () => {};
    this.ready = new Promise<boolean>((resolve) => (settle = resolve));
    this.worker.on('message', (m: WorkerReply) => {
      if (m.type === 'ready') {
        this.state = 'ready';
        settle(true);
      } else if (m.type === 'failed') {
        this.gone(`the inference worker could not load the model: ${m.message}`);
        settle(false);
      } else {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) this.worker.unref();
        if (m.type === 'result') p.resolve(m);
        else p.reject(new Error(m.message));
      }
    });
    this.worker.on('error', (err) => {
      this.gone(`the inference worker failed: ${err.message}`);
      settle(false);
    });
    this.worker.on('exit', () => {
      this.gone(this.failure || 'the inference worker exited');
      settle(false);
    });
  }

  /** Why the worker is gone ('' while it is not). */
  get reason(): string {
    return this.state === 'gone' ? this.failure : '';
  }

  private gone(why: string): void {
    if (this.state === 'gone') return;
    this.state = 'gone';
    this.failure = why;
    for (const p of this.pending.values()) p.reject(new WorkerGoneError(why));
    this.pending.clear();
    this.worker.unref();
  }

  /** Run one batch. `input` is transferred (unusable here until handed back in the result). */
  run(input: Float32Array, dims: number[], invT: number | null): Promise<WorkerResult> {
    if (this.state === 'gone') return Promise.reject(new WorkerGoneError(this.failure));
    const id = this.nextId++;
    return new Promise<WorkerResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      const req: RunRequest = { type: 'run', id, input, dims, invT };
      this.worker.postMessage(req, [input.buffer as ArrayBuffer]);
    });
  }

  /**
   * Resolves once no run is pending: a job that was stopped leaves its last batches running here,
   * and the model must not be released under them.
   */
  async drained(): Promise<void> {
    while (this.pending.size > 0 && this.state !== 'gone') await new Promise((r) => setTimeout(r, 20));
  }

  async close(): Promise<void> {
    if (this.state === 'gone') return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' });
    this.worker.ref();
    // A worker stuck in a long run is not waited for beyond a few seconds.
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
    this.failure = 'closed';
    this.state = 'gone';
  }
}
