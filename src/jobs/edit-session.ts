// An editing session on one film: the state behind `chroma serve --input film.mp4 --edit`. It holds
// the film decoded once (full-size frames for rendering, model-size L planes for tracking, both
// spooled to a temporary folder), the hints a person is placing, each hint's track, and renders any
// frame through the same graph and the same hint plan as `chroma colorize --hints`, so a saved
// hints file gives the frames the editor showed. The one difference is on purpose: the editor shows
// single frames, so temporal smoothing is off here (render the file with `--smooth off` to compare
// pixel for pixel; with smoothing the file differs by exactly that stage).
//
// Edits are applied to the hints as they would be written in the file and re-validated by the
// file's own validator, so an edit the file format would refuse is refused here with the same line.
import { mkdtemp, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { lastValueFrom, of, pipe, tap, toArray, concatMap, type OperatorFunction } from 'rxjs';
import type * as ort from 'onnxruntime-node';
import { colorGraph, type GraphOptions } from '../graph/color-graph.js';
import { batchFrames } from '../operators/batch-frames.js';
import { inferBatch, type InferredBatch } from '../operators/infer-batch.js';
import { decodeFrames } from '../operators/decode-frames.js';
import { FlowGate } from '../core/flow-gate.js';
import { FALLBACK_FPS } from '../core/defaults.js';
import { outputError, usageError } from '../core/errors.js';
import { ChildGroup } from '../media/child.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { ColorFrame, ModelFrame, RawFrame } from '../core/frames.js';
import { labHex, topColours, type Suggestion } from '../hints/top-colours.js';
import { serializeHints, validateHints, type Hint, type HintsFile, type HintsTarget } from '../hints/hints-file.js';
import { trackHints, type HintTrack, type HintTrackOptions } from '../hints/hint-tracks.js';
import { hintSpec, spoolFilmPlanes, trackedHintProvider, type FilmPlanes, type HintLoss, type PlacedTrack } from './video-hints.js';
import { wantsDeinterlace } from './video-job.js';

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

/** One edit, in the hints file's own terms (positions in film pixels). */
export type HintEdit =
  | { type: 'add'; frame: number; x: number; y: number; color: string; size?: number; until?: Hint['until']; id?: string }
  | { type: 'update'; id: string; frame?: number; x?: number; y?: number; color?: string; size?: number; until?: Hint['until'] }
  | { type: 'delete'; id: string }
  | { type: 'replace'; file: unknown };

/** A hint as the editor shows it at one frame. */
export interface HintView {
  id: string;
  frame: number;
  x: number;
  y: number;
  color: string;
  size?: number;
  until: Hint['until'];
  /** Where it is at the frame asked about (film pixels), or null when it is not alive there. */
  at: [number, number] | null;
  /** Frames it lives in after tracking (null until tracked). */
  span: { first: number; last: number } | null;
  tracked: boolean;
}

export const DEFAULT_EDIT_MAX_HINTS = 256;
export const DEFAULT_MAX_SPOOL_BYTES = 8 * 1024 ** 3;

/** The default place of a film's hints file: film.mp4 -> film.hints.json beside it. */
export function defaultHintsPath(film: string): string {
  return join(dirname(film), `${basename(film, extname(film))}.hints.json`);
}

export type { Suggestion };

export class EditSession {
  private file: HintsFile;
  private readonly tracks = new Map<string, HintTrack>();
  private trackingNow = false;
  private nextId = 1;
  private readonly target: HintsTarget;
  private readonly frameBytes: number;

  private constructor(
    private readonly model: LoadedModel,
    readonly info: MediaInfo,
    private readonly planes: FilmPlanes,
    private readonly rgb: FileHandle,
    private readonly spoolDir: string,
    readonly frames: number,
    private readonly opts: EditSessionOptions,
    readonly hintsPath: string,
  ) {
    this.frameBytes = info.width * info.height * 3;
    this.target = {
      width: info.width, height: info.height, media: 'video', frameCount: frames, source: 'hints',
      maxHints: opts.maxHints ?? DEFAULT_EDIT_MAX_HINTS, ...(info.fps ? { fps: info.fps } : {}),
    };
    this.file = { hints: [] };
  }

  /** Decode the film (two passes: full size and model size) and start with `opts.hints`. */
  static async open(model: LoadedModel, info: MediaInfo, opts: EditSessionOptions = {}): Promise<EditSession> {
    const frameBytes = info.width * info.height * 3;
    const maxSpool = opts.maxSpoolBytes ?? DEFAULT_MAX_SPOOL_BYTES;
    if (info.frames !== null && info.frames * frameBytes > maxSpool) {
      throw usageError(`${info.path}: ${info.frames} frames of ${info.width}x${info.height} need ${(info.frames * frameBytes / 1024 ** 3).toFixed(1)} GiB of temporary space to edit, more than the ${(maxSpool / 1024 ** 3).toFixed(1)} GiB allowed; cut the shot out first (ffmpeg -ss START -t SECONDS -i film -c copy shot.mp4)`);
    }
    const deint = wantsDeinterlace(info, { deinterlace: opts.deinterlace ?? 'auto' });
    const filters = deint ? ['yadif=0'] : [];
    const children = new ChildGroup();
    const dir = await mkdtemp(join(tmpdir(), 'chroma-edit-')).catch((err: Error) => {
      throw outputError(`cannot create a temporary folder for the editor (${err.message})`);
    });
    let planes: FilmPlanes | null = null;
    const rgb = await open(join(dir, 'frames.rgb'), 'w+');
    try {
      const [p, frames] = await Promise.all([
        spoolFilmPlanes(model, info, { ...(opts.size !== undefined ? { size: opts.size } : {}), filters, children }),
        spoolFrames(info, filters, rgb, children, maxSpool),
      ]);
      planes = p;
      const s = new EditSession(model, info, p, rgb, dir, Math.min(frames, p.frames), opts, opts.hintsPath ?? defaultHintsPath(info.path));
      if (opts.hints) s.edit({ type: 'replace', file: JSON.parse(serializeHints(opts.hints)) });
      return s;
    } catch (err) {
      children.killAll();
      await children.settled();
      await planes?.close();
      await rgb.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get cuts(): readonly number[] {
    return this.planes.cuts;
  }

  get fps(): number {
    return this.info.fps ?? FALLBACK_FPS;
  }

  /** The hints as a file. */
  hintsFile(): HintsFile {
    return this.file;
  }

  /** True while some hint has no track yet. */
  get busy(): boolean {
    return this.trackingNow || this.untracked > 0;
  }

  /**
   * Apply one edit: validated as the file would be (a HintsError, one line, on refusal: nothing
   * changes). Returns the id of the hint added or changed (null for delete and replace). Until its
   * track is computed (trackNext, trackAll) a new or moved hint lives on its own frame only.
   */
  edit(e: HintEdit): string | null {
    const written = JSON.parse(serializeHints(this.file)) as { hints: Record<string, unknown>[]; reference?: unknown };
    let id: string | null = null;
    if (e.type === 'replace') {
      const next = validateHints(e.file, this.target);
      // The reference photo's tilt was read from the opening hints; another one would make the
      // editor show what the saved file does not render.
      if (JSON.stringify(next.reference ?? null) !== JSON.stringify(this.opts.hints?.reference ?? null)) {
        throw usageError('hints: this file names another reference photo than the editor started with; restart the editor with it (--hints FILE)');
      }
      // Every hint gets an id, so the viewer can name it.
      const used = new Set(next.hints.map((h) => h.id).filter((v): v is string => v !== undefined));
      for (const h of next.hints) {
        if (h.id !== undefined) continue;
        h.id = this.freshId(used);
        used.add(h.id);
      }
      this.file = next;
    } else {
      if (e.type === 'add') {
        id = e.id ?? this.freshId(new Set(written.hints.map((h) => h.id as string)));
        written.hints.push(stripUndefined({ id, frame: e.frame, x: e.x, y: e.y, color: e.color, size: e.size, until: e.until }));
      } else {
        const i = written.hints.findIndex((h) => h.id === e.id);
        if (i < 0) throw usageError(`hints: no hint with id ${JSON.stringify(e.id)}`);
        if (e.type === 'delete') written.hints.splice(i, 1);
        else {
          const { type: _t, id: hid, ...patch } = e;
          const h = { ...written.hints[i], ...stripUndefined(patch) };
          // A moved hint is re-anchored at the frame it was moved on (its frame is where the point is known).
          if (patch.x !== undefined || patch.y !== undefined) delete h.time;
          written.hints[i] = h;
          id = hid;
        }
      }
      this.file = validateHints(written, this.target);
      if (e.type === 'add' && e.id === undefined) this.nextId++;
    }
    this.dropStaleTracks();
    return id;
  }

  /** The next unused `hN` (taken for good only by an edit that succeeds). */
  private freshId(used: Set<string>): string {
    while (used.has(`h${this.nextId}`)) this.nextId++;
    return `h${this.nextId}`;
  }

  /** Hints whose track is not computed yet. */
  get untracked(): number {
    return this.file.hints.filter((h) => !this.tracks.has(trackKey(h)) && hintSpec(h, this.planes, this.info)).length;
  }

  /**
   * Compute one missing track (false when none is missing). One at a time, so a caller can render
   * between them: a track is a pass over its shot, a render is what the person waits for.
   */
  async trackNext(): Promise<boolean> {
    const h = this.file.hints.find((x) => !this.tracks.has(trackKey(x)) && hintSpec(x, this.planes, this.info));
    if (!h) return false;
    const key = trackKey(h);
    const spec = hintSpec(h, this.planes, this.info)!;
    this.trackingNow = true;
    try {
      const [track] = await trackHints([spec], this.planes.width, this.planes.height, this.planes.read, this.opts.tracking);
      this.tracks.set(key, track);
    } finally {
      this.trackingNow = false;
    }
    return true;
  }

  /** Compute every missing track. */
  async trackAll(): Promise<void> {
    while (await this.trackNext());
  }

  /** Forget the tracks of hints that are gone or moved. */
  private dropStaleTracks(): void {
    const keep = new Set(this.file.hints.map((h) => trackKey(h)));
    for (const k of this.tracks.keys()) if (!keep.has(k)) this.tracks.delete(k);
  }

  /** Each hint with its track; a hint not tracked yet lives on its own frame only (its point is known there). */
  private placed(): PlacedTrack[] {
    const out: PlacedTrack[] = [];
    for (const h of this.file.hints) {
      const spec = hintSpec(h, this.planes, this.info);
      if (!spec) continue;
      const track = this.tracks.get(trackKey(h)) ?? {
        first: spec.start, last: spec.start, origin: spec.start, xy: Float32Array.of(spec.x, spec.y), lost: [],
      };
      out.push({ hint: h, track });
    }
    return out;
  }

  /** Points lost so far, as `colorize --json` reports them. */
  losses(): HintLoss[] {
    const out: HintLoss[] = [];
    this.file.hints.forEach((h, i) => {
      const t = this.tracks.get(trackKey(h));
      for (const l of t?.lost ?? []) out.push({ hint: h.id ?? `hints[${i}]`, index: i, ...l });
    });
    return out;
  }

  /** The hints as seen at `frame`. */
  view(frame: number): HintView[] {
    const sx = this.planes.width / this.info.width, sy = this.planes.height / this.info.height;
    const provider = (p: PlacedTrack) => trackedHintProvider([p], sx, sy)(frame);
    const placed = new Map(this.placed().map((p) => [p.hint, p]));
    return this.file.hints.map((h) => {
      const p = placed.get(h);
      const at = p ? provider(p)?.[0] : undefined;
      const t = this.tracks.get(trackKey(h));
      return {
        id: h.id!, frame: h.frame ?? Math.round((h.time ?? 0) * this.fps), x: h.x, y: h.y, color: h.color ?? abHex(h.ab),
        ...(h.size !== undefined ? { size: h.size } : {}), until: h.until ?? 'shot',
        at: at ? [at.x, at.y] : null, span: t ? { first: t.first, last: t.last } : null, tracked: t !== undefined,
      };
    });
  }

  /** Frame `index` as decoded (full size). */
  async rawFrame(index: number): Promise<RawFrame> {
    if (!Number.isInteger(index) || index < 0 || index >= this.frames) throw usageError(`frame ${index}: not a frame of this film (0..${this.frames - 1})`);
    const rgb = Buffer.allocUnsafe(this.frameBytes);
    await this.rgb.read(rgb, 0, this.frameBytes, index * this.frameBytes);
    return { index, pts: index / this.fps, width: this.info.width, height: this.info.height, rgb };
  }

  private graphOptions(): GraphOptions {
    const o = this.opts;
    const sx = this.planes.width / this.info.width, sy = this.planes.height / this.info.height;
    return {
      ...(o.size !== undefined ? { size: o.size } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      tilt: o.tilt ?? null,
      hints: this.file.hints.length ? trackedHintProvider(this.placed(), sx, sy) : null,
      smooth: null,
      restore: null,
    };
  }

  /** Colorize frame `index` with the hints as they are now (tracks computed so far). */
  async render(index: number): Promise<ColorFrame> {
    const raw = await this.rawFrame(index);
    const [f] = await lastValueFrom(of(raw).pipe(colorGraph(this.model, this.graphOptions()), toArray()));
    return f;
  }

  /**
   * The model's own top colours at film pixel (x, y) of frame `index`, with the hints as they are
   * now: modes of its distribution there (bins at least `spread` ab apart), most likely first.
   */
  async suggest(index: number, x: number, y: number, count = 6, spread = 18): Promise<Suggestion[]> {
    if (this.model.info.kind !== 'logits313') return [];
    let logits: ort.Tensor | null = null;
    const grab: OperatorFunction<ModelFrame, InferredBatch<ModelFrame>> = pipe(
      batchFrames<ModelFrame>({ size: 1 }), inferBatch(this.model), tap((b) => (logits = b.output)),
    );
    const raw = await this.rawFrame(index);
    const [f] = await lastValueFrom(of(raw).pipe(colorGraph(this.model, { ...this.graphOptions(), tilt: null, infer: grab }), toArray()));
    if (!logits) return [];
    const out = logits as ort.Tensor;
    const [, , h, w] = out.dims;
    const px = Math.min(w - 1, Math.max(0, Math.round(((x + 0.5) * w) / this.info.width - 0.5)));
    const py = Math.min(h - 1, Math.max(0, Math.round(((y + 0.5) * h) / this.info.height - 0.5)));
    const L = f.L[Math.round(y) * this.info.width + Math.round(x)];
    return topColours(out.data as Float32Array, h * w, py * w + px, L, count, spread);
  }

  /** Write the hints file (atomically: a temporary name, then renamed over `path`). */
  async save(path = this.hintsPath): Promise<string> {
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      await writeFile(temp, serializeHints(this.file));
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw outputError(`${path}: cannot save the hints (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return path;
  }

  async close(): Promise<void> {
    await this.planes.close();
    await this.rgb.close().catch(() => {});
    await rm(this.spoolDir, { recursive: true, force: true });
  }
}

function trackKey(h: Hint): string {
  return JSON.stringify([h.frame ?? null, h.time ?? null, h.x, h.y, h.until ?? 'shot']);
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}


/** A hint given as ab: shown at mid lightness. */
function abHex(ab: [number, number]): string {
  return labHex(60, ab[0], ab[1]);
}

/** Decode every frame at full size into `fh`, frame i at i * frameBytes; returns the count. */
function spoolFrames(info: MediaInfo, filters: string[], fh: FileHandle, children: ChildGroup, maxBytes: number): Promise<number> {
  const gate = new FlowGate(8);
  const frameBytes = info.width * info.height * 3;
  let frames = 0;
  return new Promise((resolve, reject) => {
    decodeFrames({
      input: info.path, width: info.width, height: info.height, gate, fps: info.fps, label: info.path,
      codecName: info.codecLongName, filters, children,
    }).pipe(concatMap(async (f) => {
      if ((f.index + 1) * frameBytes > maxBytes) throw usageError(`${info.path}: too long to edit (more than ${Math.floor(maxBytes / frameBytes)} frames at ${info.width}x${info.height}); cut the shot out first`);
      await fh.write(f.rgb, 0, frameBytes, f.index * frameBytes);
      frames = f.index + 1;
      gate.release();
    })).subscribe({ error: reject, complete: () => resolve(frames) });
  });
}
