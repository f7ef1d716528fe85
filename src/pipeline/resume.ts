// Resumable jobs (--resume). The video is encoded in fixed-length segments of source time, each by
// its own encoder child (so each starts with a keyframe), into a hidden folder beside the output:
//
//   .NAME.EXT.chroma-resume/
//     manifest.json        input identity (size, mtime, SHA-256 of the first MiB), the settings
//                          that change the result, and the completed segments
//     seg-000000.nut ...   completed segments (video only; NUT keeps the encoder's time base exactly)
//     seg-000004.partial-PID.nut   the segment being written (never listed in the manifest)
//     lock                 the pid of the process working on it
//
// A segment is listed in the manifest only after its encoder has closed it and it has been flushed
// and renamed, so after a crash (even SIGKILL) every listed segment is complete. A rerun with
// --resume checks the input and settings against the manifest, seeks the decoder to a little
// before the first missing frame (-ss on the input side, -copyts so timestamps stay those of the
// source), drops the frames before it by timestamp, and checks that the first frame it keeps is
// exactly the one recorded as next. When every segment is done, the segments are joined without
// re-encoding (concat demuxer, -c copy; each entry's duration is the exact distance to the next
// segment's first frame, so variable frame rates keep their timing) and the source's audio,
// subtitles and metadata are muxed in. The folder is removed once the output is in place.
//
// Known limit: the temporal smoothing stage starts afresh at the frame a job resumes from.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { fsyncPath, pidAlive } from './output-file.js';
import { basename, dirname, join, resolve } from 'node:path';
import { Observable, Subject, catchError, defer, throwError, type OperatorFunction } from 'rxjs';
import { decodeFrames, PTS_TOLERANCE } from '../operators/decode-frames.js';
import { FrameEncoder, encoderFailure } from '../media/frame-encoder.js';
import { DEFAULT_ENCODE, encoderStart, joinArgs, lastFrameDuration, segmentEncodeArgs, type EncodeSettings } from '../media/encode-args.js';
import { ChildGroup, spawnTracked, StderrTail } from '../media/child.js';
import { FFMPEG } from '../media/ffmpeg-paths.js';
import { FlowGate, defaultGateLimit } from '../core/flow-gate.js';
import { colorGraph } from '../graph/color-graph.js';
import { fixVariableRateMp4, runToEnd, sourceNotes, wantsDeinterlace, type VideoJob, type VideoJobOptions, type VideoJobResult } from './colorize-video.js';
import { ChromaError, outputError } from '../core/errors.js';
import { decoderTimestampOffset, type MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { ColorFrame, Progress, RawFrame } from '../core/frames.js';
import { DEFAULT_BATCH, FALLBACK_FPS } from '../core/defaults.js';

export const DEFAULT_SEGMENT_SECONDS = 10;
const MANIFEST_VERSION = 2;
const HEAD_BYTES = 1 << 20;
/** Seconds the decoder seeks before the resume point, so it starts from an earlier keyframe. */
const SEEK_MARGIN = 1;

export interface ResumeOptions {
  /** Seconds of source per segment (default 10). Shorter: less lost on a crash, more keyframes. */
  segmentSeconds?: number;
  /** Further settings that change the result (e.g. the CLI's --smooth value), compared on resume. */
  key?: Record<string, unknown>;
  /** Called after each segment is safely on disk. */
  onSegment?: (s: SegmentRecord & { index: number }) => void;
}

export interface SegmentRecord {
  file: string;
  /** Index of the segment's first frame in the whole video. */
  firstFrame: number;
  frames: number;
  /** Timestamp (s) of the segment's first and last frame. */
  startPts: number;
  endPts: number;
  /** Timestamp of the next segment's first frame; null for the last segment of the video. */
  nextPts: number | null;
  /**
   * Where the segment's first frame goes in the output: its timestamp as a one-pass encode
   * would store it (encoderStart). The join places segments by these, so a joined file has the
   * timestamps a one-pass encode would have had.
   */
  encodedStart: number;
  bytes: number;
}

interface Manifest {
  version: number;
  input: InputIdentity;
  settings: Record<string, unknown>;
  segmentSeconds: number;
  segments: SegmentRecord[];
  /** True once the last frame of the video is in a segment: only the join is left. */
  complete: boolean;
}

interface InputIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  headSha256: string;
}

/** The hidden folder beside `finalName` that holds a resumable job's segments. */
export function resumeDirFor(finalName: string): string {
  return join(dirname(finalName), `.${basename(finalName)}.chroma-resume`);
}

/** Remove a job's resume folder (after its output is in place). */
export async function discardResume(finalName: string): Promise<void> {
  await rm(resumeDirFor(finalName), { recursive: true, force: true });
}

async function identify(path: string): Promise<InputIdentity> {
  const s = await stat(path);
  const fh = await open(path, 'r');
  path = resolve(path);
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, s.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { path, size: s.size, mtimeMs: s.mtimeMs, headSha256: createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex') };
  } finally {
    await fh.close();
  }
}


/** Write-then-rename, so a crash leaves either the old manifest or the new one. */
async function writeManifest(dir: string, m: Manifest): Promise<void> {
  const tmp = join(dir, `manifest.json.tmp-${process.pid}-${randomBytes(3).toString('hex')}`);
  await writeFile(tmp, `${JSON.stringify(m, null, 1)}\n`);
  await fsyncPath(tmp);
  await rename(tmp, join(dir, 'manifest.json'));
}

async function readManifest(dir: string): Promise<Manifest | null> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    return m.version === MANIFEST_VERSION && Array.isArray(m.segments) ? m : null;
  } catch {
    return null;
  }
}

/** One process per resume folder: a second chroma on the same output would corrupt it. */
async function takeLock(dir: string, label: string): Promise<() => Promise<void>> {
  const lock = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && pidAlive(owner)) {
        throw outputError(`${label}: another chroma (pid ${owner}) is working on this output (${dir})`);
      }
      await rm(lock, { force: true }); // left by a process that died
    }
  }
  throw outputError(`${label}: cannot lock ${dir}`);
}

/** Keep the listed segments that are still intact; delete everything else in the folder. */
async function prune(dir: string, m: Manifest): Promise<void> {
  const kept: SegmentRecord[] = [];
  for (const s of m.segments) {
    const size = await stat(join(dir, s.file)).then((st) => st.size, () => -1);
    if (size !== s.bytes) break;
    kept.push(s);
  }
  if (kept.length < m.segments.length) m.complete = false;
  m.segments = kept;
  const keep = new Set(['manifest.json', 'lock', ...kept.map((s) => s.file)]);
  for (const f of await readdir(dir)) if (!keep.has(f)) await rm(join(dir, f), { force: true, recursive: true });
}

/** Thrown when the first frame after a seek is not the one the checkpoint expects. */
class ResumeMismatch extends Error {}

/**
 * The resumable variant of colorizeVideoFile: same graph, segment encoders instead of one
 * encoder, then a lossless join into `tempOutput`. The caller renames the output into place and
 * then calls discardResume().
 */
export function colorizeVideoResumable(
  model: LoadedModel, info: MediaInfo, tempOutput: string, finalName: string,
  opts: VideoJobOptions & { resume: ResumeOptions }, signal?: AbortSignal,
): VideoJob {
  const progress$ = new Subject<Progress>();
  const children = new ChildGroup();
  const done = (async (): Promise<VideoJobResult> => {
    const started = performance.now();
    const dir = resumeDirFor(finalName);
    const segmentSeconds = opts.resume.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
    const encode: EncodeSettings = { ...DEFAULT_ENCODE, ...opts.encode };
    const deint = wantsDeinterlace(info, opts);
    const notes = [...sourceNotes(info, deint), ...segmentEncodeArgs('-', finalName, info, encode).notes];
    const note = (n: string) => {
      notes.push(n);
      opts.onNote?.(n);
    };
    notes.forEach((n) => opts.onNote?.(n));

    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw outputError(`${finalName}: cannot create the resume folder ${dir} (${(err as Error).message})`);
    }
    const unlock = await takeLock(dir, finalName);
    let job: EncodeJob | null = null;
    try {
      const temperature = typeof opts.temperature === 'function' ? 'live' : opts.temperature ?? null;
      const settings: Record<string, unknown> = {
        model: { path: model.path, name: model.info.name, kind: model.info.kind },
        temperature, size: opts.size ?? null, batch: opts.batch ?? DEFAULT_BATCH,
        deinterlace: deint, encode, container: basename(finalName).split('.').pop() ?? '',
        width: info.width, height: info.height, ...(opts.resume.key ?? {}),
      };
      const input = await identify(info.path);
      const previous = await readManifest(dir);
      let manifest: Manifest;
      const same = previous !== null && previous.segmentSeconds === segmentSeconds
        && JSON.stringify(previous.input) === JSON.stringify(input)
        && JSON.stringify(previous.settings) === JSON.stringify(JSON.parse(JSON.stringify(settings)));
      if (same) {
        manifest = previous;
      } else {
        if (previous) note(`resume data in ${dir} was for a different input or settings; starting over`);
        manifest = { version: MANIFEST_VERSION, input, settings, segmentSeconds, segments: [], complete: false };
      }
      await prune(dir, manifest);
      await writeManifest(dir, manifest);

      const done0 = manifest.segments.length;
      const last = manifest.segments[done0 - 1];
      const startFrame = last ? last.firstFrame + last.frames : 0;
      const resumePts = last ? last.nextPts : null;
      const resumedFrom = done0 > 0 ? { frame: startFrame, seconds: resumePts ?? last.endPts, segments: done0 } : undefined;
      if (resumedFrom && !manifest.complete) {
        note(`resuming at frame ${startFrame} (${resumedFrom.seconds.toFixed(3)} s) from ${done0} finished segment(s); temporal smoothing restarts here`);
      } else if (resumedFrom) {
        note(`all ${done0} segment(s) were already finished; joining them`);
      }

      let written = startFrame;
      if (!manifest.complete) {
        job = {
          model, info, opts, encode, dir, manifest, startFrame, resumePts, deint, children, progress$, signal, started, label: finalName,
          ptsOffset: await decoderTimestampOffset(info),
          onWritten: (n) => (written = n),
        };
        await encodeRemaining(job);
      }
      if (signal?.aborted) throw signal.reason;
      const joinNotes = await joinSegments(dir, manifest, tempOutput, finalName, info, children, signal);
      await fixVariableRateMp4(info, tempOutput, finalName);
      joinNotes.forEach(note);
      progress$.complete();
      return {
        frames: manifest.segments.reduce((n, s) => n + s.frames, 0) || written,
        seconds: (performance.now() - started) / 1000,
        notes,
        ...(resumedFrom ? { resumedFrom } : {}),
      };
    } catch (err) {
      children.killAll();
      await children.settled();
      await job?.drain?.();
      // Keep finished segments for the next --resume; drop the one that was being written.
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (f.includes('.partial-') || f.startsWith('manifest.json.tmp-') || f === 'segments.txt') await rm(join(dir, f), { force: true });
      }
      throw err;
    } finally {
      await unlock();
    }
  })();
  done.catch((err) => progress$.error(err));
  return { progress$: progress$.asObservable(), done };
}

interface EncodeJob {
  model: LoadedModel;
  info: MediaInfo;
  opts: VideoJobOptions & { resume: ResumeOptions };
  encode: EncodeSettings;
  dir: string;
  manifest: Manifest;
  startFrame: number;
  resumePts: number | null;
  deint: boolean;
  children: ChildGroup;
  progress$: Subject<Progress>;
  signal: AbortSignal | undefined;
  started: number;
  /** The output name, for messages. */
  label: string;
  /** Seconds to take off -copyts timestamps to get those of a decode without it. */
  ptsOffset: number;
  /** Resolves when the segment writer has no file operation in flight (set by encodeSegments). */
  drain?: () => Promise<void>;
  onWritten: (n: number) => void;
}

/** Decode from the resume point, colorize, and write segments until the video ends. */
async function encodeRemaining(j: EncodeJob): Promise<void> {
  const { info, opts } = j;
  const batch = opts.batch ?? DEFAULT_BATCH;
  const gate = new FlowGate(opts.inFlight ?? defaultGateLimit(batch));
  const frameDuration = info.fps ? 1 / info.fps : null;

  // Every decode of a resumable job keeps the source's own timestamps (-copyts, which seeking needs)
  // and takes off what ffmpeg takes off without -copyts (measured: decoderTimestampOffset); so a
  // resumed decode, a fresh one and a one-pass run all give the same timestamps.
  const decodeFrom = (seek: boolean): Observable<RawFrame> => {
    const at = j.resumePts;
    const seekTo = at !== null && seek ? Math.max(0, at - SEEK_MARGIN) : 0;
    // ffmpeg adds the file's start time to -ss itself, with or without -copyts.
    const inputArgs = ['-copyts', ...(seekTo > 0 ? ['-ss', seekTo.toFixed(6), '-noaccurate_seek'] : [])];
    const frames$ = decodeFrames({
      input: info.path,
      width: info.width,
      height: info.height,
      inputArgs,
      filters: j.deint ? ['yadif=0'] : [],
      gate,
      fps: info.fps,
      expectedFrames: at === null ? info.frames : null,
      label: info.path,
      codecName: info.codecLongName,
      children: j.children,
      ptsOffset: j.ptsOffset,
      ...(at !== null ? { skipBefore: at, firstIndex: j.startFrame } : {}),
    });
    return at === null ? frames$ : frames$.pipe(expectFirst(at, gate));
  };
  const decoded$ = j.resumePts === null
    ? decodeFrom(false)
    : defer(() => decodeFrom(true)).pipe(
      // A seek that lands past the resume point (imprecise index): decode from the start instead.
      catchError((err) => (err instanceof ResumeMismatch ? decodeFrom(false) : throwError(() => err))),
      catchError((err) => throwError(() => (err instanceof ResumeMismatch
        ? new ChromaError('input', `${info.path}: cannot resume: ${err.message}; delete ${j.dir} to start over`)
        : err))),
    );

  const frames$ = decoded$.pipe(colorGraph(j.model, opts), encodeSegments(j, gate, frameDuration));
  const total = info.frames;
  await runToEnd(frames$, j.children, j.progress$, j.signal, (written) => {
    j.onWritten(written);
    const elapsed = (performance.now() - j.started) / 1000;
    const fps = (written - j.startFrame) / Math.max(elapsed, 1e-6);
    j.progress$.next({
      frames: written,
      total,
      seconds: frameDuration ? written * frameDuration : 0,
      fps,
      etaSeconds: total ? Math.max(0, (total - written) / Math.max(fps, 1e-6)) : null,
    });
  }, () => ({ frames: 0, seconds: 0, notes: [] }));
}

/** Checks that the first frame kept after a seek is the one the checkpoint recorded as next. */
function expectFirst(pts: number, gate: FlowGate): OperatorFunction<RawFrame, RawFrame> {
  return (source) => new Observable<RawFrame>((subscriber) => {
    let first = true;
    return source.subscribe({
      next(f) {
        if (first) {
          first = false;
          if (f.pts === null || Math.abs(f.pts - pts) > 2 * PTS_TOLERANCE) {
            gate.release();
            subscriber.error(new ResumeMismatch(`expected the frame at ${pts.toFixed(6)} s, the decoder gave ${f.pts?.toFixed(6) ?? 'none'}`));
            return;
          }
        }
        subscriber.next(f);
      },
      error: (e) => subscriber.error(e),
      complete: () => {
        if (first) subscriber.error(new ResumeMismatch(`no frame at or after ${pts.toFixed(6)} s`));
        else subscriber.complete();
      },
    });
  });
}

/**
 * The sink of a resumable job: a new encoder child for each segment of `segmentSeconds` of source
 * time. A segment is committed (flushed, renamed, listed in the manifest) when the first frame of
 * the next one arrives, or when the video ends. Emits the total frames written after each frame.
 */
function encodeSegments(j: EncodeJob, gate: FlowGate, frameDuration: number | null): OperatorFunction<ColorFrame, number> {
  return (source) => new Observable<number>((subscriber) => {
    const { info, manifest, dir } = j;
    const L = manifest.segmentSeconds;
    type Open = { enc: FrameEncoder; partial: string; file: string; slot: number; first: ColorFrame; firstPts: number; lastPts: number; frames: number };
    let current: Open | null = null;
    let nextNumber = manifest.segments.length;
    let total = j.startFrame;
    let stopped = false;
    /** Encoders closing in the background, while the next segment is already being encoded. */
    const closing = new Set<FrameEncoder>();
    let chain = Promise.resolve();
    let commits = Promise.resolve();
    j.drain = () => Promise.all([chain, commits]).then(() => {}, () => {});
    const timer = j.opts.timer;
    const ptsOf = (f: ColorFrame) => f.pts ?? (frameDuration ? f.index * frameDuration : f.index / FALLBACK_FPS);

    const open = (f: ColorFrame): Open => {
      const name = `seg-${String(nextNumber++).padStart(6, '0')}`;
      const partial = join(dir, `${name}.partial-${process.pid}.nut`);
      const plan = segmentEncodeArgs(partial, j.label, info, j.encode);
      const enc = new FrameEncoder({ width: info.width, height: info.height, frameDuration: lastFrameDuration(info), args: plan.args, label: j.label, children: j.children, keepStart: (pts) => encoderStart(info, pts) });
      enc.exit.catch((err) => fail(err));
      const pts = ptsOf(f);
      return { enc, partial, file: `${name}.nut`, slot: Math.floor(pts / L + 1e-9), first: f, firstPts: pts, lastPts: pts, frames: 0 };
    };
    /** Close a segment's encoder, then flush, rename and list it; commits happen in order. */
    const commit = (c: Open, nextPts: number | null): Promise<void> => {
      closing.add(c.enc);
      const finished = c.enc.finish().finally(() => closing.delete(c.enc));
      finished.catch(() => {}); // reported through the commit chain (or the encoder's exit)
      commits = commits.then(async () => {
        await finished;
        await fsyncPath(c.partial);
        await rename(c.partial, join(dir, c.file));
        const bytes = (await stat(join(dir, c.file))).size;
        const encodedStart = encoderStart(info, c.firstPts);
        const rec: SegmentRecord = { file: c.file, firstFrame: c.first.index, frames: c.frames, startPts: c.firstPts, endPts: c.lastPts, nextPts, encodedStart, bytes };
        manifest.segments.push(rec);
        if (nextPts === null) manifest.complete = true;
        await writeManifest(dir, manifest);
        j.opts.resume.onSegment?.({ ...rec, index: manifest.segments.length - 1 });
      });
      commits.catch(fail);
      return commits;
    };
    const handle = async (f: ColorFrame) => {
      const pts = ptsOf(f);
      if (current && Math.floor(pts / L + 1e-9) > current.slot) {
        void commit(current, pts);
        current = null;
      }
      current ??= open(f);
      const c = current;
      const t0 = performance.now();
      try {
        await c.enc.write(f);
      } finally {
        gate.release();
      }
      timer?.add('encode', performance.now() - t0);
      c.frames++;
      c.lastPts = pts;
      total++;
      if (!stopped) subscriber.next(total);
    };
    const fail = (err: unknown) => {
      if (stopped) return;
      stopped = true;
      current?.enc.kill();
      for (const e of closing) e.kill();
      // File-system failures (ENOSPC on the rename or the manifest...) are the output's problem.
      const errno = (err as NodeJS.ErrnoException | null)?.code;
      subscriber.error(err instanceof ChromaError || !errno ? err : outputError(`${j.label}: cannot write a segment to ${dir} (${(err as Error).message})`));
    };

    const sub = source.subscribe({
      next(f) {
        chain = chain.then(() => (stopped ? gate.release() : handle(f))).catch(fail);
      },
      error: (e) => fail(e),
      complete() {
        chain = chain.then(async () => {
          if (stopped) return;
          if (current) {
            const last = current;
            current = null;
            await commit(last, null);
          } else {
            await commits;
            if (manifest.segments.length && !manifest.complete) {
              // The decoder ended exactly where the last segment did.
              manifest.segments[manifest.segments.length - 1].nextPts = null;
              manifest.complete = true;
              await writeManifest(dir, manifest);
            }
          }
          stopped = true;
          subscriber.complete();
        }).catch(fail);
      },
    });
    return () => {
      sub.unsubscribe();
      if (!stopped) {
        stopped = true;
        current?.enc.kill();
        for (const e of closing) e.kill();
      }
    };
  });
}

/** Concatenate the segments without re-encoding and mux the source's other streams in. */
async function joinSegments(
  dir: string, m: Manifest, output: string, finalName: string, info: MediaInfo, children: ChildGroup, signal?: AbortSignal,
): Promise<string[]> {
  if (!m.segments.length) throw new ChromaError('input', `${info.path}: no frames could be decoded`);
  const list = join(dir, 'segments.txt');
  const lines: string[] = [];
  // The concat demuxer shifts each segment to start where the previous one's duration ends. Each
  // duration is the exact distance to the next segment's first frame, so variable frame rates keep
  // their timestamps.
  m.segments.forEach((s, i) => {
    lines.push(`file '${s.file}'`);
    if (i < m.segments.length - 1) lines.push(`duration ${(m.segments[i + 1].encodedStart - s.encodedStart).toFixed(6)}`);
  });
  await writeFile(list, `${lines.join('\n')}\n`);
  // The joined video starts at zero; -itsoffset puts it back where the source had it (a video that
  // starts after its audio stays in sync), as the one-pass encoder does.
  const plan = joinArgs(list, output, finalName, info, m.segments[0].encodedStart);
  await new Promise<void>((resolve, reject) => {
    const child = spawnTracked(FFMPEG, plan.args, children);
    const stderr = new StderrTail(20);
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (err) => reject(new ChromaError('internal', `cannot start ffmpeg: ${err.message}`)));
    child.on('close', (code, sig) => {
      stderr.end();
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (code === 0) return resolve();
      const total = m.segments.reduce((n, s) => n + s.frames, 0);
      reject(encoderFailure(`${finalName} (joining ${m.segments.length} segments)`, total, code, sig, stderr, child.pid));
    });
  });
  await rm(list, { force: true });
  return plan.notes;
}
