// The pixel pool: worker threads that run the per-pixel stages (extract L, resize for the model,
// compose) on horizontal bands of a frame, all planes in shared memory.
//
// Why bands of one frame rather than whole frames per thread: the stages stay in frame order with
// no reordering buffer, a frame's latency shrinks instead of growing (live sources), the bytes are
// those of the single-thread path (each output row depends only on its own input rows), and the
// same split serves stages that carry state from frame to frame (smoothing) without handing that
// state between threads. Frames still overlap: while one frame's bands are being composed the
// next frame's bands are being resized, each stage awaiting its own tasks.
//
// Threads are unref'd while idle, so a pool never keeps a process alive; close() ends them.
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { startModuleWorker } from '../core/worker-boot.js';
import type { PixelTask } from './pixel-tasks.js';
import type { TaskReply, TaskRequest } from './pixel-worker.js';

/** Most threads the pool starts: past this, at 1080p, the per-band messages cost more than the bands save. */
export const MAX_PIXEL_WORKERS = 16;

/**
 * The default thread count: the cores, less one for the main thread, less what the inference
 * takes (its CPU threads, when it runs on the CPU: half the cores, as the two alternate per
 * batch), at least 1 and at most 8.
 */
export function defaultPixelWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(8, cores - 1 - Math.floor(cores / 4)));
}

interface Pending { resolve: (v: boolean | null) => void; reject: (e: Error) => void; charge: (ms: number) => void }

export class PixelPool {
  private readonly threads: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;
  /** Has run a task: its threads are up and warm (worth keeping for the next graph). */
  private used = false;

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_PIXEL_WORKERS)) throw new RangeError(`pixel pool size must be 1..${MAX_PIXEL_WORKERS}`);
    for (let i = 0; i < size; i++) {
      const w = startModuleWorker(import.meta.url, 'pixel-worker');
      w.unref();
      w.on('message', (m: TaskReply) => this.reply(m));
      w.on('error', (err) => this.fail(new Error(`a pixel worker failed: ${err.message}`)));
      w.on('exit', () => this.fail(new Error('a pixel worker exited')));
      this.threads.push(w);
    }
  }

  /**
   * Rows [0, rows) split into at most `size` bands of whole rows, as even as they come; with
   * `align`, every band but the last starts and ends on a multiple of it (4:2:0 chroma rows pair up).
   */
  bands(rows: number, align = 1): Array<[number, number]> {
    const units = Math.ceil(rows / align);
    const n = Math.max(1, Math.min(this.size, units));
    const out: Array<[number, number]> = [];
    const at = (i: number) => Math.min(rows, Math.floor((units * i) / n) * align);
    for (let i = 0; i < n; i++) out.push([at(i), at(i + 1)]);
    return out;
  }

  /**
   * Run the tasks, task i on thread i (mod size); resolves with their results in order and the
   * CPU milliseconds the threads spent on them.
   */
  async run(tasks: PixelTask[]): Promise<{ values: Array<boolean | null>; ms: number }> {
    if (this.failure) throw this.failure;
    let ms = 0;
    const values = await Promise.all(tasks.map((task, i) => new Promise<boolean | null>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject, charge: (t) => (ms += t) });
      if (this.pending.size === 1) for (const w of this.threads) w.ref();
      const req: TaskRequest = { id, task };
      this.threads[i % this.size].postMessage(req);
    })));
    this.used = true;
    return { values, ms };
  }

  private reply(m: TaskReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) for (const w of this.threads) w.unref();
    if (m.ok) {
      p.charge(m.ms);
      p.resolve(m.value);
    } else {
      p.reject(new Error(`pixel worker: ${m.message}`));
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = this.closed ? new Error('the pixel pool is closed') : err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    for (const w of this.threads) w.unref();
  }

  /** True while the pool can take tasks and has none in flight (a pool a finished graph may hand on). */
  get idle(): boolean {
    return !this.failure && !this.closed && this.pending.size === 0;
  }

  /** Idle, and its threads have run a task: up and warm, so worth handing to the next graph. */
  get warm(): boolean {
    return this.idle && this.used;
  }

  /** End the threads (tasks still queued are rejected); safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the pixel pool is closed'));
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}

// Pools that finished graphs handed back, one per size, for the next graph to borrow: a thread's
// start (and, under tsx, its compile) and its kernels' warm-up cost about half a CPU second each,
// once per process instead of once per job (a folder of videos, a queue worker, the bench).
// Idle threads are unref'd, so a kept pool never keeps a process alive.
const kept = new Map<number, PixelPool>();

/** A pool of `size` threads: the one a finished graph handed back, else a new one. */
export function borrowPixelPool(size: number): PixelPool {
  const p = kept.get(size);
  kept.delete(size);
  return p?.idle ? p : new PixelPool(size);
}

/**
 * Hand a borrowed pool back: kept for the next graph when it is warm and none of its size is, else
 * closed. (A pool whose graph failed before its first task is closed: its threads may still be
 * starting, and a starting thread keeps the process alive even unref'd.)
 */
export function returnPixelPool(pool: PixelPool): void {
  if (pool.warm && !kept.has(pool.size)) kept.set(pool.size, pool);
  else void pool.close();
}
