// `chroma worker --queue redis://... --store DIR`: colorize segments of queued runs until stopped.
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';
import { killAllChildren } from '../media/child.js';
import { openStore } from '../jobs/queue/store.js';
import { DEFAULT_RECONNECT_SECONDS } from '../jobs/queue/connection.js';
import { DEFAULT_LOCK_SECONDS, DEFAULT_STALL_SECONDS, QueueWorker, describeWorkerEvent } from '../jobs/queue/worker.js';
import { numberFlag as num, parseFlags } from './flags.js';

export const WORKER_HELP = `Usage: chroma worker --queue redis://HOST:PORT --store DIR_OR_URL [options]

Take segments of queued runs (chroma colorize ... --queue) from Redis and colorize them, until
stopped. Start one per machine (or one per GPU); add machines at any time. A worker that dies
mid-segment loses only that segment: its lock runs out and another worker redoes it.

Examples:
  chroma worker --queue redis://farm:6379 --store /mnt/farm/chroma
  chroma worker --queue redis://farm:6379 --store s3://films/chroma?endpoint=http://minio:9000 --device cuda
  chroma worker --queue redis://127.0.0.1:6379 --store ./store --concurrency 2 --threads 1 --metrics-port 9464

Options:
  --queue URL            Redis of the farm (redis:// or rediss://)
  --store S              the run files: a shared directory (or file:///DIR), or
                         s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials: the AWS_* variables)
  --concurrency N        segments at once (default 1; each uses --threads cores)
  --device D             auto | cpu | cuda (default auto)
  --threads N            CPU inference threads per segment (default: all cores)
  --lock-seconds S       a job's lock; renewed every S/2 while the worker lives (default ${DEFAULT_LOCK_SECONDS})
  --stall-seconds S      how often to look for jobs of dead workers (default ${DEFAULT_STALL_SECONDS})
  --reconnect-seconds S  exit (code 7) when Redis has been gone this long (default ${DEFAULT_RECONNECT_SECONDS}),
                         so that a supervisor (systemd, Kubernetes) restarts the worker
  --metrics-port N       serve Prometheus /metrics on this port (0: any free one; default: none)
  --metrics-host H       address for /metrics (default 127.0.0.1; 0.0.0.0 for a scraper elsewhere)
  --json                 NDJSON events on stdout instead of log lines on stderr
  -h, --help             this help

Stopping: SIGTERM or SIGINT finishes the running segment(s), then exits 0; a second one stops them
at once and gives them back to the queue. Exit codes: 0 stopped, 2 usage, 7 Redis unreachable or
lost for longer than --reconnect-seconds.
`;

export async function runWorkerCommand(argv: string[]): Promise<number> {
  let v;
  try {
    ({ values: v } = parseFlags('worker', argv, {
      queue: { type: 'string' }, store: { type: 'string' }, concurrency: { type: 'string' },
      device: { type: 'string' }, threads: { type: 'string' },
      'lock-seconds': { type: 'string' }, 'stall-seconds': { type: 'string' }, 'reconnect-seconds': { type: 'string' },
      'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    }));
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
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    const message = signals === 1 ? `${sig}: finishing the running segment(s); send it again to give them back` : `${sig}: giving the running segment(s) back to the queue`;
    if (json) process.stdout.write(`${JSON.stringify({ event: 'stopping', message, graceful: signals === 1 })}\n`);
    else process.stderr.write(`chroma worker: ${message}\n`);
    void worker?.stop(signals === 1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    if (!v.queue) throw usageError('missing --queue redis://HOST:PORT (see --help)');
    if (!v.store) throw usageError('missing --store DIR_OR_URL (see --help)');
    const device = (v.device ?? 'auto') as 'auto' | 'cpu' | 'cuda';
    if (!['auto', 'cpu', 'cuda'].includes(device)) throw usageError(`--device ${v.device}: expected auto, cpu or cuda`);
    const metricsPort = num(v['metrics-port'], 'metrics-port', 0, 65535, true);
    const store = await openStore(v.store);
    worker = await QueueWorker.start({
      queue: v.queue, store, device,
      concurrency: num(v.concurrency, 'concurrency', 1, 64, true) ?? 1,
      threads: num(v.threads, 'threads', 1, 256, true),
      lockSeconds: num(v['lock-seconds'], 'lock-seconds', 0.5, 3600),
      stallSeconds: num(v['stall-seconds'], 'stall-seconds', 0.5, 3600),
      reconnectSeconds: num(v['reconnect-seconds'], 'reconnect-seconds', 0, 86400),
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      ...(v['metrics-host'] ? { metricsHost: v['metrics-host'] } : {}),
      log: (e) => (json ? process.stdout.write(`${JSON.stringify(e)}\n`) : process.stderr.write(`${describeWorkerEvent(e)}\n`)),
    });
    if (signals) void worker.stop(signals === 1);
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
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
