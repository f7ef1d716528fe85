// Watching runs: a snapshot of a run from its jobs in Redis (nothing else is kept there), following
// a run to its end while copying each joined film to its output, listing runs, and cancelling one.
// Any number of followers may attach to a run, and one can come and go: the run lives in Redis.
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Queue, type Job as QueueJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { ChromaError, EXIT, outputError, type ErrorKind } from '../../core/errors.js';
import { fsyncPath } from '../../core/output-file.js';
import { JOIN_QUEUE, SEGMENT_QUEUE, cancelKey, joinJobId, runPrefix, segmentJobId } from './connection.js';
import type { Store } from './store.js';
import type { JoinJobData, JoinResult, SegmentJobData, SegmentResult } from './types.js';

export type SegmentState = 'waiting' | 'running' | 'done' | 'failed';

/** What a worker records in a job's progress: frames so far, who, and a final error's kind. */
export interface JobProgressData {
  frames?: number;
  worker?: string;
  error?: { kind: ErrorKind; message: string };
}

export interface FilmSnapshot {
  film: number;
  input: string;
  output: string;
  /** joined: in the store, waiting to be copied out; failed: for good (see error). */
  state: 'colorizing' | 'joining' | 'joined' | 'failed';
  frames: number;
  framesDone: number;
  segments: Record<SegmentState, number>;
  /** The first final failure: one line naming the film and, for a damaged input, the frame. */
  error?: { kind: ErrorKind; message: string };
  /** Segments newly done since the previous snapshot of the same watcher. */
  finished: { index: number; frames: number; worker: string; seconds: number }[];
  join?: JoinJobData;
}

export interface RunSnapshot {
  run: string;
  submittedAt: number;
  cancelled: boolean;
  films: FilmSnapshot[];
  frames: number;
  framesDone: number;
  segments: Record<SegmentState, number>;
  /** Per worker: segments done and running. */
  workers: Record<string, { done: number; running: number }>;
}

const zero = (): Record<SegmentState, number> => ({ waiting: 0, running: 0, done: 0, failed: 0 });

/** Reads runs' jobs; one per process that watches or lists. */
export class RunWatcher {
  private readonly segments: Queue<SegmentJobData, SegmentResult>;
  private readonly joins: Queue<JoinJobData, JoinResult>;
  private readonly seen = new Set<string>();

  constructor(private readonly redis: Redis) {
    this.segments = new Queue(SEGMENT_QUEUE, { connection: redis });
    this.joins = new Queue(JOIN_QUEUE, { connection: redis });
    // A lost connection is reported once, by connectQueue's onLost; BullMQ would print each retry.
    for (const q of [this.segments, this.joins] as Queue[]) q.on('error', () => {});
  }

  async close(): Promise<void> {
    await Promise.all([this.segments.close(), this.joins.close()]).catch(() => {});
  }

  private segmentState(job: QueueJob | undefined): SegmentState {
    if (!job) return 'waiting';
    if (job.finishedOn && job.returnvalue) return 'done';
    if (job.finishedOn && job.failedReason) return 'failed';
    return job.processedOn && !job.failedReason ? 'running' : 'waiting';
  }

  /** The run as its jobs say it is now; null when Redis knows no such run. */
  async snapshot(run: string): Promise<RunSnapshot | null> {
    const first = await this.joins.getJob(joinJobId(run, 0));
    if (!first) return null;
    const snap: RunSnapshot = {
      run, submittedAt: first.data.submittedAt, cancelled: (await this.redis.exists(cancelKey(run))) === 1,
      films: [], frames: 0, framesDone: 0, segments: zero(), workers: {},
    };
    const worker = (name: string) => (snap.workers[name] ??= { done: 0, running: 0 });
    for (let f = 0; f < first.data.films; f++) {
      const join = f === 0 ? first : await this.joins.getJob(joinJobId(run, f));
      if (!join) continue;
      const d = join.data;
      const film: FilmSnapshot = { film: f, input: d.input, output: d.output, state: 'colorizing', frames: d.frames, framesDone: 0, segments: zero(), finished: [], join: d };
      const jobs = await Promise.all(Array.from({ length: d.segments }, (_, i) => this.segments.getJob(segmentJobId(run, f, i))));
      for (const [i, job] of jobs.entries()) {
        const state = this.segmentState(job);
        film.segments[state]++;
        const p = (job?.progress ?? {}) as JobProgressData;
        if (state === 'done') {
          const r = job!.returnvalue;
          film.framesDone += r.frames;
          worker(r.worker).done++;
          const id = `${run}/${f}/${i}`;
          if (!this.seen.has(id)) {
            this.seen.add(id);
            film.finished.push({ index: i, frames: r.frames, worker: r.worker, seconds: r.seconds });
          }
        } else if (state === 'running') {
          film.framesDone += p.frames ?? 0;
          if (p.worker) worker(p.worker).running++;
        } else if (state === 'failed') {
          film.error ??= p.error ?? { kind: 'queue', message: job!.failedReason };
        }
      }
      if (join.finishedOn && join.returnvalue) film.state = 'joined';
      else if (join.finishedOn && join.failedReason) {
        film.state = 'failed';
        film.error ??= { kind: 'queue', message: `${d.input}: ${join.failedReason}` };
      } else if (film.error) film.state = 'failed';
      else if (film.segments.done === d.segments) film.state = 'joining';
      for (const k of Object.keys(zero()) as SegmentState[]) snap.segments[k] += film.segments[k];
      snap.frames += film.frames;
      snap.framesDone += film.state === 'joined' || film.state === 'joining' ? film.frames : film.framesDone;
      snap.films.push(film);
    }
    return snap;
  }

  /** Ids of the runs Redis still holds, newest first. */
  async runs(): Promise<string[]> {
    const jobs = await this.joins.getJobs(['waiting-children', 'waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'], 0, 9999);
    const byRun = new Map<string, number>();
    for (const j of jobs) if (j?.data?.run) byRun.set(j.data.run, j.data.submittedAt);
    return [...byRun.entries()].sort((a, b) => b[1] - a[1]).map(([r]) => r);
  }

  /** Give up a run: no new segment starts, running ones stop within a second, its files go. */
  async cancel(run: string, store: Store): Promise<boolean> {
    const snap = await this.snapshot(run);
    if (!snap) return false;
    await this.redis.set(cancelKey(run), '1', 'EX', 7 * 24 * 3600);
    for (const film of snap.films) {
      for (let i = 0; i < (film.join?.segments ?? 0); i++) await this.segments.remove(segmentJobId(run, film.film, i)).catch(() => 0);
    }
    await store.removeAll(runPrefix(run));
    return true;
  }
}

/** Copy a joined film from the store to its output: temporary name in the output's folder, then rename. */
export async function fetchOutput(store: Store, d: JoinJobData): Promise<void> {
  if (!d.overwrite && (await stat(d.output).then(() => true, () => false))) {
    throw outputError(`${d.output}: exists (it appeared while the run was going; pass -y/--overwrite to replace it)`);
  }
  const temp = join(dirname(d.output), `.${basename(d.output)}.partial-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await store.get(d.outputKey, temp);
    await fsyncPath(temp);
    await rename(temp, d.output);
  } catch (err) {
    await rm(temp, { force: true });
    if (err instanceof ChromaError) throw err;
    throw outputError(`${d.output}: cannot write the colorized film (${(err as Error).message})`);
  }
}

export interface FollowEvents {
  onSnapshot?: (s: RunSnapshot) => void;
  onFilm?: (f: FilmSnapshot, ok: boolean) => void;
}

export interface FollowResult {
  run: string;
  films: { input: string; output: string; ok: boolean; frames: number; error?: { kind: ErrorKind; message: string } }[];
  exitCode: number;
}

/**
 * Follow a run until every film is in place or has failed, copying each joined film to its output
 * as soon as it is ready. When every film has been dealt with, the run's files leave the store.
 */
export async function followRun(
  watcher: RunWatcher, store: Store, run: string, ev: FollowEvents = {}, opts: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<FollowResult> {
  const done = new Map<number, FollowResult['films'][number]>();
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const snap = await watcher.snapshot(run);
    if (!snap) throw new ChromaError('queue', `run ${run}: unknown to this queue (finished runs are kept for 7 days)`);
    ev.onSnapshot?.(snap);
    for (const film of snap.films) {
      if (done.has(film.film)) continue;
      if (snap.cancelled) {
        done.set(film.film, { input: film.input, output: film.output, ok: false, frames: 0, error: { kind: 'queue', message: `run ${run} was cancelled` } });
      } else if (film.state === 'joined') {
        let error: FollowResult['films'][number]['error'];
        try {
          if (film.join) await fetchOutput(store, film.join);
        } catch (err) {
          // Already fetched by another follower (status and the submitter both attached): fine.
          const there = film.join && (await stat(film.join.output).then((s) => s.isFile(), () => false));
          if (!there || !(err instanceof ChromaError && err.kind === 'output' && /exists/.test(err.message))) {
            error = { kind: err instanceof ChromaError ? err.kind : 'internal', message: (err as Error).message };
          }
        }
        done.set(film.film, { input: film.input, output: film.output, ok: !error, frames: film.frames, ...(error ? { error } : {}) });
        ev.onFilm?.(film, !error);
      } else if (film.state === 'failed') {
        done.set(film.film, { input: film.input, output: film.output, ok: false, frames: 0, ...(film.error ? { error: film.error } : {}) });
        ev.onFilm?.(film, false);
      }
    }
    if (done.size === snap.films.length) {
      await store.removeAll(runPrefix(run)).catch(() => {});
      const films = [...done.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
      const failed = films.filter((f) => !f.ok);
      const exitCode = failed.length ? Math.max(...failed.map((f) => (f.error ? EXIT[f.error.kind] : EXIT.queue))) : EXIT.ok;
      return { run, films, exitCode };
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
