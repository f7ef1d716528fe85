// The library's pipeline object: load a model once, colorize many files, stills and folders
// with it. Each job returns a promise of its result and an observable of its progress.
import { Subject, type Observable } from 'rxjs';
import { readdir, stat, mkdir } from 'node:fs/promises';
import { basename, extname, join, relative, dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { loadModel, type LoadModelOptions } from './model/load-model.js';
import type { LoadedModel } from './core/model-contract.js';
import { probeMedia } from './media/probe.js';
import { prepareOutput, type OutputTarget } from './core/output-file.js';
import { colorizeVideoFile } from './jobs/file-job.js';
import { abortReason } from './jobs/run-video-job.js';
import { smoothingOf, type VideoJobOptions } from './jobs/video-job.js';
import { planVideo } from './jobs/video-plan.js';
import { colorizeVideoResumable, type ResumeOptions } from './jobs/resumable-job.js';
import { discardResume } from './jobs/checkpoint.js';
import { colorizeImageFile, imageSize, IMAGE_EXTENSIONS } from './jobs/still-job.js';
import { loadJobHints, stillHintProvider, type HintsInput, type JobHints } from './jobs/job-hints.js';
import { hintsUnsupported } from './graph/color-graph.js';
import type { MediaInfo } from './media/probe.js';
import type { HintLoss } from './jobs/video-hints.js';
import { referenceTiltFor, type ReferenceOptions } from './jobs/job-reference.js';
import { referenceImagePath } from './hints/hints-file.js';
import { StageTimer } from './core/stage-timer.js';
import { ChromaError, inputError, outputError, usageError, describeError } from './core/errors.js';
import { checkOptions } from './core/options.js';
import { COLORIZE_SPECS } from './core/option-specs.js';
import type { Progress } from './core/frames.js';

export const VIDEO_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov', '.mkv', '.avi', '.webm', '.mpg', '.mpeg', '.ts', '.mts', '.wmv', '.flv', '.ogv']);

export interface ColorizerOptions extends LoadModelOptions {
  /** A model path, 'default' (the built-in model), or a pulled name ('eccv16', 'siggraph17'). */
  model?: string;
}

export interface ColorizeOptions extends Omit<VideoJobOptions, 'hints' | 'tilt'> {
  /**
   * "Colour it like this photograph": tilts every pixel's colour distribution towards the photo's
   * colours (logits models only; see docs/hints.md, "Reference photo"). Wins over the hints file's
   * `reference`. Default: the hints file's `reference`, else none.
   */
  reference?: ReferenceOptions;
  /**
   * Colour hints: a hints file's path or its parsed form (format: docs/hints.md). Checked
   * against the input before any frame is colorized: a bad file is a HintsError (exit 2), and a
   * model without the `hints` input a model error (exit 5). Default: none.
   */
  hints?: HintsInput;
  /**
   * Videos with hints: called for each hint point the tracker lost (it paints nothing from that
   * frame on, in that direction), once tracking is done and before the colour pass. Default: none.
   */
  onHintLost?: (loss: HintLoss) => void;
  /** Replace an existing output (default false: refuse). */
  overwrite?: boolean;
  /** Abort the job: children are killed and the temporary output removed. Default: none. */
  signal?: AbortSignal;
  /**
   * Videos only: checkpoint progress in segments beside the output so a job that dies can be
   * continued by running it again with the same option (src/jobs/resumable-job.ts). Default false.
   */
  resume?: ResumeOptions | boolean;
}

export interface ColorizeResult {
  input: string;
  output: string;
  kind: 'video' | 'image';
  frames: number;
  seconds: number;
  fps: number;
  width: number;
  height: number;
  notes: string[];
  /** Milliseconds per frame spent in each stage. */
  stages: Record<string, number>;
  /** Videos with hints: the points the tracker lost, and the scene cuts that bound `"shot"` hints. */
  hints?: { losses: HintLoss[]; cuts: number[] };
  /** With `resume`: where this run took over from earlier runs' finished segments. */
  resumedFrom?: { frame: number; seconds: number; segments: number };
}

export interface Job<T> {
  progress$: Observable<Progress>;
  done: Promise<T>;
}

export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(p).toLowerCase());
}

/**
 * Refuses an output name chroma cannot write for `input`, before any work. One rule: every
 * problem with the output's name is an output error (exit 4): a directory, an unknown extension,
 * or a type that does not fit the input (a video to .png, a photo to .mp4).
 */
export function checkOutputName(output: string, input?: string): void {
  const ext = extname(output).toLowerCase();
  if (statSync(output, { throwIfNoEntry: false })?.isDirectory()) {
    const name = input ? `${basename(input, extname(input))}-colour${extname(input) || '.mp4'}` : 'NAME.mp4';
    throw outputError(`${output}: is a directory; give a file name (-o ${join(output, name)}), or a folder INPUT to fill it`);
  }
  if (!IMAGE_EXTENSIONS.has(ext) && !VIDEO_EXTENSIONS.has(ext)) {
    throw outputError(`${output}: unknown output type '${ext || '(none)'}' (video: .mp4, .mkv, .mov, .avi, .webm, ...; image: .jpg, .png, .webp, .tiff)`);
  }
  if (input === undefined) return;
  if (isImagePath(input) && !isImagePath(output)) throw outputError(`${output}: a still image needs an image output (.jpg, .png, .webp, .tiff)`);
  if (VIDEO_EXTENSIONS.has(extname(input).toLowerCase()) && isImagePath(output)) throw outputError(`${output}: a video needs a video output (.mp4, .mkv, .mov, .avi)`);
}

/** The library's own check of the options (the same lines as the CLI's). */
export function checkColorizeOptions(opts: ColorizeOptions): void {
  // A temperature function (live controls) and full SmoothOptions are checked where they are used.
  checkOptions(COLORIZE_SPECS, {
    ...opts,
    temperature: typeof opts.temperature === 'function' ? undefined : opts.temperature,
    smooth: typeof opts.smooth === 'object' ? undefined : opts.smooth,
  });
  smoothingOf(opts.smooth);
  if (opts.restore?.preview && opts.resume) throw usageError('--restore-debug cannot be combined with --resume');
}

export class Colorizer {
  private constructor(readonly model: LoadedModel) {}

  static async create(opts: ColorizerOptions = {}): Promise<Colorizer> {
    return new Colorizer(await loadModel(opts.model, opts));
  }

  /** Colorize one video or still into `output`. */
  colorize(input: string, output: string, opts: ColorizeOptions = {}): Job<ColorizeResult> {
    const progress$ = new Subject<Progress>();
    const done = this.run(input, output, opts, progress$);
    done.then(() => progress$.complete(), (e) => progress$.error(e));
    return { progress$: progress$.asObservable(), done };
  }

  private async run(input: string, output: string, opts: ColorizeOptions, progress$: Subject<Progress>): Promise<ColorizeResult> {
    const timer = opts.timer ?? new StageTimer();
    const started = performance.now();
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    checkColorizeOptions(opts);
    checkOutputName(output, input);
    const previewPath = opts.restore?.preview?.path;
    if (previewPath !== undefined && resolve(previewPath) === resolve(output)) {
      throw usageError(`--restore-debug ${previewPath}: that is the output; choose another name`);
    }
    let s;
    try {
      s = await stat(input);
    } catch {
      throw inputError(`${input}: no such file`);
    }
    if (!s.isFile()) throw inputError(`${input}: not a file`);
    if (s.size === 0) throw inputError(`${input}: empty file (0 bytes)`);
    // Hints are checked against the input before the output is touched or a frame colorized.
    let hints: JobHints | null = null;
    let probed: MediaInfo | null = null;
    if (opts.hints !== undefined) {
      if (!this.model.hintsName) throw hintsUnsupported(this.model);
      if (isImagePath(input)) hints = await loadJobHints(opts.hints, { ...(await imageSize(input)), media: 'image' });
      else {
        probed = await probeMedia(input);
        hints = await loadJobHints(opts.hints, { width: probed.width, height: probed.height, media: 'video', frameCount: probed.frames ?? undefined, fps: probed.fps ?? undefined });
      }
    }
    const fromFile = hints?.file.reference;
    const reference = opts.reference ?? (fromFile && {
      image: hints?.path ? referenceImagePath(hints.path, fromFile) : fromFile.image, strength: fromFile.strength,
    });
    const tilt = reference ? await referenceTiltFor(this.model, reference) : null;
    const target = await prepareOutput(input, output, opts.overwrite ?? false);
    let preview: OutputTarget | null = null;
    try {
      if (isImagePath(input)) {
        const size = await colorizeImageFile(this.model, input, target.temp, target.final, { ...opts, timer, tilt, hints: hints && stillHintProvider(hints.file) });
        await target.commit();
        progress$.next({ frames: 1, total: 1, seconds: 0, fps: 0, etaSeconds: 0 });
        const seconds = (performance.now() - started) / 1000;
        return { input, output: target.final, kind: 'image', frames: 1, seconds, fps: 1 / seconds, ...size, notes: [], stages: timer.perFrame() };
      }
      const info = probed ?? (await probeMedia(input));
      if (info.still) throw inputError(`${input}: a still image in a container chroma does not read as a still; use .jpg/.png/.webp/.tiff`);
      if (isImagePath(output)) throw outputError(`${output}: a video needs a video output (.mp4, .mkv, .mov, .avi)`);
      const resume = opts.resume === true ? {} : opts.resume || null;
      // The preview is a second output, under the same rules: a temporary name until complete.
      preview = previewPath !== undefined ? await prepareOutput(input, previewPath, opts.overwrite ?? false) : null;
      const restore = preview && opts.restore ? { ...opts.restore, previewTemp: preview.temp } : opts.restore ?? null;
      // The options resolved once (with hints, the tracking pass runs here); the same for a resumed job.
      const plan = await planVideo(this.model, info, { ...opts, timer, tilt, restore, hints: hints?.file ?? null });
      const job = resume
        ? colorizeVideoResumable(plan, target.temp, target.final, resume, opts.signal)
        : colorizeVideoFile(plan, target.temp, target.final, opts.signal);
      job.progress$.subscribe({ next: (p) => progress$.next(p), error: () => {} });
      const r = await job.done;
      await target.commit();
      await preview?.commit();
      if (resume) await discardResume(target.final);
      return {
        input, output: target.final, kind: 'video', frames: r.frames, seconds: r.seconds, fps: r.frames / r.seconds,
        width: info.width, height: info.height, notes: r.notes, stages: timer.perFrame(),
        ...(plan.tracked ? { hints: plan.tracked } : {}),
        ...(r.resumedFrom ? { resumedFrom: r.resumedFrom } : {}),
      };
    } catch (err) {
      await target.discard();
      await preview?.discard();
      throw err;
    }
  }

  /**
   * Colorize every image and video under `inputDir` into `outputDir`, keeping relative names.
   * One file failing does not stop the others; the result lists each outcome.
   */
  async colorizeDirectory(
    inputDir: string, outputDir: string, opts: ColorizeOptions & { onFile?: (r: DirectoryEntryResult) => void } = {},
  ): Promise<DirectoryEntryResult[]> {
    const root = resolve(inputDir);
    const files = await listMedia(root);
    if (files.length === 0) throw inputError(`${inputDir}: no images or videos found`);
    const results: DirectoryEntryResult[] = [];
    for (const file of files) {
      if (opts.signal?.aborted) break;
      const out = join(resolve(outputDir), relative(root, file));
      await mkdir(dirname(out), { recursive: true });
      let r: DirectoryEntryResult;
      try {
        r = { input: file, output: out, ok: true, result: await this.colorize(file, out, opts).done };
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        r = { input: file, output: out, ok: false, error: describeError(err), exitCode: err instanceof ChromaError ? err.exitCode : 1 };
      }
      results.push(r);
      opts.onFile?.(r);
    }
    return results;
  }

  async close(): Promise<void> {
    await this.model.release();
  }
}

export type DirectoryEntryResult =
  | { input: string; output: string; ok: true; result: ColorizeResult }
  | { input: string; output: string; ok: false; error: string; exitCode: number };

export async function listMedia(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listMedia(p)));
    else if (isImagePath(p) || VIDEO_EXTENSIONS.has(extname(p).toLowerCase())) out.push(p);
  }
  return out;
}

/**
 * One-shot convenience: load the model, colorize one input, release the model. The result is a
 * promise (it rejects when the job fails) that also carries the job's `progress$` (and `done`,
 * the same promise).
 */
export function colorize(
  input: string, output: string, opts: ColorizeOptions & ColorizerOptions = {},
): Promise<ColorizeResult> & Job<ColorizeResult> {
  const progress$ = new Subject<Progress>();
  const done = (async () => {
    const c = await Colorizer.create(opts);
    try {
      const job = c.colorize(input, output, opts);
      job.progress$.subscribe({ next: (p) => progress$.next(p), error: () => {} });
      return await job.done;
    } finally {
      await c.close();
    }
  })();
  done.then(() => progress$.complete(), (e) => progress$.error(e));
  return Object.assign(done, { progress$: progress$.asObservable(), done });
}
