// `chroma colorize INPUT -o OUTPUT --queue redis://... --store S`: submit the film (or every film
// of a folder, as one run) to the farm's queue, then follow the run to its end, or with --detach
// print the run id and return at once.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { connectQueue } from '../jobs/queue/connection.js';
import { openStore } from '../jobs/queue/store.js';
import { submitRun, type FilmSpec } from '../jobs/queue/submit.js';
import { RunWatcher } from '../jobs/queue/status.js';
import { listMedia, VIDEO_EXTENSIONS } from '../colorizer.js';
import { EXIT, inputError, usageError } from '../core/errors.js';
import { followOnCli } from './follow-run.js';
import type { ColourSettings } from '../jobs/queue/types.js';
import { option } from '../core/options.js';

export const ATTEMPTS = option({
  flag: 'attempts', arg: 'N', type: 'integer', min: 1, max: 100, default: '3',
  doc: 'with --queue: tries per segment (and join) before the film fails; a damaged input fails at once',
});
/** colorize's farm flags. */
export const QUEUE_SPECS = [
  option({ flag: 'queue', arg: 'URL', type: 'string', default: 'off: colorize here', doc: "submit to the farm's Redis (redis://HOST:PORT) and follow the run" }),
  option({ flag: 'store', arg: 'S', type: 'string', doc: 'with --queue: where the run lives, a shared directory or s3://BUCKET/PREFIX?endpoint=URL' }),
  option({ flag: 'detach', type: 'boolean', default: 'off', doc: "with --queue: print the run id and return ('chroma status RUN' re-attaches)" }),
  ATTEMPTS,
] as const;

export interface QueuedColorizeOptions {
  input: string;
  output: string;
  queue: string;
  store: string;
  settings: ColourSettings;
  /** --hints: the hints file's path (one film only). */
  hints?: string;
  segmentSeconds?: number;
  attempts?: number;
  overwrite: boolean;
  detach: boolean;
  json: boolean;
  quiet: boolean;
  signal: AbortSignal;
  emit: (obj: object) => void;
  note: (line: string) => void;
}

/** The films of INPUT: itself, or every video under a folder (output names keep their relative paths). */
async function filmsOf(input: string, output: string, note: (line: string) => void): Promise<FilmSpec[]> {
  if (!(await stat(input).then((s) => s.isDirectory(), () => false))) return [{ input, output }];
  const root = resolve(input);
  const all = await listMedia(root);
  const videos = all.filter((f) => VIDEO_EXTENSIONS.has(extname(f).toLowerCase()));
  if (videos.length < all.length) note(`${all.length - videos.length} still image(s) in ${input} are not queued (colorize them without --queue)`);
  if (!videos.length) throw inputError(`${input}: no videos found`);
  const films: FilmSpec[] = [];
  for (const file of videos) {
    const out = join(resolve(output), relative(root, file));
    await mkdir(dirname(out), { recursive: true });
    films.push({ input: file, output: out });
  }
  return films;
}

export async function runQueuedColorize(o: QueuedColorizeOptions): Promise<number> {
  const redis = await connectQueue(o.queue);
  const store = await openStore(o.store);
  const watcher = new RunWatcher(redis);
  try {
    const films = await filmsOf(o.input, o.output, o.note);
    const submitted = await submitRun({
      redis, store, films, settings: o.settings, overwrite: o.overwrite, onNote: o.note, ...(o.hints !== undefined ? { hints: o.hints } : {}),
      ...(o.segmentSeconds !== undefined ? { segmentSeconds: o.segmentSeconds } : {}),
      ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
    });
    const segments = submitted.films.reduce((n, f) => n + f.segments, 0);
    o.emit({ event: 'submitted', run: submitted.run, films: submitted.films, segments });
    if (o.detach) {
      if (!o.json) process.stdout.write(`${submitted.run}\n`);
      return EXIT.ok;
    }
    if (!o.json && !o.quiet) {
      process.stderr.write(`run ${submitted.run}: ${films.length} film(s), ${segments} segment(s); Ctrl-C stops following, the run goes on ('chroma status ${submitted.run}' re-attaches)\n`);
    }
    if (o.signal.aborted) throw o.signal.reason;
    return await followOnCli(watcher, store, submitted.run, { json: o.json, quiet: o.quiet, signal: o.signal, emit: o.emit });
  } finally {
    await watcher.close();
    store.close();
    redis.disconnect();
  }
}

/** The checks of options that make no sense with --queue. */
export function checkQueueOptions(v: { resume?: boolean; store?: string; detach?: boolean; queue?: string; attempts?: string }): void {
  if (!v.queue) {
    for (const name of ['store', 'detach', 'attempts'] as const) if (v[name] !== undefined) throw usageError(`--${name} needs --queue`);
    return;
  }
  if (v.resume) throw usageError('--resume and --queue do not mix: a queued run survives crashes by itself');
  if (!v.store) throw usageError('--queue needs --store DIR_OR_URL, a place every worker can reach');
}
