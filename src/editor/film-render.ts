// The whole film rendered from the editor with the hints as they are: the same plan and file job
// as `chroma colorize --hints` (jobs/video-plan.ts, jobs/file-job.ts) and the same output rule
// (core/output-file.ts: a temporary name beside the output, renamed into place only when complete;
// an abort or a failure removes it, and returns once the model is no longer running for it).
import { prepareOutput } from '../core/output-file.js';
import { planVideo } from '../jobs/video-plan.js';
import { colorizeVideoFile } from '../jobs/file-job.js';
import { InferWorker } from '../onnx/infer-client.js';
import type { HintsFile } from '../hints/hints-file.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { Progress } from '../core/frames.js';
import type { RestoreSettings } from '../restore/options.js';

export interface FilmRenderOptions {
  /** Where the film goes (its extension picks the container). */
  output: string;
  /** Replace an existing file (default false: refuse, as `colorize` without -y). */
  overwrite?: boolean;
  /** Temporal smoothing as `colorize --smooth` (default true: 'medium'; false: 'off', the frames the editor shows). */
  smooth?: boolean;
  /** Model input short side, as `colorize --size` (default: the model's training size). */
  size?: number;
  /** Annealed-mean temperature, as `colorize --temperature` (default 0.38). */
  temperature?: number;
  /** The reference photo's tilt (default: none). */
  tilt?: Float32Array | null;
  /** Film repair as `colorize --restore` (default: none). */
  restore?: RestoreSettings | null;
  /** As `colorize --deinterlace` (default 'auto'). */
  deinterlace?: 'auto' | 'on' | 'off';
  /** Stops the render; the temporary file is removed. Default: none. */
  signal?: AbortSignal;
  /** 'track' while the hints are followed through the film, then 'colour' with each frame's progress. */
  onProgress?: (phase: 'track' | 'colour', p: Progress | null) => void;
}

export interface FilmRenderResult {
  output: string;
  frames: number;
  seconds: number;
}

/** Colorize `info`'s film with `hints` into `o.output`. */
export async function renderFilm(model: LoadedModel, info: MediaInfo, hints: HintsFile, o: FilmRenderOptions): Promise<FilmRenderResult> {
  const target = await prepareOutput(info.path, o.output, o.overwrite ?? false);
  try {
    o.onProgress?.('track', null);
    const plan = await planVideo(model, info, {
      hints: hints.hints.length ? hints : null, tilt: o.tilt ?? null, smooth: o.smooth === false ? 'off' : 'medium',
      ...(o.size !== undefined ? { size: o.size } : {}), ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.deinterlace ? { deinterlace: o.deinterlace } : {}), ...(o.signal ? { signal: o.signal } : {}),
      ...(o.restore ? { restore: { settings: o.restore } } : {}),
    });
    const job = colorizeVideoFile(plan, target.temp, target.final, o.signal);
    o.onProgress?.('colour', { frames: 0, total: info.frames, seconds: 0, fps: 0, etaSeconds: null });
    job.progress$.subscribe({ next: (p) => o.onProgress?.('colour', p), error: () => {} });
    const r = await job.done;
    await target.commit();
    return { output: target.final, frames: r.frames, seconds: r.seconds };
  } catch (err) {
    await target.discard();
    // A stopped job's last batches are still running in the inference worker: the editor keeps
    // the model for the next render, and whoever releases it must not pull it from under them.
    await InferWorker.existing(model)?.drained();
    throw err;
  }
}
