// Following a queued run on the terminal (one progress bar over all segments of all films, ETA
// from the frames per second of all workers together) or as NDJSON events. Shared by
// `chroma colorize --queue` and `chroma status RUN`.
import { ProgressBar } from './progress-bar.js';
import { followRun, type RunSnapshot, type RunWatcher } from '../jobs/queue/status.js';
import type { Store } from '../jobs/queue/store.js';

export interface FollowCliOptions {
  json: boolean;
  quiet: boolean;
  signal?: AbortSignal;
  emit: (obj: object) => void;
}

/** Frames per second of the whole farm, over the time this follower has watched. */
class FarmRate {
  private start: { t: number; frames: number } | null = null;

  update(frames: number): number {
    const t = performance.now() / 1000;
    // Measured from the first snapshot with work under way, so a wait in the queue is not counted.
    if (!this.start || frames < this.start.frames) this.start = { t, frames };
    const dt = t - this.start.t;
    return dt > 0.5 ? (frames - this.start.frames) / dt : 0;
  }
}

export async function followOnCli(watcher: RunWatcher, store: Store, run: string, o: FollowCliOptions): Promise<number> {
  const bar = new ProgressBar(`run ${run}`);
  const rate = new FarmRate();
  const tty = !o.json && !o.quiet;
  let films = 0;
  const onSnapshot = (s: RunSnapshot) => {
    films = s.films.length;
    const fps = rate.update(s.framesDone);
    const etaSeconds = fps > 0 ? Math.max(0, (s.frames - s.framesDone) / fps) : null;
    for (const film of s.films) {
      for (const sg of film.finished) o.emit({ event: 'segment', run, film: film.input, index: sg.index, frames: sg.frames, worker: sg.worker, seconds: sg.seconds });
    }
    o.emit({ event: 'progress', run, frames: s.framesDone, total: s.frames, fps, etaSeconds, segments: s.segments, workers: s.workers });
    if (tty) bar.update({ frames: s.framesDone, total: s.frames, seconds: 0, fps, etaSeconds });
  };
  try {
    const r = await followRun(watcher, store, run, {
      onSnapshot,
      onFilm: (f, ok) => {
        o.emit({ event: 'film', run, input: f.input, output: f.output, ok, frames: f.frames, ...(f.error ? { error: f.error.message } : {}) });
        // A line per film for runs of many; a single film's outcome is the summary's (or its error line).
        if (tty && films > 1) {
          bar.done();
          process.stderr.write(ok ? `ok    ${f.input} -> ${f.output}\n` : `FAIL  ${f.input}\n`);
        }
      },
    }, o.signal ? { signal: o.signal } : {});
    bar.done();
    const failed = r.films.filter((f) => !f.ok);
    for (const f of failed) process.stderr.write(`chroma: ${f.error?.message ?? `${f.input}: failed`}\n`);
    o.emit({ event: 'summary', run, films: r.films.length, failed: failed.length, frames: r.films.reduce((n, f) => n + f.frames, 0), exitCode: r.exitCode });
    if (tty && r.films.length > 1) process.stderr.write(`${r.films.length - failed.length} of ${r.films.length} films colorized\n`);
    return r.exitCode;
  } finally {
    bar.done();
  }
}
