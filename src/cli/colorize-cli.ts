// `chroma colorize INPUT -o OUTPUT`: a thin layer over Colorizer. Progress goes to stderr on a
// terminal, or as NDJSON on stdout with --json; a finished job says one summary line on stderr
// (unless -q); errors are one line and an exit code that says what kind of failure it was.
import { stat } from 'node:fs/promises';
import { Colorizer, checkOutputName, type ColorizeOptions, type DirectoryEntryResult } from '../colorizer.js';
import { ProgressBar } from './progress-bar.js';
import { HELP, JSON_EVENTS, OUTPUT, OVERWRITE, QUIET, flagOr, optionLines, parseFlags, readFlag } from './flags.js';
import { option } from '../core/options.js';
import { BATCH, CODEC, CRF, DEINTERLACE, HW_ENCODE, DEVICE, MODEL, REFERENCE_STRENGTH, SIZE, SMOOTH, TEMPERATURE, THREADS, WORKERS } from '../core/option-specs.js';
import { EXIT, describeError, exitCodeOf, inputError, signalExitCode, usageError } from '../core/errors.js';
import { DEFAULT_ENCODE } from '../media/encode-args.js';
import { ATTEMPTS, checkQueueOptions, runQueuedColorize, QUEUE_SPECS } from './queue-colorize.js';
import { DEFAULT_VIDEO_SMOOTH, parseSmoothOption } from '../smoothing/options.js';
import { restoreFromCli, RESTORE, RESTORE_DEBUG } from './restore-option.js';
import { DEFAULT_REFERENCE_STRENGTH } from '../hints/hints-file.js';
import { listenForStop, type StopSignal } from './stop-signal.js';

const HINTS = option({ flag: 'hints', arg: 'FILE', type: 'string', default: 'none', doc: 'colour hints, a JSON file (docs/hints.md); one INPUT, not a folder' });
const REFERENCE = option({
  flag: 'reference', arg: 'PHOTO', type: 'string', default: "the hints file's reference, else none",
  doc: 'colour it like this photograph; logits models only',
});
const PRESET = option({ flag: 'preset', arg: 'P', type: 'string', default: 'medium', doc: 'x264/x265 preset' });
const PIX_FMT = option({ flag: 'pix-fmt', arg: 'F', type: 'string', default: 'yuv420p; yuv444p for odd sizes', doc: 'output pixel format' });
const RESUME = option({
  flag: 'resume', type: 'boolean', default: 'off',
  doc: 'checkpoint finished segments beside the output; rerun the same command to continue after a crash',
});
const SEGMENT_SECONDS = option({
  flag: 'segment-seconds', arg: 'S', type: 'number', min: 0.5, max: 3600, default: '10; 30 with --queue',
  doc: 'source seconds per segment (with --resume or --queue; each starts at a keyframe)',
});

/** The model flags (the README's short table). */
export const MAIN_FLAGS = [MODEL, TEMPERATURE, SIZE, BATCH, DEVICE, THREADS, SMOOTH] as const;
const REPAIR_FLAGS = [RESTORE, RESTORE_DEBUG] as const;
const HINT_FLAGS = [HINTS, REFERENCE, REFERENCE_STRENGTH] as const;
const OUTPUT_FLAGS = [{ ...OUTPUT, doc: 'output file (or folder when INPUT is a folder)' }, OVERWRITE, CODEC, HW_ENCODE, CRF, PRESET, PIX_FMT, DEINTERLACE] as const;
const REPORT_FLAGS = [{ ...JSON_EVENTS, doc: 'NDJSON progress events and a final summary on stdout' }, { ...QUIET, doc: 'no progress bar and no summary line' }, HELP] as const;

/** Every flag of `chroma colorize`, in --help's order (docs/colorize.md's table is made from it). */
export const COLORIZE_FLAGS = [
  ...MAIN_FLAGS, WORKERS, ...REPAIR_FLAGS, ...HINT_FLAGS, ...OUTPUT_FLAGS, RESUME, SEGMENT_SECONDS, ...QUEUE_SPECS, ...REPORT_FLAGS,
] as const;

export const COLORIZE_HELP = `Usage: chroma colorize INPUT -o OUTPUT [options]
       chroma colorize DIR -o OUTDIR [options]

Colorize a black-and-white video, a still image, or every image and video in a folder.
Video keeps its size, frame count and timing; audio, subtitles and metadata are copied.

Examples:
  chroma colorize film.mp4 -o film-colour.mp4
  chroma colorize scan.jpg -o scan-colour.jpg
  chroma colorize ./photos -o ./photos-colour --json
  chroma colorize reel.mov -o reel.mkv --codec ffv1          (lossless archival copy)
  chroma colorize film.mp4 -o out.mp4 --model eccv16 --temperature 0.3
  chroma colorize long-film.mkv -o colour.mkv --resume    (run it again after a crash: it continues)
  chroma colorize photo.jpg -o out.jpg --hints hints.json   (this coat is red: docs/hints.md)

Model:
${optionLines(MAIN_FLAGS)}

Threads (docs/architecture.md#threads):
${optionLines([WORKERS])}

Film repair (videos; docs/restore.md):
${optionLines(REPAIR_FLAGS)}

Colour hints (a hint-capable model: the built-in default, or siggraph17):
${optionLines(HINT_FLAGS)}
                       A hints file: {"hints": [{"x": 120, "y": 80, "color": "#2e7d32", "size": 7}]},
                       x, y in input pixels; on video per hint "frame" (or "time") and "until";
                       each point is tracked through its span, a lost one reported (--json
                       "hint-lost"). A bad file: one line, exit 2.

Output (the output's extension says its type; a name that does not fit the input is exit 4):
${optionLines(OUTPUT_FLAGS)}

Long jobs:
${optionLines([RESUME, SEGMENT_SECONDS])}
                       --resume keeps .NAME.EXT.chroma-resume/ beside the output until the end;
                       smoothing restarts where a job resumed.

A farm (any number of machines, see docs/farm.md):
${optionLines(QUEUE_SPECS)}

Reporting:
${optionLines(REPORT_FLAGS)}

Exit codes: 0 ok, 1 internal (e.g. ffmpeg killed), 2 usage, 3 bad input, 4 output (not writable,
            exists, a directory, a type that does not fit) or disk full, 5 model problem,
            7 queue (Redis unreachable or lost), 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
Nothing is left under the output name unless it is complete; an interrupted or failed job
removes its temporary files (with --resume, finished segments are kept for the next run).
`;

type Flags = ReturnType<typeof parseFlags<typeof COLORIZE_FLAGS>>['values'];

interface Reporter {
  json: boolean;
  quiet: boolean;
  emit: (obj: object) => void;
  /** A line for the terminal (stderr), unless --json or -q. */
  say: (line: string) => void;
}

function reporter(v: Flags): Reporter {
  const json = Boolean(v.json);
  const quiet = Boolean(v.quiet);
  return {
    json, quiet,
    emit: (obj) => json && process.stdout.write(`${JSON.stringify(obj)}\n`),
    say: (line) => !json && !quiet && process.stderr.write(`${line}\n`),
  };
}

/** The flags as library options; every value checked by its spec, combinations by the rules here. */
function colorizeOptions(v: Flags, r: Reporter, signal: AbortSignal): ColorizeOptions {
  const referenceStrength = readFlag(REFERENCE_STRENGTH, v['reference-strength']);
  if (referenceStrength !== undefined && v.reference === undefined) throw usageError('--reference-strength needs --reference');
  const segmentSeconds = readFlag(SEGMENT_SECONDS, v['segment-seconds']);
  if (segmentSeconds !== undefined && !v.resume && !v.queue) throw usageError('--segment-seconds needs --resume or --queue');
  checkQueueOptions(v);
  return {
    overwrite: Boolean(v.overwrite),
    temperature: readFlag(TEMPERATURE, v.temperature),
    batch: readFlag(BATCH, v.batch),
    size: readFlag(SIZE, v.size),
    workers: readFlag(WORKERS, v.workers),
    deinterlace: flagOr(DEINTERLACE, v.deinterlace, 'auto'),
    smooth: parseSmoothOption(v.smooth ?? DEFAULT_VIDEO_SMOOTH),
    restore: restoreFromCli(v.restore, v['restore-debug'], Boolean(v.resume)),
    ...(v.hints !== undefined ? { hints: v.hints } : {}),
    ...(v.reference !== undefined ? { reference: { image: v.reference, strength: referenceStrength ?? DEFAULT_REFERENCE_STRENGTH } } : {}),
    encode: {
      codec: flagOr(CODEC, v.codec, 'h264'),
      ...(v['hw-encode'] !== undefined ? { hwEncode: readFlag(HW_ENCODE, v['hw-encode']) } : {}),
      ...(v.crf !== undefined ? { crf: readFlag(CRF, v.crf) } : {}),
      ...(v.preset ? { preset: v.preset } : {}),
      ...(v['pix-fmt'] ? { pixFmt: v['pix-fmt'] } : {}),
    },
    signal,
    ...(v.resume ? {
      resume: {
        ...(segmentSeconds !== undefined ? { segmentSeconds } : {}),
        onSegment: (sg) => r.emit({ event: 'segment', index: sg.index, firstFrame: sg.firstFrame, frames: sg.frames, startPts: sg.startPts, endPts: sg.endPts }),
      },
    } : {}),
    onHintLost: (l) => {
      r.emit({ event: 'hint-lost', ...l });
      r.say(l.reason === 'not-found'
        ? `note: hint ${l.hint} not re-found in shot ${l.shot} of its camera setup (from frame ${l.frame}); it paints nothing there`
        : `note: hint ${l.hint} lost at frame ${l.frame}${l.shot !== undefined ? ` (shot ${l.shot} of its setup)` : ''} (tracking ${l.direction}: ${l.reason}); ${l.back !== undefined
          ? `found again at frame ${l.back}: absent frames ${Math.min(l.frame, l.back + 1)}-${Math.max(l.frame, l.back - 1)}`
          : 'it paints nothing from there on'}`);
    },
    onNote: (n) => {
      r.emit({ event: 'note', message: n });
      r.say(`note: ${n}`);
    },
  };
}

const modelFlags = (v: Flags) => ({ model: v.model, device: flagOr(DEVICE, v.device, 'auto'), threads: readFlag(THREADS, v.threads) });

/** What is known before the model loads: a typo should not wait for it. */
async function checkPaths(v: Flags, positionals: string[]): Promise<{ input: string; output: string; isDir: boolean }> {
  if (positionals.length !== 1) throw usageError('expected exactly one INPUT (see --help)');
  if (!v.output) throw usageError('missing -o OUTPUT (see --help)');
  const input = positionals[0];
  const st = await stat(input).catch(() => null);
  if (!st) throw inputError(`${input}: no such file`);
  const isDir = st.isDirectory();
  if (!isDir) checkOutputName(v.output, input);
  if (isDir && v['restore-debug'] !== undefined) throw usageError('--restore-debug previews one video; INPUT is a folder');
  if (isDir && v.hints !== undefined) throw usageError('--hints is for one INPUT, not a folder (its points are pixels of one picture or film)');
  return { input, output: v.output, isDir };
}

function runQueued(v: Flags, r: Reporter, opts: ColorizeOptions, paths: { input: string; output: string }, signal: AbortSignal): Promise<number> {
  // The preview is a second output on this machine, and a reference photo a file on it: not carried in the job.
  if (v['restore-debug'] !== undefined) throw usageError('--restore-debug does not work with --queue; preview without --queue');
  if (v.reference !== undefined) throw usageError('--reference does not work with --queue yet; colorize without --queue');
  const segmentSeconds = readFlag(SEGMENT_SECONDS, v['segment-seconds']);
  const attempts = readFlag(ATTEMPTS, v.attempts);
  return runQueuedColorize({
    ...paths, queue: v.queue!, store: v.store!, overwrite: Boolean(v.overwrite), detach: Boolean(v.detach),
    json: r.json, quiet: r.quiet, signal, emit: r.emit, note: (n) => opts.onNote?.(n),
    settings: {
      model: v.model ?? 'default', smooth: parseSmoothOption(v.smooth ?? DEFAULT_VIDEO_SMOOTH), deinterlace: opts.deinterlace ?? 'auto',
      temperature: opts.temperature as number | undefined, size: opts.size, batch: opts.batch, encode: { ...DEFAULT_ENCODE, ...opts.encode },
      restore: opts.restore?.settings ?? null,
    },
    ...(v.hints !== undefined ? { hints: v.hints } : {}),
    ...(segmentSeconds !== undefined ? { segmentSeconds } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
  });
}

async function colorizeFolder(c: Colorizer, r: Reporter, input: string, output: string, opts: ColorizeOptions): Promise<number> {
  const results: DirectoryEntryResult[] = await c.colorizeDirectory(input, output, {
    ...opts,
    onFile: (f) => {
      r.emit({ event: 'file', ...f });
      r.say(f.ok ? `ok    ${f.input} -> ${f.output}` : `FAIL  ${f.input}: ${f.error}`);
    },
  });
  const failed = results.filter((f) => !f.ok);
  r.emit({ event: 'summary', files: results.length, failed: failed.length });
  if (!r.json) process.stderr.write(`${results.length - failed.length} of ${results.length} files colorized\n`);
  return failed.length ? Math.max(...failed.map((f) => (f.ok ? 0 : f.exitCode))) : EXIT.ok;
}

async function colorizeOne(c: Colorizer, r: Reporter, input: string, output: string, opts: ColorizeOptions): Promise<number> {
  const bar = new ProgressBar(input.length > 24 ? `…${input.slice(-23)}` : input);
  const job = c.colorize(input, output, opts);
  job.progress$.subscribe({
    next: (p) => {
      r.emit({ event: 'progress', ...p });
      if (!r.json && !r.quiet) bar.update(p);
    },
    error: () => {},
  });
  const res = await job.done.finally(() => bar.done());
  r.emit({ event: 'summary', ...res });
  // Said on a terminal and in a log alike: a script's stderr shows what was made.
  r.say(`${res.output}: ${res.frames} frame(s) in ${res.seconds.toFixed(1)} s (${res.fps.toFixed(1)} fps)`);
  return EXIT.ok;
}

async function runHere(v: Flags, r: Reporter, opts: ColorizeOptions, paths: { input: string; output: string; isDir: boolean }, stop: StopSignal): Promise<number> {
  const colorizer = await Colorizer.create({
    ...modelFlags(v),
    log: (line) => (r.json ? r.emit({ event: 'log', message: line }) : process.stderr.write(`${line}\n`)),
  });
  try {
    r.emit({ event: 'model', name: colorizer.model.info.name, kind: colorizer.model.info.kind, provider: colorizer.model.provider });
    if (stop.signal.aborted) throw stop.signal.reason;
    return paths.isDir ? await colorizeFolder(colorizer, r, paths.input, paths.output, opts) : await colorizeOne(colorizer, r, paths.input, paths.output, opts);
  } finally {
    await colorizer.close();
  }
}

function reportStop(v: Flags, r: Reporter, sig: NodeJS.Signals | null): number {
  const code = signalExitCode(sig);
  const kept = v.resume ? '; finished segments kept: run the same command with --resume to continue' : '';
  const what = v.queue ? 'stopped following; the run goes on (chroma status RUN re-attaches)' : `partial output removed${kept}`;
  process.stderr.write(`chroma: interrupted by ${sig ?? 'signal'}; ${what}\n`);
  r.emit({ event: 'error', message: `interrupted by ${sig ?? 'signal'}`, exitCode: code });
  return code;
}

export async function runColorizeCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags('colorize', argv, COLORIZE_FLAGS);
  } catch (err) {
    process.stderr.write(`chroma colorize: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(COLORIZE_HELP);
    return EXIT.ok;
  }
  const r = reporter(v);
  const stop = listenForStop({ hangup: true });
  try {
    modelFlags(v);
    const opts = colorizeOptions(v, r, stop.signal);
    const paths = await checkPaths(v, positionals);
    return v.queue ? await runQueued(v, r, opts, paths, stop.signal) : await runHere(v, r, opts, paths, stop);
  } catch (err) {
    if (stop.signal.aborted) return reportStop(v, r, stop.received);
    const line = describeError(err);
    r.emit({ event: 'error', message: line, exitCode: exitCodeOf(err) });
    process.stderr.write(`chroma: ${line}\n`);
    return exitCodeOf(err);
  } finally {
    stop.dispose();
  }
}
