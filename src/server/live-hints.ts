// Colour hints on a live source: a viewer's click, followed from the next frame the model gets.
// All viewers share one stream, so the hints are one shared list, announced to everyone.
//
// Per processed frame, while any hint is live: the frame's model-resolution L goes into the point
// tracker (one pyramid), its centred histogram is compared with the previous frame's (the smoothing
// stage's scene-cut test: a cut ends every hint, their content is gone), and each hint is moved
// with its rings of helper points, exactly as a file's hints are followed (hints/hint-tracks.ts:
// rings carry points on plain surfaces, a coast limit, lost when outside, failing the
// forward–backward check or the correlation check). A lost hint is dropped and reported. Hints
// placed since the last frame start on this one at the point clicked (no tracking from the frame
// the viewer saw: that frame is older, by `age` frames, and its L is not kept). Every buffer is
// made when the first hint arrives (or the model size changes), so following N hints allocates
// nothing per frame but the small positions list sent to viewers.
import { PointTracker } from '../motion/track-points.js';
import { RingStepper, lostReason, type HintTrackOptions, type LostReason, type RingPoint } from '../hints/hint-tracks.js';
import { toInputPixels, toModelPixels, type RasterHint } from '../hints/rasterize.js';
import { HIST_BINS, histogram, tvDistance } from '../smoothing/scene-cut.js';
import { SMOOTH_DEFAULTS } from '../smoothing/options.js';
import { TRACK_KEPT } from '../motion/track-options.js';
import type { HintProvider } from '../operators/apply-hints.js';
import type { ModelFrame } from '../core/frames.js';
import type { HintRequest } from './control.js';

/** Most hints live at once on one source. */
export const MAX_LIVE_HINTS = 16;

/** Why a live hint ended by itself. */
export type LiveHintLoss = LostReason | 'scene-cut';

/** What viewers are told of a hint. */
export interface LiveHintInfo {
  id: string;
  color: string;
  /** Where it is now (source pixels): where it was clicked until its first frame. */
  x: number;
  y: number;
  size: number | null;
  /** Seq of the first frame it was applied to; null while it waits for the next frame. */
  since: number | null;
  /** Frames between the one the viewer saw (its `frame`) and `since`, when both are known. */
  age: number | null;
}

/** One frame's hint positions, source pixels: [id, x, y] each (rounded to 0.1 px). */
export type HintPositions = [string, number, number][];

export interface LiveHintsOptions {
  /** Hints that ended by themselves on frame `seq` (lost by the tracker or a scene cut). */
  onLost: (lost: { id: string; reason: LiveHintLoss }[], seq: number) => void;
  /** Hints placed since the last frame started on this one (their `since` and `age` are now known). */
  onStart?: () => void;
  /** Tracker, rings and coast limit (default: as for files). */
  track?: HintTrackOptions;
  /** Scene-cut threshold on the histograms' total-variation distance (default: the smoothing stage's). */
  cutThreshold?: number;
  /** Most hints (default MAX_LIVE_HINTS). */
  max?: number;
}

interface Slot extends RingPoint {
  id: string;
  color: string;
  size: number | null;
  /** Where it was clicked, source pixels (used on its first frame). */
  clickX: number;
  clickY: number;
  clickFrame: number | null;
  since: number | null;
  /** Its entry in the list handed to the rasterizer, updated in place. */
  raster: { x: number; y: number; ab: readonly [number, number]; size?: number };
}

const round1 = (v: number) => Math.round(v * 10) / 10;

export class LiveHints {
  readonly max: number;
  private slots: Slot[] = [];
  private nextId = 1;
  private tracker: PointTracker | null = null;
  private stepper: RingStepper;
  private hist = new Float64Array(HIST_BINS);
  private prevHist = new Float64Array(HIST_BINS);
  /** The tracker's previous frame is the previous frame processed (hints were live on it). */
  private primed = false;
  private readonly raster: RasterHint[] = [];
  private readonly moving: Slot[] = [];
  private readonly lost: { id: string; reason: LiveHintLoss }[] = [];
  /** Time spent on the last frame (tracking, cut test), ms. */
  lastMs = 0;

  constructor(private readonly o: LiveHintsOptions) {
    this.max = o.max ?? MAX_LIVE_HINTS;
    this.stepper = new RingStepper(this.max, o.track);
  }

  get size(): number {
    return this.slots.length;
  }

  /** A viewer's click; null when the list is full. It applies from the next frame processed. */
  add(h: HintRequest): string | null {
    if (this.slots.length >= this.max) return null;
    const id = `h${this.nextId++}`;
    const raster = { x: h.x, y: h.y, ab: h.ab, ...(h.size !== undefined ? { size: h.size } : {}) };
    this.slots.push({
      id, color: h.color, size: h.size ?? null, clickX: h.x, clickY: h.y, clickFrame: h.frame ?? null, since: null,
      x: NaN, y: NaN, vx: 0, vy: 0, coast: 0, raster,
    });
    return id;
  }

  remove(id: string): boolean {
    const before = this.slots.length;
    this.slots = this.slots.filter((s) => s.id !== id);
    return this.slots.length !== before;
  }

  /** Drop every hint; returns how many there were. */
  clear(): number {
    const n = this.slots.length;
    this.slots = [];
    return n;
  }

  list(): LiveHintInfo[] {
    return this.slots.map((s) => ({
      id: s.id, color: s.color, x: round1(s.raster.x), y: round1(s.raster.y), size: s.size, since: s.since,
      age: s.since !== null && s.clickFrame !== null ? s.since - s.clickFrame : null,
    }));
  }

  /** For the graph's hints stage: this frame's hints (input pixels), tracked to it. */
  readonly provider: HintProvider = (_index, frame) => (frame ? this.onFrame(frame, seqOf(frame)) : null);

  /** Where each hint is on frame `frame` (set by the provider), or null when it had none. */
  static positionsOf(frame: object): HintPositions | null {
    return (frame as { livePositions?: HintPositions }).livePositions ?? null;
  }

  private onFrame(f: ModelFrame, seq: number): readonly RasterHint[] | null {
    if (this.slots.length === 0) {
      this.primed = false;
      return null;
    }
    const t0 = performance.now();
    const mw = f.modelWidth, mh = f.modelHeight;
    if (!this.tracker || this.tracker.width !== mw || this.tracker.height !== mh) {
      this.tracker = new PointTracker(mw, mh, this.o.track?.tracker);
      this.primed = false;
    }
    const sx = mw / f.width, sy = mh / f.height;
    this.tracker.pushFrame(f.modelL);
    [this.hist, this.prevHist] = [this.prevHist, this.hist];
    histogram(f.modelL, mw * mh, this.hist);
    const lost = this.lost;
    lost.length = 0;
    if (this.primed) {
      const moving = this.moving;
      moving.length = 0;
      for (const s of this.slots) if (s.since !== null) moving.push(s);
      if (moving.length && tvDistance(this.hist, this.prevHist) > (this.o.cutThreshold ?? SMOOTH_DEFAULTS.cutThreshold)) {
        for (const s of this.slots) lost.push({ id: s.id, reason: 'scene-cut' });
      } else if (moving.length) {
        const status = this.stepper.step(this.tracker, moving);
        for (let j = 0; j < moving.length; j++) if (status[j] !== TRACK_KEPT) lost.push({ id: moving[j].id, reason: lostReason(status[j]) });
      }
    }
    if (lost.length) {
      this.slots = this.slots.filter((s) => !lost.some((l) => l.id === s.id));
      this.o.onLost(lost.slice(), seq);
    }
    const raster = this.raster;
    raster.length = 0;
    const positions: HintPositions = [];
    let started = false;
    for (const s of this.slots) {
      if (s.since === null) {
        started = true;
        // Placed since the last frame: starts here, where it was clicked.
        s.since = seq;
        s.x = toModelPixels(s.clickX, sx);
        s.y = toModelPixels(s.clickY, sy);
        s.vx = s.vy = s.coast = 0;
      }
      s.raster.x = toInputPixels(s.x, sx);
      s.raster.y = toInputPixels(s.y, sy);
      raster.push(s.raster);
      positions.push([s.id, round1(s.raster.x), round1(s.raster.y)]);
    }
    this.primed = this.slots.length > 0;
    (f as { livePositions?: HintPositions }).livePositions = positions;
    this.lastMs = performance.now() - t0;
    if (started) this.o.onStart?.();
    return raster.length ? raster : null;
  }
}

/** A live frame's seq (live-graph.ts FrameMarks), else its index. */
function seqOf(f: ModelFrame): number {
  return (f as { live?: { seq: number } }).live?.seq ?? f.index;
}
