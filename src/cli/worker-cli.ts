// `chroma worker --queue redis://... --store DIR`: colorize segments of queued runs until stopped.
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';
import { killAllChildren } from '../media/child.js';
import { openStore, type Store } from '../jobs/queue/store.js';
import { DEFAULT_RECONNECT_SECONDS, connectQueue } from '../jobs/queue/connection.js';
import { DEFAULT_LOCK_SECONDS, DEFAULT_STALL_SECONDS, QueueWorker, describeWorkerEvent, type WorkerEvent } from '../jobs/queue/worker.js';
import { HELP, JSON_EVENTS, flagOr, optionLines, parseFlags, readFlag } from './flags.js';
import { option } from '../core/options.js';
import { DEVICE, THREADS } from '../core/option-specs.js';
import { listenForStop } from './stop-signal.js';

const QUEUE = option({ flag: 'queue', arg: 'URL', type: 'string', doc: 'Redis of the farm (redis:// or rediss://; required)' });
const STORE = option({
  flag: 'store', arg: 'S', type: 'string',
  doc: 'the run files (required): a shared directory (or file:///DIR), or s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials: AWS_*)',
});
const CONCURRENCY = option({ flag: 'concurrency', arg: 'N', type: 'integer', min: 1, max: 64, default: '1', doc: 'segments at once (each uses --threads cores)' });
const LOCK_SECONDS = option({ flag: 'lock-seconds', arg: 'S', type: 'number', min: 0.5, max: 3600, default: String(DEFAULT_LOCK_SECONDS), doc: "a job's lock; renewed every S/2 while the worker lives" });
const STALL_SECONDS = option({ flag: 'stall-seconds', arg: 'S', type: 'number', min: 0.5, max: 3600, default: String(DEFAULT_STALL_SECONDS), doc: 'how often to look for jobs of dead workers' });
const RECONNECT_SECONDS = option({
  flag: 'reconnect-seconds', arg: 'S', type: 'number', min: 0, max: 86400, default: String(DEFAULT_RECONNECT_SECONDS),
  doc: 'exit (code 7) when Redis has been gone this long, so that a supervisor (systemd, Kubernetes) restarts the worker',
});
const METRICS_PORT = option({ flag: 'metrics-port', arg: 'N', type: 'integer', min: 0, max: 65535, default: 'none', doc: 'serve Prometheus /metrics on this port (0: any free one)' });
const METRICS_HOST = option({ flag: 'metrics-host', arg: 'H', type: 'string', default: '127.0.0.1', doc: 'address for /metrics (0.0.0.0 for a scraper elsewhere)' });
export const WORKER_FLAGS = [
  QUEUE, STORE, CONCURRENCY, DEVICE, { ...THREADS, doc: 'CPU inference threads per segment' }, LOCK_SECONDS, STALL_SECONDS, RECONNECT_SECONDS,
  METRICS_PORT, METRICS_HOST, { ...JSON_EVENTS, doc: 'NDJSON events on stdout instead of log lines on stderr' }, HELP,
] as const;

export const WORKER_HELP = `Usage: chroma worker --queue redis://HOST:PORT --store DIR_OR_URL [options]

Take segments of queued runs (chroma colorize ... --queue) from Redis and colorize them, until
stopped. Start one per machine (or one per GPU); add machines at any time. A worker that dies
mid-segment loses only that segment: its lock runs out and another worker redoes it.

Examples:
  chroma worker --queue redis://farm:6379 --store /mnt/farm/chroma
  chroma worker --queue redis://farm:6379 --store s3://films/chroma?endpoint=http://minio:9000 --device cuda
  chroma worker --queue redis://127.0.0.1:6379 --store ./store --concurrency 2 --threads 1 --metrics-port 9464

Options:
${optionLines(WORKER_FLAGS)}

Stopping: SIGTERM or SIGINT finishes the running segment(s), then exits 0; a second one stops them
at once and gives them back to the queue. Exit codes: 0 stopped, 2 usage, 7 Redis unreachable or
lost for longer than --reconnect-seconds.
`;

type Flags = ReturnType<typeof parseFlags<typeof WORKER_FLAGS>>['values'];

/** The store, opened only once Redis answers: an unreachable queue leaves no empty folder behind. */
async function connectThenOpenStore(queue: string, store: string): Promise<Store> {
  (await connectQueue(queue)).disconnect();
  return openStore(store);
}

async function startWorker(v: Flags, log: (e: WorkerEvent) => void): Promise<QueueWorker> {
  if (!v.queue) throw usageError('missing --queue redis://HOST:PORT (see --help)');
  if (!v.store) throw usageError('missing --store DIR_OR_URL (see --help)');
  const device = flagOr(DEVICE, v.device, 'auto');
  const metricsPort = readFlag(METRICS_PORT, v['metrics-port']);
  const settings = {
    device, concurrency: readFlag(CONCURRENCY, v.concurrency) ?? 1, threads: readFlag(THREADS, v.threads),
    lockSeconds: readFlag(LOCK_SECONDS, v['lock-seconds']), stallSeconds: readFlag(STALL_SECONDS, v['stall-seconds']),
    reconnectSeconds: readFlag(RECONNECT_SECONDS, v['reconnect-seconds']),
    ...(metricsPort !== undefined ? { metricsPort } : {}), ...(v['metrics-host'] ? { metricsHost: v['metrics-host'] } : {}),
  };
  const store = await connectThenOpenStore(v.queue, v.store);
  return QueueWorker.start({ queue: v.queue, store, ...settings, log });
}

export async function runWorkerCommand(argv: string[]): Promise<number> {
  let v: Flags;
  try {
    ({ values: v } = parseFlags('worker', argv, WORKER_FLAGS));
  } catch (err) {
    process.stderr.write(`chroma worker: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  if (v.help) {
    process.stdout.write(WORKER_HELP);
    return EXIT.ok;
  }
  const json = Boolean(v.json);
  let worker: QueueWorker | null = null;
  // The first signal finishes the running segments, the second gives them back.
  const stop = listenForStop({
    repeat: true,
    onSignal: (sig, n) => {
      const message = n === 1 ? `${sig}: finishing the running segment(s); send it again to give them back` : `${sig}: giving the running segment(s) back to the queue`;
      if (json) process.stdout.write(`${JSON.stringify({ event: 'stopping', message, graceful: n === 1 })}\n`);
      else process.stderr.write(`chroma worker: ${message}\n`);
      void worker?.stop(n === 1);
    },
  });
  try {
    worker = await startWorker(v, (e) => (json ? process.stdout.write(`${JSON.stringify(e)}\n`) : process.stderr.write(`${describeWorkerEvent(e)}\n`)));
    if (stop.count) void worker.stop(stop.count === 1);
    const code = await worker.done;
    if (code !== EXIT.ok) killAllChildren();
    // A Redis client still retrying must not keep a worker that has stopped alive.
    setTimeout(() => process.exit(code), 1000).unref();
    return code;
  } catch (err) {
    killAllChildren();
    const line = describeError(err);
    if (json) process.stdout.write(`${JSON.stringify({ event: 'error', message: line, exitCode: exitCodeOf(err) })}\n`);
    process.stderr.write(`chroma worker: ${line}\n`);
    return exitCodeOf(err);
  } finally {
    stop.dispose();
  }
}
