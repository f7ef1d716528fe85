// `chroma status [RUN]` (list runs, or re-attach to one and follow it to the end) and
// `chroma cancel RUN`.
import { ChromaError, EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';
import { connectQueue } from '../jobs/queue/connection.js';
import { RunWatcher, type RunSnapshot } from '../jobs/queue/status.js';
import { openStore } from '../jobs/queue/store.js';
import { followOnCli } from './follow-run.js';
import { HELP, JSON_EVENTS, QUIET, optionLines, parseFlags } from './flags.js';
import { option } from '../core/options.js';
import { listenForStop } from './stop-signal.js';

const QUEUE = option({ flag: 'queue', arg: 'URL', type: 'string', doc: 'Redis of the farm (required)' });
const STORE = option({ flag: 'store', arg: 'S', type: 'string', doc: 'the store the run was submitted with (directory, file:///DIR or s3://...)' });
const STATUS_FLAGS = [
  QUEUE, { ...STORE, doc: `${STORE.doc}; needed with RUN` }, { ...JSON_EVENTS, doc: 'NDJSON events (status of each run, or progress/segment/film/summary)' }, QUIET, HELP,
] as const;
const CANCEL_FLAGS = [QUEUE, { ...STORE, doc: `${STORE.doc} (required)` }, { ...JSON_EVENTS, doc: 'one NDJSON event: cancelled, or error' }, HELP] as const;

export const STATUS_HELP = `Usage: chroma status [RUN] --queue redis://HOST:PORT [--store S] [options]

Without RUN: one line per run the queue holds (finished runs are kept 7 days): films done,
segments done / running / failed, and which workers did them.
With RUN: re-attach to the run, exactly as 'chroma colorize --queue' follows it: a progress bar
(or --json events) until every film is done, and each finished film is copied to its output
(the -o given at submission). Needs --store. Ctrl-C stops following; the run goes on.
('chroma cancel RUN' gives a run up.)

Options:
${optionLines(STATUS_FLAGS)}

Exit codes: as chroma colorize (0 every film done, 3 a damaged input, 4 output, ...), 7 Redis
unreachable or the run unknown.
`;

export const CANCEL_HELP = `Usage: chroma cancel RUN --queue redis://HOST:PORT --store S [--json]

Give up a queued run: no further segment of it starts, running ones stop within a second, and
the run's files are removed from the store. Films already delivered to their outputs stay.
RUN is the id 'chroma colorize --queue' printed ('chroma status --queue URL' lists them).

Options:
${optionLines(CANCEL_FLAGS)}

Exit codes: 0 cancelled, 2 usage, 7 Redis unreachable or the run unknown to this queue.
`;

function describeRun(s: RunSnapshot): string {
  const films = s.films.filter((f) => f.state === 'joined').length;
  const state = s.cancelled ? 'cancelled' : s.films.some((f) => f.state === 'failed') ? 'failed' : films === s.films.length ? 'done' : 'running';
  const workers = Object.entries(s.workers).map(([w, n]) => `${w} ${n.done}${n.running ? `+${n.running}` : ''}`).join(', ');
  const when = new Date(s.submittedAt).toISOString().replace('T', ' ').replace(/\..*/, '');
  return `${s.run}  ${state.padEnd(9)} ${when}  films ${films}/${s.films.length}  segments ${s.segments.done} done, ${s.segments.running} running, ${s.segments.failed} failed of ${s.segments.done + s.segments.running + s.segments.failed + s.segments.waiting}${workers ? `  (${workers})` : ''}`;
}

async function run(command: 'status' | 'cancel', argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = command === 'cancel' ? parseFlags(command, argv, CANCEL_FLAGS) : parseFlags(command, argv, STATUS_FLAGS);

  } catch (err) {
    process.stderr.write(`chroma ${command}: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(command === 'cancel' ? CANCEL_HELP : STATUS_HELP);
    return EXIT.ok;
  }
  const json = Boolean(v.json);
  const emit = (obj: object) => json && process.stdout.write(`${JSON.stringify(obj)}\n`);
  const stop = listenForStop({ reason: () => usageError('stopped following; the run goes on (chroma status RUN re-attaches)') });
  // Redis lost while following: the same way out, with its own reason.
  const controller = new AbortController();
  stop.signal.addEventListener('abort', () => controller.abort(stop.signal.reason), { once: true });
  let watcher: RunWatcher | null = null;
  let redis: Awaited<ReturnType<typeof connectQueue>> | null = null;
  try {
    if (positionals.length > 1 || (command === 'cancel' && positionals.length !== 1)) throw usageError(`expected ${command === 'cancel' ? 'one RUN' : 'at most one RUN'} (see --help)`);
    if (!v.queue) throw usageError('missing --queue redis://HOST:PORT (see --help)');
    const runId = positionals[0];
    if (runId && !v.store) throw usageError(`missing --store (the one the run was submitted with)`);
    redis = await connectQueue(v.queue, {
      onLost: (why) => controller.abort(new ChromaError('queue', `${why}; the run goes on (chroma status RUN re-attaches)`)),
    });
    watcher = new RunWatcher(redis);
    if (!runId) {
      for (const id of await watcher.runs()) {
        const s = await watcher.snapshot(id);
        if (!s) continue;
        emit({ event: 'run', ...s, films: s.films.map(({ join: _join, finished: _finished, ...f }) => f) });
        if (!json) process.stdout.write(`${describeRun(s)}\n`);
      }
      return EXIT.ok;
    }
    const store = await openStore(v.store!);
    try {
      if (command === 'cancel') {
        if (!(await watcher.cancel(runId, store))) throw usageError(`run ${runId}: unknown to this queue`);
        emit({ event: 'cancelled', run: runId });
        if (!json) process.stderr.write(`run ${runId} cancelled\n`);
        return EXIT.ok;
      }
      return await followOnCli(watcher, store, runId, { json, quiet: 'quiet' in v && Boolean(v.quiet), signal: controller.signal, emit });
    } finally {
      store.close();
    }
  } catch (err) {
    const reason = controller.signal.aborted ? controller.signal.reason : err;
    const line = describeError(reason);
    const code = stop.received ? EXIT.interrupted : exitCodeOf(reason);
    emit({ event: 'error', message: line, exitCode: code });
    process.stderr.write(`chroma ${command}: ${line}\n`);
    return code;
  } finally {
    stop.dispose();
    await watcher?.close();
    redis?.disconnect();
  }
}

export const runStatusCommand = (argv: string[]) => run('status', argv);
export const runCancelCommand = (argv: string[]) => run('cancel', argv);
