// An editing session on one film: the state behind `chroma serve --input film.mp4 --edit`. The film
// is decoded once into spools (spool.ts); the hints a person places are kept as a hints file
// (hint-store.ts); each hint's track is computed one at a time (tracker.ts); any frame is rendered
// through the same graph and hint plan as `chroma colorize --hints` (renderer.ts). Saving writes
// the hints file through core/output-file.ts (a temporary name, flushed, then renamed).
import { basename, dirname, extname, join } from 'node:path';
import { FALLBACK_FPS } from '../core/defaults.js';
import { outputError } from '../core/errors.js';
import { writeFileAtomic } from '../core/output-file.js';
import { serializeHints, type HintsFile } from '../hints/hints-file.js';
import type { HintTrackOptions } from '../hints/hint-tracks.js';
import type { Suggestion } from '../hints/top-colours.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { ColorFrame, RawFrame } from '../core/frames.js';
import type { FilmPlanes, HintLoss } from '../jobs/video-hints.js';
import { wantsDeinterlace } from '../jobs/video-job.js';
import { spoolFilm, type FrameSpool } from './spool.js';
import { DEFAULT_EDIT_MAX_HINTS, HintStore, type HintEdit } from './hint-store.js';
import { HintTracker, type HintView } from './tracker.js';
import { FrameRenderer } from './renderer.js';

export { DEFAULT_EDIT_MAX_HINTS } from './hint-store.js';
export { DEFAULT_MAX_SPOOL_BYTES } from './spool.js';
export type { HintEdit, HintView, Suggestion };

export interface EditSessionOptions {
  /** Model input short side (default: the model's training size), as `colorize --size`. */
  size?: number;
  /** Annealed-mean temperature (default 0.38), as `colorize --temperature`. */
  temperature?: number;
  /** Deinterlace: as `colorize --deinterlace` (default 'auto'). */
  deinterlace?: 'auto' | 'on' | 'off';
  /** Hints to start from (already validated for this film). Default: none. */
  hints?: HintsFile | null;
  /** Where save() writes (default: beside the film, FILM.hints.json). */
  hintsPath?: string;
  /** The reference photo's logit tilt (jobs/job-reference.ts), when the hints have one. Default: none. */
  tilt?: Float32Array | null;
  /** Most hints the session holds (default 256). */
  maxHints?: number;
  /** Largest spool of decoded frames, bytes (default 8 GiB): a longer film is refused at open. */
  maxSpoolBytes?: number;
  /** Tracking settings (default: hint-tracks.ts's). */
  tracking?: HintTrackOptions;
}

/** The default place of a film's hints file: film.mp4 -> film.hints.json beside it. */
export function defaultHintsPath(film: string): string {
  return join(dirname(film), `${basename(film, extname(film))}.hints.json`);
}

export class EditSession {
  private readonly store: HintStore;
  private readonly tracker: HintTracker;
  private readonly renderer: FrameRenderer;

  private constructor(
    model: LoadedModel,
    readonly info: MediaInfo,
    private readonly planes: FilmPlanes,
    private readonly spool: FrameSpool,
    opts: EditSessionOptions,
    readonly hintsPath: string,
  ) {
    this.store = new HintStore({
      width: info.width, height: info.height, media: 'video', frameCount: spool.frames, source: 'hints',
      maxHints: opts.maxHints ?? DEFAULT_EDIT_MAX_HINTS, ...(info.fps ? { fps: info.fps } : {}),
    }, opts.hints?.reference ?? null);
    this.tracker = new HintTracker(planes, info, opts.tracking);
    this.renderer = new FrameRenderer(model, opts);
  }

  /** Decode the film (two passes: full size and model size) and start with `opts.hints`. */
  static async open(model: LoadedModel, info: MediaInfo, opts: EditSessionOptions = {}): Promise<EditSession> {
    const deint = wantsDeinterlace(info, { deinterlace: opts.deinterlace ?? 'auto' });
    const { frames, planes } = await spoolFilm(model, info, {
      filters: deint ? ['yadif=0'] : [],
      ...(opts.size !== undefined ? { size: opts.size } : {}),
      ...(opts.maxSpoolBytes !== undefined ? { maxSpoolBytes: opts.maxSpoolBytes } : {}),
    });
    const s = new EditSession(model, info, planes, frames, opts, opts.hintsPath ?? defaultHintsPath(info.path));
    try {
      if (opts.hints) s.edit({ type: 'replace', file: JSON.parse(serializeHints(opts.hints)) });
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  /** Frames of the film. */
  get frames(): number {
    return this.spool.frames;
  }

  get cuts(): readonly number[] {
    return this.planes.cuts;
  }

  get fps(): number {
    return this.info.fps ?? FALLBACK_FPS;
  }

  /** The hints as a file. */
  hintsFile(): HintsFile {
    return this.store.hints;
  }

  /** True while some hint has no track yet. */
  get busy(): boolean {
    return this.tracker.working || this.untracked > 0;
  }

  /**
   * Apply one edit: validated as the file would be (a HintsError, one line, on refusal: nothing
   * changes). Returns the id of the hint added or changed (null for delete and replace). Until its
   * track is computed (trackNext, trackAll) a new or moved hint lives on its own frame only.
   */
  edit(e: HintEdit): string | null {
    const id = this.store.edit(e);
    this.tracker.dropStale(this.store.hints);
    return id;
  }

  /** Hints whose track is not computed yet. */
  get untracked(): number {
    return this.tracker.untracked(this.store.hints);
  }

  /** Compute one missing track (false when none is missing). */
  trackNext(): Promise<boolean> {
    return this.tracker.trackNext(this.store.hints);
  }

  /** Compute every missing track. */
  async trackAll(): Promise<void> {
    while (await this.trackNext());
  }

  /** Points lost so far, as `colorize --json` reports them. */
  losses(): HintLoss[] {
    return this.tracker.losses(this.store.hints);
  }

  /** The hints as seen at `frame`. */
  view(frame: number): HintView[] {
    return this.tracker.view(this.store.hints, frame);
  }

  /** Frame `index` as decoded (full size). */
  rawFrame(index: number): Promise<RawFrame> {
    return this.spool.read(index);
  }

  /** Colorize frame `index` with the hints as they are now (tracks computed so far). */
  async render(index: number): Promise<ColorFrame> {
    return this.renderer.render(await this.rawFrame(index), this.tracker.provider(this.store.hints));
  }

  /**
   * The model's own top colours at film pixel (x, y) of frame `index`, with the hints as they are
   * now: modes of its distribution there (bins at least `spread` ab apart), most likely first.
   */
  async suggest(index: number, x: number, y: number, count = 6, spread = 18): Promise<Suggestion[]> {
    return this.renderer.suggest(await this.rawFrame(index), this.tracker.provider(this.store.hints), x, y, count, spread);
  }

  /** Write the hints file (atomically, flushed: a temporary name, then renamed over `path`). */
  async save(path = this.hintsPath): Promise<string> {
    try {
      await writeFileAtomic(path, serializeHints(this.store.hints));
    } catch (err) {
      throw outputError(`${path}: cannot save the hints (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return path;
  }

  async close(): Promise<void> {
    await this.planes.close();
    await this.spool.close();
  }
}
