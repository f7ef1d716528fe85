// `chroma colorize INPUT -o OUTPUT`: a thin layer over Colorizer. Progress goes to stderr on a
// terminal (quiet otherwise), or as NDJSON on stdout with --json; errors are one line and an exit
// code that says what kind of failure it was.
import { stat } from 'node:fs/promises';
import { Colorizer, checkOutputName, type ColorizeOptions, type DirectoryEntryResult } from '../colorizer.js';
import { ProgressBar } from './progress-bar.js';
import { numberFlag, parseFlags } from './flags.js';
import { TEMPERATURE_RANGE } from '../core/defaults.js';
import { EXIT, describeError, exitCodeOf, inputError, signalExitCode, usageError } from '../core/errors.js';
import { DEFAULT_ENCODE, type Codec } from '../media/encode-args.js';
import { checkQueueOptions, runQueuedColorize } from './queue-colorize.js';
import { parseSmoothOption, DEFAULT_VIDEO_SMOOTH } from '../smoothing/options.js';
import { restoreFromCli } from './restore-option.js';
import { DEFAULT_REFERENCE_STRENGTH } from '../hints/hints-file.js';

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
  chroma colorize photo.jpg -o out.jpg --hints hints.json   (this coat is red: see "Colour hints")

Model:
  --model M            'default' (built in), 'eccv16' / 'siggraph17' (after 'chroma models pull'),
                       or a path to an ONNX file that follows the model contract (README)
  --temperature T      annealed-mean temperature, 0.01 <= T <= 1 (default 0.38; lower = more vivid)
  --size N             model input short side in pixels, 32..4096, rounded to the model's multiple
                       (default: the model's training size)
  --batch N            frames per inference call, 1..256 (default 4)
  --device D           auto | cpu | cuda (default auto: CUDA when available, else CPU)
  --threads N          CPU inference threads (default: all cores)
  --smooth S           temporal smoothing: off | low | medium | high | 0..1 (default medium)

Film repair (videos; README "Restoring damaged film"):
  --restore R          repair the film's L before colouring: auto | light | strong | off, or a
                       comma list of dust,scratches,flicker,grain (default off). The output
                       carries the repaired L.
  --restore-debug F    also write F (.mp4): the first 5 s as original | restored | what changed
Colour hints (a hint-capable model: the built-in default, or siggraph17):
  --hints FILE         JSON hints: {"hints": [{"x": 120, "y": 80, "color": "#2e7d32", "size": 7}]}
                       x, y in input pixels; "color" (sRGB hex, its lightness ignored) or
                       "ab": [a, b]; "size" patch side in input pixels (default short side / 48,
                       3..25). The README has the whole format. A bad file: one line, exit 2.
                       Video: per hint "frame" (or "time" in s, default frame 0) and "until":
                       "frame" | "shot" (default: to the scene cuts either side) | a frame number.
                       Each point is tracked through its span; a lost point is reported
                       (--json event "hint-lost") and paints nothing from that frame on.
  --reference PHOTO    colour it like this photograph: tilt the colour distribution towards
                       the photo's colours (logits models; default: the hints file's
                       "reference", else none)
  --reference-strength S   0..1, how far to tilt (default 0.7)

Output:
  -o, --output PATH    output file (or folder when INPUT is a folder)
  -y, --overwrite      replace an existing output
  --codec C            h264 (default) | h265 | ffv1 (lossless, .mkv) | prores (.mov)
  --crf N              quality for h264/h265 (default 18; lower = better, bigger)
  --preset P           x264/x265 preset (default medium)
  --pix-fmt F          output pixel format (default yuv420p; yuv444p for odd sizes)
  --deinterlace M      auto | on | off (default auto: when the stream says interlaced)

Long jobs:
  --resume             checkpoint finished segments in a hidden folder beside the output
                       (.film.mp4.chroma-resume/ for film.mp4); rerunning the same command
                       (after a crash, kill or Ctrl-C) continues from the last finished
                       segment instead of starting over. The segments are joined without
                       re-encoding at the end and the folder is removed. Temporal smoothing
                       restarts at the point where a job resumed.
  --segment-seconds S  source seconds per checkpointed segment (default 10; each starts with a
                       keyframe)

A farm (any number of machines, see README "Colorize on a farm"):
  --queue URL          submit to the farm's Redis (redis://HOST:PORT) instead of colorizing here:
                       the video is cut at keyframes into segments that 'chroma worker's colorize;
                       this command follows the run (progress bar over all segments, ETA from all
                       workers) and copies each finished film to its output
  --store S            where the run's files live, reachable by every worker: a shared directory
                       (or file:///DIR) or s3://BUCKET/PREFIX?endpoint=URL (path-style)
  --detach             print the run id and return at once ('chroma status RUN' re-attaches)
  --attempts N         tries per segment before the run fails, 1..100 (default 3; a damaged input
                       fails at once)
  --segment-seconds S  with --queue: source seconds per segment (default 30)

Reporting:
  --json               NDJSON progress events and a final summary on stdout
  -q, --quiet          no progress bar
  -h, --help           this help

Exit codes: 0 ok, 1 internal (e.g. ffmpeg killed), 2 usage, 3 bad input, 4 output not writable
            or disk full, 5 model problem, 7 queue (Redis unreachable or lost),
            129/130/143 stopped by SIGHUP/SIGINT/SIGTERM
            (the README has the whole table).
Nothing is left under the output name unless it is complete; an interrupted or failed job
removes its temporary files (with --resume, finished segments are kept for the next run).
`;

const CODECS: Codec[] = ['h264', 'h265', 'ffv1', 'prores'];

export async function runColorizeCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags('colorize', argv, {
      output: { type: 'string', short: 'o' },
      model: { type: 'string' },
      temperature: { type: 'string' },
      size: { type: 'string' },
      batch: { type: 'string' },
      device: { type: 'string' },
      threads: { type: 'string' },
      smooth: { type: 'string' },
      restore: { type: 'string' },
      'restore-debug': { type: 'string' },
      hints: { type: 'string' },
      reference: { type: 'string' },
      'reference-strength': { type: 'string' },
      overwrite: { type: 'boolean', short: 'y' },
      codec: { type: 'string' },
      crf: { type: 'string' },
      preset: { type: 'string' },
      'pix-fmt': { type: 'string' },
      deinterlace: { type: 'string' },
      resume: { type: 'boolean' },
      'segment-seconds': { type: 'string' },
      queue: { type: 'string' },
      store: { type: 'string' },
      detach: { type: 'boolean' },
      attempts: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
  });
  } catch (err) {
    process.stderr.write(`chroma colorize: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(COLORIZE_HELP);
    return EXIT.ok;
  }
  const json = Boolean(v.json);
  const emit = (obj: object) => json && process.stdout.write(`${JSON.stringify(obj)}\n`);
  const fail = (err: unknown) => {
    const line = describeError(err);
    if (json) emit({ event: 'error', message: line, exitCode: exitCodeOf(err) });
    process.stderr.write(`chroma: ${line}\n`);
    return exitCodeOf(err);
  };

  const controller = new AbortController();
  let caught: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    caught ??= sig;
    controller.abort(usageError(`interrupted by ${sig}`));
  };
  // A closed terminal (SIGHUP) stops the job as cleanly as Ctrl-C.
  const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of SIGNALS) process.once(sig, onSignal);
  let colorizer: Colorizer | null = null;
  try {
    if (positionals.length !== 1) throw usageError('expected exactly one INPUT (see --help)');
    if (!v.output) throw usageError('missing -o OUTPUT (see --help)');
    const input = positionals[0];
    const device = (v.device ?? 'auto') as 'auto' | 'cpu' | 'cuda';
    if (!['auto', 'cpu', 'cuda'].includes(device)) throw usageError(`--device ${v.device}: expected auto, cpu or cuda`);
    const codec = (v.codec ?? 'h264') as Codec;
    if (!CODECS.includes(codec)) throw usageError(`--codec ${v.codec}: expected one of ${CODECS.join(', ')}`);
    const deinterlace = (v.deinterlace ?? 'auto') as 'auto' | 'on' | 'off';
    if (!['auto', 'on', 'off'].includes(deinterlace)) throw usageError(`--deinterlace ${v.deinterlace}: expected auto, on or off`);
    const temperature = numberFlag(v.temperature, 'temperature', TEMPERATURE_RANGE[0], TEMPERATURE_RANGE[1]);
    const referenceStrength = numberFlag(v['reference-strength'], 'reference-strength', 0, 1);
    if (referenceStrength !== undefined && v.reference === undefined) throw usageError('--reference-strength needs --reference');
    const segmentSeconds = numberFlag(v['segment-seconds'], 'segment-seconds', 0.5, 3600);
    if (segmentSeconds !== undefined && !v.resume && !v.queue) throw usageError('--segment-seconds needs --resume or --queue');
    checkQueueOptions(v);
    const opts: ColorizeOptions = {
      overwrite: Boolean(v.overwrite),
      temperature,
      batch: numberFlag(v.batch, 'batch', 1, 256, true),
      size: numberFlag(v.size, 'size', 32, 4096, true),
      deinterlace,
      smooth: parseSmoothOption(v.smooth ?? DEFAULT_VIDEO_SMOOTH),
      restore: restoreFromCli(v.restore, v['restore-debug'], Boolean(v.resume)),
      ...(v.hints !== undefined ? { hints: v.hints } : {}),
      ...(v.reference !== undefined ? { reference: { image: v.reference, strength: referenceStrength ?? DEFAULT_REFERENCE_STRENGTH } } : {}),
      encode: {
        codec,
        ...(v.crf !== undefined ? { crf: numberFlag(v.crf, 'crf', 0, 51, true) } : {}),
        ...(v.preset ? { preset: v.preset } : {}),
        ...(v['pix-fmt'] ? { pixFmt: v['pix-fmt'] } : {}),
      },
      signal: controller.signal,
      ...(v.resume ? {
        resume: {
          ...(segmentSeconds !== undefined ? { segmentSeconds } : {}),
          onSegment: (sg) => emit({ event: 'segment', index: sg.index, firstFrame: sg.firstFrame, frames: sg.frames, startPts: sg.startPts, endPts: sg.endPts }),
        },
      } : {}),
      onHintLost: (l) => {
        emit({ event: 'hint-lost', ...l });
        if (!json && !v.quiet) process.stderr.write(`note: hint ${l.hint} lost at frame ${l.frame} (tracking ${l.direction}: ${l.reason}); it paints nothing from there on\n`);
      },
      onNote: (n) => {
        emit({ event: 'note', message: n });
        if (!json && !v.quiet) process.stderr.write(`note: ${n}\n`);
      },
    };
    // Checked before the model loads: a typo should not wait for it.
    const st = await stat(input).catch(() => null);
    if (!st) throw inputError(`${input}: no such file`);
    const isDir = st.isDirectory();
    if (!isDir) checkOutputName(v.output);
    if (isDir && v['restore-debug'] !== undefined) throw usageError('--restore-debug previews one video; INPUT is a folder');
    if (isDir && v.hints !== undefined) throw usageError('--hints is for one INPUT, not a folder (its points are pixels of one picture or film)');
    if (v.queue) {
      // The preview is a second output on this machine, and a reference photo a file on it: not carried in the job.
      if (v['restore-debug'] !== undefined) throw usageError('--restore-debug does not work with --queue; preview without --queue');
      if (v.reference !== undefined) throw usageError('--reference does not work with --queue yet; colorize without --queue');
      return await runQueuedColorize({
        input, output: v.output, queue: v.queue, store: v.store!, overwrite: Boolean(v.overwrite), detach: Boolean(v.detach),
        json, quiet: Boolean(v.quiet), signal: controller.signal, emit, note: (n) => opts.onNote?.(n),
        settings: {
          model: v.model ?? 'default', smooth: parseSmoothOption(v.smooth ?? DEFAULT_VIDEO_SMOOTH), deinterlace,
          temperature, size: opts.size, batch: opts.batch, encode: { ...DEFAULT_ENCODE, ...opts.encode }, restore: opts.restore?.settings ?? null,
        },
        ...(v.hints !== undefined ? { hints: v.hints } : {}),
        ...(segmentSeconds !== undefined ? { segmentSeconds } : {}),
        ...(v.attempts !== undefined ? { attempts: numberFlag(v.attempts, 'attempts', 1, 100, true)! } : {}),
      });
    }
    colorizer = await Colorizer.create({
      model: v.model,
      device,
      threads: numberFlag(v.threads, 'threads', 1, 256, true),
      log: (line) => (json ? emit({ event: 'log', message: line }) : process.stderr.write(`${line}\n`)),
    });
    emit({ event: 'model', name: colorizer.model.info.name, kind: colorizer.model.info.kind, provider: colorizer.model.provider });
    if (controller.signal.aborted) throw controller.signal.reason;

    if (isDir) {
      const results: DirectoryEntryResult[] = await colorizer.colorizeDirectory(input, v.output, {
        ...opts,
        onFile: (r) => {
          emit({ event: 'file', ...r });
          if (!json && !v.quiet) process.stderr.write(r.ok ? `ok    ${r.input} -> ${r.output}\n` : `FAIL  ${r.input}: ${r.error}\n`);
        },
      });
      const failed = results.filter((r) => !r.ok);
      emit({ event: 'summary', files: results.length, failed: failed.length });
      if (!json) process.stderr.write(`${results.length - failed.length} of ${results.length} files colorized\n`);
      return failed.length ? Math.max(...failed.map((f) => (f.ok ? 0 : f.exitCode))) : EXIT.ok;
    }

    const bar = new ProgressBar(input.length > 24 ? `…${input.slice(-23)}` : input);
    const job = colorizer.colorize(input, v.output, opts);
    job.progress$.subscribe({
      next: (p) => {
        emit({ event: 'progress', ...p });
        if (!json && !v.quiet) bar.update(p);
      },
      error: () => {},
    });
    const r = await job.done.finally(() => bar.done());
    emit({ event: 'summary', ...r });
    if (!json && !v.quiet && process.stderr.isTTY) {
      process.stderr.write(`${r.output}: ${r.frames} frame(s) in ${r.seconds.toFixed(1)} s (${r.fps.toFixed(1)} fps)\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (controller.signal.aborted) {
      const code = signalExitCode(caught);
      const kept = v.resume ? '; finished segments kept: run the same command with --resume to continue' : '';
      const what = v.queue ? 'stopped following; the run goes on (chroma status RUN re-attaches)' : `partial output removed${kept}`;
      process.stderr.write(`chroma: interrupted by ${caught ?? 'signal'}; ${what}\n`);
      emit({ event: 'error', message: `interrupted by ${caught ?? 'signal'}`, exitCode: code });
      return code;
    }
    return fail(err);
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
    await colorizer?.close();
  }
}
