// The Redis connection of a queued run, and the names every part agrees on. BullMQ needs
// `maxRetriesPerRequest: null` (a worker's blocking commands wait for Redis to come back instead of
// failing), and Redis itself must keep every key (`maxmemory-policy noeviction`; AOF on, so a
// restarted Redis still knows the run).
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ChromaError, usageError } from '../../core/errors.js';

/** The queue of segment jobs (colorize one segment) and of join jobs (one per film, their parent). */
export const SEGMENT_QUEUE = 'chroma-segment';
export const JOIN_QUEUE = 'chroma-join';

/** Default seconds a worker keeps trying to reach a Redis that went away before it exits (code 7). */
export const DEFAULT_RECONNECT_SECONDS = 60;

/**
 * A fresh run id: sortable by time, no ':' (BullMQ's key separator), short enough to type.
 * e.g. r20261201t083012-4f2a9c
 */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', 't');
  return `r${t}-${randomBytes(3).toString('hex')}`;
}

export const segmentJobId = (run: string, film: number, index: number) => `${run}-f${film}-s${index}`;
export const joinJobId = (run: string, film: number) => `${run}-f${film}-join`;
/** Store prefix of everything a run keeps. */
export const runPrefix = (run: string) => `runs/${run}/`;
/** Redis key that says a run was cancelled (workers check it before and during each segment). */
export const cancelKey = (run: string) => `chroma:cancelled:${run}`;

export function parseQueueUrl(spec: string): URL {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw usageError(`--queue ${spec}: expected redis://HOST:PORT (or rediss:// for TLS)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw usageError(`--queue ${spec}: expected redis://HOST:PORT (or rediss:// for TLS)`);
  return url;
}

export interface ConnectOptions {
  /**
   * Give up after Redis has been unreachable this long (seconds); the connection then ends and
   * `onLost` runs. Default DEFAULT_RECONNECT_SECONDS.
   */
  reconnectSeconds?: number;
  /** Called once when the connection has given up. */
  onLost?: (why: string) => void;
}

/**
 * Connect to Redis, failing with one clear line (exit code 7, "queue") when it cannot be reached.
 * After the first connection, a lost Redis is retried (every 0.2–2 s) for `reconnectSeconds`.
 */
export async function connectQueue(spec: string, opts: ConnectOptions = {}): Promise<Redis> {
  parseQueueUrl(spec);
  const limitMs = (opts.reconnectSeconds ?? DEFAULT_RECONNECT_SECONDS) * 1000;
  let downSince: number | null = null;
  let connected = false;
  let lastError = '';
  const redis = new Redis(spec, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectTimeout: 5000,
    retryStrategy: () => {
      if (!connected) return null; // the first connection fails fast: one line for the user
      downSince ??= Date.now();
      if (Date.now() - downSince > limitMs) return null;
      return Math.min(2000, 200 + (Date.now() - downSince) / 10);
    },
  });
  redis.on('error', (err: Error) => (lastError = err.message));
  redis.on('ready', () => (downSince = null));
  redis.on('end', () => {
    if (connected) opts.onLost?.(`lost the queue at ${spec} for more than ${limitMs / 1000} s${lastError ? ` (${lastError})` : ''}`);
  });
  try {
    await redis.connect();
    connected = true;
  } catch (err) {
    redis.disconnect();
    throw new ChromaError('queue', `${spec}: cannot reach the queue's Redis (${lastError || (err as Error).message})`);
  }
  return redis;
}
