// An editing session on one film: the state behind `chroma serve --input film.mp4 --edit`. The film
// is decoded once into spools (spool.ts); the hints a person places are kept as a hints file
// (hint-store.ts); each hint's track is computed one at a time (tracker.ts); any frame is rendered
// through the same graph and hint plan as `chroma colorize --hints` (renderer.ts). Saving writes
// the hints file through core/output-file.ts (a temporary name, flushed, then renamed). The film's
// shots (film-shots.ts) are what the shot strip shows; the whole film is rendered by film-render.ts
// through the same job as `chroma colorize --hints`. With `restore`, frames are shown colorized
// from their restored L (restored-l.ts) or, asked for, from the L as decoded, and the film is
// rendered with the same restoration.
import { basename, dirname, extname, join } from 'node:path';
import { FALLBACK_FPS } from '../core/defaults.js';
import { outputError, usageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/output-file.js';
import { hintFrame, serializeHints, validateHints, type HintsFile, type HintsTarget } from '../hints/hints-file.js';
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
import { shotAt, shotsFromCuts, shotsReached, withSetups, type EditorShots } from './film-shots.js';
import { renderFilm, type FilmRenderOptions, type FilmRenderResult } from './film-render.js';
import { RestoredL } from './restored-l.js';
import { restoresNothing, type RestoreSettings } from '../restore/options.js';

export { DEFAULT_EDIT_MAX_HINTS } from './hint-store.js';
export { DEFAULT_MAX_SPOOL_BYTES } from './spool.js';
export type { HintEdit, HintView, Suggestion, EditorShots, FilmRenderResult };

/** Which L a frame is colorized from: the restored one (with --restore), or the one decoded. */
export type FrameView = 'restored' | 'original';

/** A hint as the editor lists it: its view at one frame and the shots it colours (a setup hint: where it was re-found). */
export type ListedHint = HintView & { shots: number[] };

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
  /** Where renderFilm() writes (default: beside the film, FILM-colour.mp4). */
  renderPath?: string;
  /** Film repair as `colorize --restore` (parseRestoreOption's result), for the frames shown and the film rendered. Default: none. */
  restore?: RestoreSettings | null;
  /** Largest cache of restored L planes, bytes (default 256 MiB; restored-l.ts). */
  maxRestoredBytes?: number;
}

/** The default place of a film's hints file: film.mp4 -> film.hints.json beside it. */
export function defaultHintsPath(film: string): string {
  return join(dirname(film), `${basename(film, extname(film))}.hints.json`);
}

/** The default place of the editor's render: film.mkv -> film-colour.mp4 beside it. */
export function defaultRenderPath(film: string): string {
  return join(dirname(film), `${basename(film, extname(film))}-colour.mp4`);
}

export class EditSession {
  private readonly store: HintStore;
  private readonly tracker: HintTracker;
  private readonly renderer: FrameRenderer;
  /** The restored L of each frame, when the session restores. */
  private readonly restored: RestoredL | null;
  private readonly target: HintsTarget;
  /** The film's shots and setups (the shot strip; which shots a hint reaches). */
  shots: EditorShots;
  /** Where renderFilm() writes. */
  readonly renderPath: string;

  private constructor(
    private readonly model: LoadedModel,
    readonly info: MediaInfo,
    private readonly planes: FilmPlanes,
    private readonly spool: FrameSpool,
    private readonly opts: EditSessionOptions,
    readonly hintsPath: string,
  ) {
    this.target = {
      width: info.width, height: info.height, media: 'video', frameCount: spool.frames, source: 'hints',
      maxHints: opts.maxHints ?? DEFAULT_EDIT_MAX_HINTS, ...(info.fps ? { fps: info.fps } : {}),
    };
    this.store = new HintStore(this.target, opts.hints?.reference ?? null);
    this.shots = withSetups(shotsFromCuts(spool.frames, planes.cuts), planes.shots.map);
    this.renderPath = opts.renderPath ?? defaultRenderPath(info.path);
    this.tracker = new HintTracker(planes, info, opts.tracking);
    this.renderer = new FrameRenderer(model, opts);
    const r = opts.restore ?? null;
    this.restored = restoresNothing(r) ? null : new RestoredL(spool, r!, opts.maxRestoredBytes);
  }

  /** True when frames are shown restored (the session has `restore`): the original can be asked for. */
  get restores(): boolean {
    return this.restored !== null;
  }

  /** The block of frames to restore before frame `index` can be shown in `view` (null: none, it is ready or not restored). */
  restoring(index: number, view: FrameView): { first: number; last: number } | null {
    return this.restored && view === 'restored' ? this.restored.pendingBlock(index) : null;
  }

  /** The L frame `index` is colorized from in `view`: null for the decoded one. */
  private async lFor(index: number, view: FrameView): Promise<Float32Array | null> {
    return this.restored && view === 'restored' ? this.restored.get(index) : null;
  }

  /**
   * Decode the film (two passes: full size, and model size, which also finds the shots and their
   * camera setups) and start with `opts.hints`.
   */
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
      s.store.forgetHistory();
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
    this.checkSetupEdit(e);
    const id = this.store.edit(e);
    this.tracker.dropStale(this.store.hints);
    return id;
  }

  /** A hint set to reach every shot of its setup where its shot is the setup's only one: refused (it would be refused at render). */
  private checkSetupEdit(e: HintEdit): void {
    if (e.type !== 'add' && e.type !== 'update') return;
    const old = e.type === 'update' ? this.store.hints.hints.find((h) => h.id === e.id) : undefined;
    if (String(e.until ?? old?.until) !== 'setup') return;
    const frame = e.frame ?? (old ? hintFrame(old, this.fps) : 0);
    const shot = shotAt(this.shots, Math.min(frame, this.frames - 1));
    if (this.shots.setups[shot.setup].shots.length > 1) return;
    throw usageError(`hints: "until": "setup", but no other shot of the film shows the camera setup of shot ${shot.index + 1} (frames ${shot.start}-${shot.end - 1}); use "until": "shot"`);
  }

  /** Edits undo() and redo() can step over. */
  get history(): { undo: number; redo: number } {
    return this.store.history;
  }

  /** Back to the hints before the last edit (false: nothing to undo). */
  undo(): boolean {
    const done = this.store.undo();
    this.tracker.dropStale(this.store.hints);
    return done;
  }

  /** The last edit undone, done again (false: nothing to redo). */
  redo(): boolean {
    const done = this.store.redo();
    this.tracker.dropStale(this.store.hints);
    return done;
  }

  /** Whether the hints file takes `"until": "setup"` (the hint reaches every shot of its setup). */
  get setupHints(): boolean {
    try {
      validateHints({ hints: [{ x: 0, y: 0, color: '#808080', frame: 0, until: 'setup' }] }, this.target);
      return true;
    } catch {
      return false;
    }
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

  /** The hints as seen at `frame`, each with the shots it colours. */
  view(frame: number): ListedHint[] {
    return this.tracker.view(this.store.hints, frame).map((h) => ({
      ...h, shots: shotsReached(this.shots, h.frame, h.until).filter((n) => !h.missed.includes(n)),
    }));
  }

  /** Frame `index` as decoded (full size). */
  rawFrame(index: number): Promise<RawFrame> {
    return this.spool.read(index);
  }

  /**
   * Colorize frame `index` with the hints as they are now (tracks computed so far), from its
   * restored L when the session restores, or from the L as decoded with `view` 'original'.
   */
  async render(index: number, view: FrameView = 'restored'): Promise<ColorFrame> {
    const raw = await this.rawFrame(index);
    return this.renderer.render(raw, this.tracker.provider(this.store.hints), await this.lFor(index, view));
  }

  /**
   * The model's own top colours at film pixel (x, y) of frame `index`, with the hints as they are
   * now, from the L `view` shows: modes of its distribution there (bins at least `spread` ab
   * apart), most likely first.
   */
  async suggest(index: number, x: number, y: number, view: FrameView = 'restored', count = 6, spread = 18): Promise<Suggestion[]> {
    const raw = await this.rawFrame(index);
    return this.renderer.suggest(raw, this.tracker.provider(this.store.hints), x, y, count, spread, await this.lFor(index, view));
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

  /**
   * Colorize the whole film with the hints as they are now into `renderPath` (or `o.output`):
   * the same plan and file job as `chroma colorize --hints`, with this session's size, temperature,
   * reference tilt, deinterlacing and restoration.
   */
  renderFilm(o: Omit<FilmRenderOptions, 'output' | 'size' | 'temperature' | 'tilt' | 'deinterlace' | 'restore'> & { output?: string } = {}): Promise<FilmRenderResult> {
    const s = this.opts;
    return renderFilm(this.model, this.info, this.store.hints, {
      ...o, output: o.output ?? this.renderPath, tilt: s.tilt ?? null, restore: this.restored?.settings ?? null,
      ...(s.size !== undefined ? { size: s.size } : {}), ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
      ...(s.deinterlace ? { deinterlace: s.deinterlace } : {}),
    });
  }

  async close(): Promise<void> {
    await this.planes.close();
    await this.spool.close();
  }
}
