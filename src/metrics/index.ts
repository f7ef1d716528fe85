// Video quality metrics for colorized footage: temporal flicker along optical flow, the warping
// error of Lai et al. (2018), colour distribution consistency (CDC), colourfulness, and, with the
// colour original, AuC / class-balanced AuC / PSNR plus the original's own temporal figures (real
// footage is not flicker-free either: compare against it, not against zero).
//
// Frames are decoded by ffmpeg, area-scaled to a working size (long side 320 by default), and
// streamed two at a time. The optical flow of each consecutive pair is computed once, on the
// original's L when there is an original (else on the colorized video's L), and shared by every
// temporal metric of every video being measured.
import { probeMedia } from '../media/probe.js';
import { inputError } from '../core/errors.js';
import { FlowEstimator, consistencyMask, type FlowOptions } from '../motion/flow.js';
import { FlickerMeter } from './flicker.js';
import { WarpingErrorMeter } from './warping-error.js';
import { CdcMeter } from './cdc.js';
import { AccuracyMeter, colorfulness } from './accuracy.js';
import { allocLab, rgbToLabPlanes, type LabPlanes } from './lab-planes.js';
import { readRgbFrames, metricSize } from './frames.js';

export { FlowEstimator, consistencyMask, meanEndpointError, sampleBilinear } from '../motion/flow.js';
export type { FlowOptions } from '../motion/flow.js';
export { FlickerMeter } from './flicker.js';
export { WarpingErrorMeter } from './warping-error.js';
export { CdcMeter, CDC_GAPS, jsDivergence } from './cdc.js';
export { AccuracyMeter, abClass, colorfulness, AUC_MAX_THRESHOLD } from './accuracy.js';
export { allocLab, rgbToLabPlanes, type LabPlanes } from './lab-planes.js';
export { readRgbFrames, metricSize } from './frames.js';

/** Temporal figures of one video. null where the clip is too short (a single frame). */
export interface TemporalMetrics {
  /** Mean |delta ab| along the flow over non-occluded pixels, Lab units. */
  flicker: number | null;
  /** Lai et al. 2018 warping error: mean squared RGB ([0, 1]) difference to the flow-warped previous frame. */
  warpingError: number | null;
  /** Colour distribution consistency: JS divergence of RGB histograms, gaps 1, 2, 4 (natural log). */
  cdc: number | null;
  /** Mean per-frame colourfulness (Hasler & Süsstrunk). */
  colorfulness: number;
}

export interface AccuracyMetrics {
  /** AuC of the cumulative ab-error curve, thresholds 0..150, in 0..100. */
  auc: number;
  /** The same with every true 313-bin colour class weighted equally, in 0..100. */
  aucBalanced: number;
  /** Mean per-frame PSNR of the 8-bit sRGB frames, dB (capped at 100). */
  psnr: number;
  /** Colourfulness of the colorized video / that of the original. */
  colorfulnessRatio: number | null;
  /** Flicker of the colorized video / the original's own flicker. */
  flickerRatio: number | null;
}

export interface VideoMetrics {
  colorized: string;
  original: string | null;
  /** Frames measured (both videos: the shorter one's count). */
  frames: number;
  /** The working size the metrics were computed at. */
  width: number;
  height: number;
  /** Which video the optical flow was computed on. */
  flowFrom: 'original' | 'colorized';
  /** Mean fraction of pixels kept by the forward–backward check. */
  nonOccluded: number | null;
  video: TemporalMetrics;
  /** The original's own temporal figures (with an original). */
  reference: TemporalMetrics | null;
  accuracy: AccuracyMetrics | null;
  notes: string[];
  seconds: number;
}

export interface MeasureOptions {
  /** Working size: long side in pixels (default 320); 0 measures at the colorized video's own size. */
  longSide?: number;
  /** Measure at most this many frames. Default: all. */
  maxFrames?: number;
  /** Optical flow settings. Default: FlowEstimator's defaults. */
  flow?: FlowOptions;
}

export const DEFAULT_METRIC_LONG_SIDE = 320;

/** A sequence of packed rgb24 frames at the working size. */
export type FrameSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Optical flow and occlusion mask for each consecutive pair of a reference L sequence. */
export class PairFlow {
  /** Flow from the current frame to the previous one (planar u, v). */
  readonly back: Float32Array;
  /** Flow from the previous frame to the current one. */
  readonly fwd: Float32Array;
  /** Non-occluded pixels of the current frame. */
  readonly mask: Uint8Array;
  /** Fraction of the current frame's pixels in the mask. */
  kept = 0;
  private prevL: Float32Array;
  private curL: Float32Array;
  private frames = 0;
  private readonly estimator: FlowEstimator;

  constructor(readonly width: number, readonly height: number, opts?: FlowOptions) {
    const n = width * height;
    this.back = new Float32Array(2 * n);
    this.fwd = new Float32Array(2 * n);
    this.mask = new Uint8Array(n);
    this.prevL = new Float32Array(n);
    this.curL = new Float32Array(n);
    this.estimator = new FlowEstimator(width, height, opts);
  }

  /** Add the next frame's L; true when a pair (previous, this) is ready in back / fwd / mask. */
  push(L: Float32Array): boolean {
    const t = this.prevL;
    this.prevL = this.curL;
    this.curL = t;
    this.curL.set(L.subarray(0, this.width * this.height));
    if (this.frames++ === 0) return false;
    this.estimator.compute(this.curL, this.prevL, this.back);
    this.estimator.compute(this.prevL, this.curL, this.fwd);
    this.kept = consistencyMask(this.back, this.fwd, this.width, this.height, this.mask) / (this.width * this.height);
    return true;
  }
}

/** Temporal meters of one video fed frame by frame. */
class TemporalMeter {
  readonly flicker: FlickerMeter;
  readonly warp: WarpingErrorMeter;
  readonly cdc = new CdcMeter();
  private colorSum = 0;
  private frames = 0;
  lab: LabPlanes;
  private prevLab: LabPlanes;

  constructor(readonly width: number, readonly height: number) {
    this.flicker = new FlickerMeter(width, height);
    this.warp = new WarpingErrorMeter(width, height);
    this.lab = allocLab(width, height);
    this.prevLab = allocLab(width, height);
  }

  /** Convert the frame to Lab (into `lab`); call before `add`. */
  prepare(rgb: Uint8Array): void {
    const t = this.prevLab;
    this.prevLab = this.lab;
    this.lab = t;
    rgbToLabPlanes(rgb, this.lab);
  }

  add(rgb: Uint8Array, flow: PairFlow | null): void {
    const n = this.width * this.height;
    if (flow && this.frames > 0) {
      this.flicker.addPair(this.prevLab.a, this.prevLab.b, this.lab.a, this.lab.b, flow.back, flow.mask);
      this.warp.addPair(rgb, flow.back, flow.mask);
    }
    this.warp.setPrevious(rgb);
    this.cdc.add(rgb, n);
    this.colorSum += colorfulness(rgb, n);
    this.frames++;
  }

  result(): TemporalMetrics {
    return {
      flicker: this.flicker.value,
      warpingError: this.warp.value,
      cdc: this.cdc.value,
      colorfulness: this.frames ? this.colorSum / this.frames : 0,
    };
  }
}

function iteratorOf(src: FrameSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  const a = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator];
  return a ? a.call(src) : (src as Iterable<Uint8Array>)[Symbol.iterator]();
}

export interface StreamsInput {
  width: number;
  height: number;
  /** The colour original, when there is one. */
  original?: FrameSource | null;
  /** One or more colorized versions of the same clip, by name; all are measured in one pass. */
  colorized: Record<string, FrameSource>;
  maxFrames?: number;
  flow?: FlowOptions;
}

export interface StreamsResult {
  frames: number;
  nonOccluded: number | null;
  flowFrom: 'original' | 'colorized';
  /** Frames per source when the sources had different lengths (the extra frames are ignored). */
  lengthMismatch: boolean;
  reference: TemporalMetrics | null;
  videos: Record<string, { video: TemporalMetrics; accuracy: AccuracyMetrics | null }>;
}

/**
 * Measure frame sequences already at the working size. Every colorized sequence shares the
 * optical flow (computed once per pair on the original's L, else on the first colorized one's).
 */
export async function measureStreams(input: StreamsInput): Promise<StreamsResult> {
  const { width, height } = input;
  const n = width * height;
  const names = Object.keys(input.colorized);
  if (!names.length) throw new RangeError('measureStreams: no colorized source');
  const its = names.map((k) => iteratorOf(input.colorized[k]));
  const origIt = input.original ? iteratorOf(input.original) : null;
  const meters = names.map(() => new TemporalMeter(width, height));
  const acc = origIt ? names.map(() => new AccuracyMeter()) : null;
  const ref = origIt ? new TemporalMeter(width, height) : null;
  const flow = new PairFlow(width, height, input.flow);
  let frames = 0, keptSum = 0, pairs = 0;
  let lengthMismatch = false;
  const max = input.maxFrames ?? Infinity;
  try {
    while (frames < max) {
      const got = await Promise.all([...(origIt ? [origIt.next()] : []), ...its.map((it) => it.next())]);
      const done = got.filter((r) => r.done).length;
      if (done) {
        lengthMismatch = done !== got.length;
        break;
      }
      const frameOf = (r: IteratorResult<Uint8Array>) => {
        const f = r.value as Uint8Array;
        if (f.length < 3 * n) throw inputError(`frame ${frames}: ${f.length} bytes, expected ${3 * n}`);
        return f;
      };
      const origRgb = origIt ? frameOf(got[0]) : null;
      const rgbs = got.slice(origIt ? 1 : 0).map(frameOf);
      if (ref && origRgb) ref.prepare(origRgb);
      meters.forEach((m, i) => m.prepare(rgbs[i]));
      const pair = flow.push(ref ? ref.lab.L : meters[0].lab.L);
      if (pair) {
        keptSum += flow.kept;
        pairs++;
      }
      if (ref && origRgb) ref.add(origRgb, pair ? flow : null);
      meters.forEach((m, i) => {
        m.add(rgbs[i], pair ? flow : null);
        if (acc && ref && origRgb) acc[i].add(m.lab.a, m.lab.b, ref.lab.a, ref.lab.b, rgbs[i], origRgb, n);
      });
      frames++;
    }
  } finally {
    for (const it of [origIt, ...its]) await it?.return?.();
  }
  if (!frames) throw inputError('no frames to measure');
  const reference = ref ? ref.result() : null;
  const videos: StreamsResult['videos'] = {};
  names.forEach((k, i) => {
    const video = meters[i].result();
    let accuracy: AccuracyMetrics | null = null;
    if (acc && reference) {
      accuracy = {
        auc: acc[i].auc ?? 0,
        aucBalanced: acc[i].aucBalanced ?? 0,
        psnr: acc[i].psnr ?? 0,
        colorfulnessRatio: reference.colorfulness > 0 ? video.colorfulness / reference.colorfulness : null,
        flickerRatio: video.flicker !== null && reference.flicker ? video.flicker / reference.flicker : null,
      };
    }
    videos[k] = { video, accuracy };
  });
  return { frames, nonOccluded: pairs ? keptSum / pairs : null, flowFrom: ref ? 'original' : 'colorized', lengthMismatch, reference, videos };
}

/**
 * Measure a colorized video file, optionally against its colour original. Both are decoded by
 * ffmpeg and scaled to the working size (the colorized video's aspect, long side `longSide`).
 */
export async function measureVideo(colorized: string, original?: string | null, opts: MeasureOptions = {}): Promise<VideoMetrics> {
  const started = performance.now();
  const info = await probeMedia(colorized);
  if (info.still) throw inputError(`${colorized}: a still image; metrics need a video`);
  const notes: string[] = [];
  let origInfo = null;
  if (original) {
    origInfo = await probeMedia(original);
    if (origInfo.still) throw inputError(`${original}: a still image; the original must be a video`);
    const ar = info.width / info.height, ao = origInfo.width / origInfo.height;
    if (Math.abs(ar - ao) / ao > 0.02) {
      throw inputError(`${colorized} is ${info.width}x${info.height} but ${original} is ${origInfo.width}x${origInfo.height}: different aspect ratios, not the same clip`);
    }
  }
  const size = metricSize(info.width, info.height, opts.longSide ?? DEFAULT_METRIC_LONG_SIDE);
  const read = (p: string) => readRgbFrames(p, { ...size, maxFrames: opts.maxFrames });
  const r = await measureStreams({
    ...size,
    original: original ? read(original) : null,
    colorized: { video: read(colorized) },
    maxFrames: opts.maxFrames,
    flow: opts.flow,
  });
  if (r.lengthMismatch) {
    notes.push(`the videos have different lengths (${info.frames ?? '?'} vs ${origInfo?.frames ?? '?'} frames); measured the first ${r.frames}`);
  }
  if (r.frames < 2) notes.push('a single frame: no temporal metrics');
  return {
    colorized,
    original: original ?? null,
    frames: r.frames,
    ...size,
    flowFrom: r.flowFrom,
    nonOccluded: r.nonOccluded,
    video: r.videos.video.video,
    reference: r.reference,
    accuracy: r.videos.video.accuracy,
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}
