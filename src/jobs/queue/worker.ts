// A queue worker: takes segment jobs (and join jobs) from Redis until it is stopped. One BullMQ
// Worker per queue on one Redis connection. Recovery is BullMQ's: a worker holds a lock on each job
// it runs and renews it; a job whose lock lapses (the worker was killed, or stopped past the lock)
// is "stalled" and handed to another worker. Segment results are committed create-if-absent and
// checksummed, so a worker that comes back late changes nothing.
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job as QueueJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Server } from 'node:http';
import { loadModel, type Device } from '../../model/load-model.js';
import type { LoadedModel } from '../../core/model-contract.js';
import { ChromaError, EXIT } from '../../core/errors.js';
import { JOIN_QUEUE, SEGMENT_QUEUE, cancelKey, connectQueue } from './connection.js';
import { colorizeQueuedSegment } from './segment.js';
import type { VideoPlan } from '../video-plan.js';
import { joinFilm } from './join.js';
import { createWorkerMetrics, serveMetrics, type WorkerMetrics } from './metrics.js';
import type { Store } from './store.js';
import type { JoinJobData, JoinResult, SegmentJobData, SegmentResult } from './types.js';

export const DEFAULT_LOCK_SECONDS = 30;
export const DEFAULT_STALL_SECONDS = 30;

export interface QueueWorkerOptions {
  /** redis://HOST:PORT */
  queue: string;
  store: Store;
  /** Segments colorized at once by this worker (default 1; each uses --threads cores). */
  concurrency?: number;
  device?: Device;
  threads?: number;
  /** How long a job's lock lasts without renewal (default 30 s; renewed every half of it). */
  lockSeconds?: number;
  /** How often this worker looks for stalled jobs of dead workers (default 30 s). */
  stallSeconds?: number;
  /** Exit (code 7) after Redis has been unreachable this long (default 60 s). */
  reconnectSeconds?: number;
  /** Serve /metrics on this port (0: a free one); none when absent. */
  metricsPort?: number;
  /** Address for /metrics (default 127.0.0.1). */
  metricsHost?: string;
  /** One line per event (segment done, join done, failure, connection lost). */
  log?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { event: 'worker'; worker: string; metricsPort: number | null }
  | { event: 'segment'; run: string; film: string; index: number; count: number; frames: number; seconds: number; colorSeconds: number; fps: number; duplicate: boolean; worker: string; stages: Record<string, number> }
  | { event: 'join'; run: string; film: string; frames: number; seconds: number; worker: string }
  | { event: 'failed'; run: string; film: string; index: number | null; message: string; final: boolean; worker: string }
  | { event: 'returned'; run: string; film: string; index: number; worker: string }
  | { event: 'notice'; message: string; worker: string };

/** The one line a worker writes to its log for an event. */
export function describeWorkerEvent(e: WorkerEvent): string {
  switch (e.event) {
    case 'worker': return `worker ${e.worker}: waiting for segments${e.metricsPort !== null ? `; metrics on port ${e.metricsPort}` : ''}`;
    case 'segment': return `segment ${e.run} ${e.film} ${e.index + 1}/${e.count}: ${e.frames} frames in ${e.seconds.toFixed(1)} s (${e.fps.toFixed(1)} fps; colour ${e.colorSeconds.toFixed(1)} s)${e.duplicate ? ' [already done by another worker: its result kept]' : ''} by ${e.worker}`;
    case 'join': return `join ${e.run} ${e.film}: ${e.frames} frames in ${e.seconds.toFixed(1)} s by ${e.worker}`;
    case 'failed': return `failed ${e.run} ${e.film}${e.index !== null ? ` segment ${e.index + 1}` : ' join'}: ${e.message}${e.final ? '' : ' (will retry)'}`;
    case 'returned': return `returned ${e.run} ${e.film} segment ${e.index + 1} to the queue`;
    case 'notice': return `worker ${e.worker}: ${e.message}`;
  }
}

/** Waits for `p` (ignoring its outcome), but at most `ms`. */
function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => {}, () => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

/** This worker lost a job's lock: the job belongs to another worker now, nothing to report for it. */
class LostLock extends Error {}

/** Errors that another attempt cannot fix: fail the run at once instead of wasting retries. */
function final(err: unknown): boolean {
  return err instanceof ChromaError && (err.kind === 'input' || err.kind === 'model' || err.kind === 'usage');
}

export class QueueWorker {
  readonly name = `${hostname()}/${process.pid}`;
  /** Resolves with the process's exit code once the worker has stopped. */
  readonly done: Promise<number>;
  private finish!: (code: number) => void;
  private readonly models = new Map<string, Promise<LoadedModel>>();
  /** Plans of films with hints (their tracking pass), kept between the film's segments. */
  private readonly plans = new Map<string, Promise<VideoPlan>>();
  private readonly metrics: WorkerMetrics;
  private segWorker!: Worker<SegmentJobData, SegmentResult>;
  private joinWorker!: Worker<JoinJobData, JoinResult>;
  private depthQueue!: Queue;
  private joinQueue!: Queue<JoinJobData, JoinResult>;
  private server: Server | null = null;
  private stopping = false;
  private lockMs = DEFAULT_LOCK_SECONDS * 1000;
  private returning = false;
  /** Segment and join jobs this worker's code is running now. */
  private running = 0;

  private constructor(private readonly o: QueueWorkerOptions, private readonly redis: Redis) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.metrics = createWorkerMetrics(() => this.depthQueue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'));
  }

  static async start(o: QueueWorkerOptions): Promise<QueueWorker> {
    let self: QueueWorker | null = null;
    const redis = await connectQueue(o.queue, {
      reconnectSeconds: o.reconnectSeconds,
      onLost: (why) => void self?.lost(why),
    });
    self = new QueueWorker(o, redis);
    await self.run();
    return self;
  }

  private log(e: WorkerEvent): void {
    this.o.log?.(e);
  }

  private async run(): Promise<void> {
    const lockDuration = (this.lockMs = (this.o.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000);
    const common = {
      connection: this.redis, lockDuration, stalledInterval: (this.o.stallSeconds ?? DEFAULT_STALL_SECONDS) * 1000,
      // A job may stall twice (two dead workers) before it counts as failed.
      maxStalledCount: 2,
    };
    this.depthQueue = new Queue(SEGMENT_QUEUE, { connection: this.redis });
    this.joinQueue = new Queue(JOIN_QUEUE, { connection: this.redis });
    // Their connection's errors are the workers' too, and said once there (below).
    for (const q of [this.depthQueue, this.joinQueue] as Queue[]) q.on('error', () => {});
    this.segWorker = new Worker<SegmentJobData, SegmentResult>(SEGMENT_QUEUE, (job, token, signal) => this.segment(job, token, signal), { ...common, concurrency: this.o.concurrency ?? 1 });
    this.joinWorker = new Worker<JoinJobData, JoinResult>(JOIN_QUEUE, (job, _token, signal) => this.join(job, signal), { ...common, concurrency: 1 });
    let lastError = '';
    for (const w of [this.segWorker, this.joinWorker] as Worker[]) {
      w.on('error', (err: Error) => {
        // Reconnecting to Redis repeats the same error many times a second: say each once.
        if (err.message !== lastError) this.log({ event: 'notice', message: `queue: ${err.message}`, worker: this.name });
        lastError = err.message;
      });
      w.on('lockRenewalFailed', (ids: string[]) => this.log({ event: 'notice', message: `lost the lock of ${ids.join(', ')} (another worker may take it over)`, worker: this.name }));
    }
    if (this.o.metricsPort !== undefined) {
      const { server, port } = await serveMetrics(this.metrics.registry, this.o.metricsHost ?? '127.0.0.1', this.o.metricsPort);
      this.server = server;
      this.log({ event: 'worker', worker: this.name, metricsPort: port });
    } else {
      this.log({ event: 'worker', worker: this.name, metricsPort: null });
    }
  }

  private model(spec: string): Promise<LoadedModel> {
    let m = this.models.get(spec);
    if (!m) {
      m = loadModel(spec, { device: this.o.device ?? 'auto', ...(this.o.threads ? { threads: this.o.threads } : {}), log: (message) => this.log({ event: 'notice', message, worker: this.name }) });
      m.catch(() => this.models.delete(spec));
      this.models.set(spec, m);
    }
    return m;
  }

  private async cancelled(run: string): Promise<boolean> {
    return (await this.redis.exists(cancelKey(run))) === 1;
  }

  private async segment(job: QueueJob<SegmentJobData, SegmentResult>, token: string | undefined, signal?: AbortSignal): Promise<SegmentResult> {
    const d = job.data;
    if (await this.cancelled(d.run)) throw new UnrecoverableError(`run ${d.run} was cancelled`);
    if (job.parent) {
      // A film that has failed for good (another segment was damaged) needs no more work.
      const parent = await this.joinQueue.getJob(job.parent.id ?? '');
      if (parent?.finishedOn && parent.failedReason) throw new UnrecoverableError(`${d.label}: the film has already failed`);
    }
    const local = new AbortController();
    const both = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
    // A cancel of the run stops a segment that is already running, within a second.
    const poll = setInterval(() => {
      void this.cancelled(d.run).then((c) => c && local.abort(new UnrecoverableError(`run ${d.run} was cancelled`)), () => {});
    }, 1000);
    let reported = 0;
    this.running++;
    this.metrics.active.inc();
    try {
      const result = await colorizeQueuedSegment(d, {
        store: this.o.store, model: await this.model(d.settings.model), worker: this.name, signal: both, plans: this.plans,
        onFrames: (n) => {
          const now = Date.now();
          if (now - reported < 500) return;
          reported = now;
          void job.updateProgress({ frames: n, worker: this.name }).catch(() => {});
        },
        beforeCommit: async () => {
          // Stopped past the lock (SIGSTOP, a long GC, a frozen VM): the job is someone else's now.
          if (token && (await job.extendLock(token, this.lockMs)) !== 1) throw new LostLock(`${d.label}: segment ${d.index + 1} was handed to another worker while this one was stalled; result dropped`);
        },
      });
      const duplicate = result.duplicate;
      this.metrics.segments.inc({ outcome: 'done' });
      this.metrics.frames.inc(result.frames);
      this.metrics.fps.set(result.frames / Math.max(result.colorSeconds, 1e-6));
      this.log({
        event: 'segment', run: d.run, film: d.label, index: d.index, count: d.count, frames: result.frames, seconds: result.seconds,
        colorSeconds: result.colorSeconds, fps: result.frames / Math.max(result.colorSeconds, 1e-6), duplicate, worker: this.name,
        stages: result.stages ?? {},
      });
      return result;
    } catch (err) {
      if (this.returning && !local.signal.aborted) {
        // Stopped by a second SIGTERM: give the segment back rather than let its lock run out.
        this.metrics.segments.inc({ outcome: 'returned' });
        await job.moveToWait(token);
        this.log({ event: 'returned', run: d.run, film: d.label, index: d.index, worker: this.name });
        throw new WaitingError();
      }
      if (!(err instanceof LostLock) && token && !this.returning && (await job.extendLock(token, this.lockMs).catch(() => 0)) !== 1) {
        // Failed after the job was handed to another worker: that worker's outcome is the one that counts.
        err = new LostLock(`${d.label}: segment ${d.index + 1} was handed to another worker while this one was stalled; its failure here is ignored (${(err as Error).message})`);
      }
      if (err instanceof LostLock) {
        this.metrics.segments.inc({ outcome: 'duplicate' });
        this.log({ event: 'notice', message: err.message, worker: this.name });
        throw err; // BullMQ refuses the late move of a job whose lock is gone: nothing changes
      }
      const reason = local.signal.aborted ? local.signal.reason : err;
      const isFinal = reason instanceof UnrecoverableError || final(reason) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.metrics.failures.inc({ kind: reason instanceof ChromaError ? reason.kind : 'internal' });
      const message = (reason as Error).message;
      this.log({ event: 'failed', run: d.run, film: d.label, index: d.index, message, final: isFinal, worker: this.name });
      if (isFinal) {
        // The kind (input, model, ...) tells the follower its exit code; BullMQ keeps only the message.
        const kind = reason instanceof ChromaError ? reason.kind : local.signal.aborted ? 'queue' : 'internal';
        await job.updateProgress({ error: { kind, message } }).catch(() => {});
      }
      if (reason instanceof UnrecoverableError) throw reason;
      throw final(reason) ? new UnrecoverableError(message) : reason;
    } finally {
      clearInterval(poll);
      this.running--;
      this.metrics.active.dec();
    }
  }

  private async join(job: QueueJob<JoinJobData, JoinResult>, signal?: AbortSignal): Promise<JoinResult> {
    const d = job.data;
    const label = d.input.split('/').pop() ?? d.input;
    this.running++;
    this.metrics.active.inc();
    try {
      const values = await job.getChildrenValues<SegmentResult>();
      const r = await joinFilm(d, Object.values(values), { store: this.o.store, worker: this.name, ...(signal ? { signal } : {}) });
      this.log({ event: 'join', run: d.run, film: label, frames: r.frames, seconds: r.seconds, worker: this.name });
      return r;
    } catch (err) {
      this.metrics.failures.inc({ kind: err instanceof ChromaError ? err.kind : 'internal' });
      this.log({ event: 'failed', run: d.run, film: label, index: null, message: (err as Error).message, final: job.attemptsMade + 1 >= (job.opts.attempts ?? 1), worker: this.name });
      throw err;
    } finally {
      this.running--;
      this.metrics.active.dec();
    }
  }

  /**
   * Stop taking jobs. Graceful: the running segments are finished first. Otherwise they are
   * stopped and given back to the queue at once (another worker starts them from their beginning).
   */
  async stop(graceful: boolean): Promise<void> {
    if (!graceful) {
      this.returning = true;
      this.segWorker.cancelAllJobs('returned to the queue');
      this.joinWorker.cancelAllJobs('returned to the queue');
    }
    if (this.stopping) return;
    this.stopping = true;
    const closed = Promise.all([this.segWorker.close(), this.joinWorker.close()]);
    // BullMQ's close waits for its own view of the running jobs, which a job whose lock was lost
    // during a Redis outage can leave hanging: once this worker's own jobs are over, it gets a
    // few more seconds, then the close is forced (anything BullMQ still counts is recovered as
    // stalled by the other workers).
    const forced = await Promise.race([closed.then(() => false), this.idle().then(() => settleWithin(closed, 5000)).then(() => true)]).catch(() => true);
    if (forced) this.log({ event: 'notice', message: 'the queue client did not close within 5 s of the last job; closing it by force', worker: this.name });
    await settleWithin(Promise.all([this.segWorker.close(true), this.joinWorker.close(true)]), 2000);
    await this.shutdown();
    this.finish(EXIT.ok);
  }

  private async idle(): Promise<void> {
    while (this.running > 0) await new Promise((r) => setTimeout(r, 200));
  }

  /** Redis stayed away past --reconnect-seconds: exit non-zero so a supervisor restarts this worker. */
  private async lost(why: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log({ event: 'notice', message: why, worker: this.name });
    this.segWorker.cancelAllJobs('the queue is gone');
    this.joinWorker.cancelAllJobs('the queue is gone');
    // Closing talks to Redis, which is gone: do not wait for it long.
    await settleWithin(Promise.all([this.segWorker.close(true), this.joinWorker.close(true)]), 2000);
    await this.shutdown();
    this.finish(EXIT.queue);
  }

  private async shutdown(): Promise<void> {
    await settleWithin(Promise.all([this.depthQueue.close(), this.joinQueue.close()]), 2000);
    this.server?.close();
    this.redis.disconnect();
    for (const m of this.models.values()) await m.then((x) => x.release(), () => {});
    this.o.store.close();
  }
}
