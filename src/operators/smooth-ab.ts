// Stage: temporal smoothing of the ab predictions (the slot between the annealed mean and
// composition). A per-pixel recursive filter in normalised form,
//
//   N_t(p) = x_t(p) + alpha · sum_j w_j(p) N_{t-1}(q_j),   D_t(p) = 1 + alpha · sum_j w_j(p) D_{t-1}(q_j),
//   output = N_t / D_t,
//
// where x_t is the frame's predicted ab and alpha the strength. The q_j are the four bilinear taps
// around where p was in the previous frame (along the optical flow, or in place) and w_j their
// bilinear weights times the L similarity exp(-(L_t(p) - L_{t-1}(q_j))^2 / tau^2), times the
// forward–backward consistency of the flow at p. Where the L does not match (a moving edge, an
// uncovered background, an occlusion) the weights vanish and the state restarts from the
// prediction, so moving objects leave no colour trail and colour never leaks across an object's
// boundary. For objects whose L matches their background the carried colour is also compared with
// this frame's prediction, and history of a clearly different colour is dropped. The
// normalisation (D) makes a restarted pixel's weights sum to one from its first frame.
//
//  - causal: each frame is emitted as soon as it arrives (live sources: zero frames of latency).
//  - lookahead (files): frame t waits for frames t+1..t+W and is smoothed both ways:
//        (N_t + N'_t - x_t) / (D_t + D'_t - 1)
//    with N', D' the same recursion run backwards from t+W to t (a symmetric exponential kernel, so
//    no lag). Frames are flushed when the source completes.
//
// Scene cuts (total-variation distance between the mean-centred L histograms of consecutive frames
// above a threshold, or a change of frame geometry) reset the state: the first frame of a shot is the
// prediction unchanged, and no frame mixes with frames of another shot.
//
// Each record's `ab` is overwritten in place with its smoothed values when it is emitted. All
// per-pixel work is in typed arrays allocated once per frame geometry.
import { Observable, type OperatorFunction } from 'rxjs';
import { PlaneResampler } from '../color/resample.js';
import { FlowEstimator, consistencyMask } from '../motion/flow.js';
import { usageError } from '../core/errors.js';
import type { AbFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export type SmoothPreset = 'off' | 'low' | 'medium' | 'high';
/** A preset or a number in 0..1 (0 = off). */
export type SmoothStrength = SmoothPreset | number;
export type SmoothMode = 'causal' | 'lookahead';
/** How the previous state is carried to the current frame. */
export type SmoothMotion = 'flow' | 'gate' | 'none';

/** The per-frame history weight (alpha) of each preset. */
export const SMOOTH_PRESETS: Readonly<Record<SmoothPreset, number>> = { off: 0, low: 0.5, medium: 0.75, high: 0.9 };
/** The default strength for video (files and live) and for stills (a single frame: nothing to smooth). */
export const DEFAULT_VIDEO_SMOOTH: SmoothPreset = 'medium';
export const DEFAULT_STILL_SMOOTH: SmoothPreset = 'off';
/** Highest alpha used: above it the filter would barely follow real colour changes. */
export const MAX_ALPHA = 0.97;

/**
 * Defaults, chosen with bench/smoothing.ts on the dev clips (an intermediate checkpoint of the
 * default model, 60 frames at 320 px): flow beat the in-place gate wherever the camera moves (davis_car-roundabout: flicker 1.31 -> 0.88
 * look-ahead with flow, 1.19 with the gate); tau 8 kept more history than tau 4 (gate 0.82 vs 0.70
 * on a pan) at no accuracy cost; the forward-backward check cost a second flow in causal mode and
 * gave no measurable gain once the L and colour tests were there; W beyond 3 changed nothing.
 */
export const SMOOTH_DEFAULTS = {
  mode: 'causal' as SmoothMode,
  motion: 'flow' as SmoothMotion,
  window: 6,
  motionThreshold: 8,
  cutThreshold: 0.2,
  flowScale: 2,
  consistencyCheck: false,
  colorThreshold: 30,
};

export interface SmoothOptions {
  /** 'causal' (live: no look-ahead) or 'lookahead' (files: a window of future frames). Default causal. */
  mode?: SmoothMode;
  /** A preset, a number in 0..1, or a function read once per frame (live clients). Default 'medium'. */
  strength?: SmoothStrength | (() => number);
  /**
   * Look-ahead frames W (default 6). The stage holds W frames, which keep their FlowGate slots: the
   * file graph stalls unless W + batch <= its in-flight limit (defaults: batch 4, limit 16, so W <= 12).
   */
  window?: number;
  /** Motion handling: 'flow' (default: follow the optical flow), 'gate' (in place, L-similarity weights only), 'none' (a plain EMA: trails). */
  motion?: SmoothMotion;
  /** L difference tau (CIE L units, at ab resolution) at which a tap's weight falls to 1/e (default 4). */
  motionThreshold?: number;
  /**
   * Histogram distance (total variation of mean-centred 32-bin L histograms, 0..1) above which a
   * frame starts a new shot (default 0.2: consecutive frames of the dev clips stay under 0.09, cuts
   * between them measure 0.24 to 0.59).
   */
  cutThreshold?: number;
  /** Resolution of the flow relative to the ab planes (default 2: twice the ab size, from modelL). */
  flowScale?: number;
  /**
   * Colour difference (ab units) between the carried history and this frame's prediction at which
   * the history weight falls to 1/e (default 30; 0 disables): catches objects whose L matches
   * their background, which the L test cannot see.
   */
  colorThreshold?: number;
  /** Flow mode: also compute the reverse flow and drop pixels failing the forward-backward check (default false: a second flow in causal mode, no measured gain). */
  consistencyCheck?: boolean;
  /** Called for every detected cut (not for the first frame) with the frame index and the histogram distance. */
  onCut?: (index: number, distance: number) => void;
  /** Charges the stage's time to 'smooth'. */
  timer?: StageTimer;
}

/** A strength (preset or number) as the filter's alpha in 0..MAX_ALPHA. */
export function smoothingAlpha(s: SmoothStrength): number {
  const v = typeof s === 'number' ? s : SMOOTH_PRESETS[s];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`invalid smoothing strength: ${String(s)}`);
  return Math.min(MAX_ALPHA, Math.max(0, v));
}

/**
 * The CLI's `--smooth off|low|medium|high|<number>`: the filter's alpha (0 = off). Numbers are in
 * 0..1. Throws a usage error otherwise.
 */
export function parseSmoothOption(s: string): number {
  const t = s.trim().toLowerCase();
  if (Object.hasOwn(SMOOTH_PRESETS, t)) return SMOOTH_PRESETS[t as SmoothPreset];
  const v = Number(t);
  if (t === '' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw usageError(`--smooth: expected off, low, medium, high or a number from 0 to 1, got '${s}'`);
  }
  return Math.min(MAX_ALPHA, v);
}

const HIST_BINS = 32;

/**
 * How one frame (A) reads the state of a neighbouring frame (B): for each pixel of A, the four
 * bilinear taps around where it lies in B (along the flow, or in place), each weighted by its
 * bilinear weight times the L similarity exp(-(L_A(p) - L_B(tap))^2 / tau^2), times the
 * forward-backward consistency of the flow at p. Taps of another surface (a moving edge, an
 * uncovered background) get ~0 weight, so colour never leaks across an object boundary even when
 * the flow there is smeared; the sum of a pixel's weights (<= 1) is its history gate.
 */
class Link {
  readonly idx: Int32Array;
  readonly wt: Float32Array;
  constructor(n: number) {
    this.idx = new Int32Array(4 * n);
    this.wt = new Float32Array(4 * n);
  }

  /**
   * Build from A's L (`la`), B's L (`lb`), the flow A -> B at ab resolution (null: in place), the
   * per-pixel consistency (null: all 1) and the global L offset mean(A) - mean(B) (exposure flicker
   * of old film is not motion).
   */
  build(
    la: Float32Array, lb: Float32Array, w: number, h: number, flow: Float32Array | null, ok: Float32Array | null,
    invTau2: number, offset: number,
  ): void {
    const { idx, wt } = this;
    const n = w * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x, q = 4 * i;
        let sx = x, sy = y;
        if (flow) {
          sx += flow[i];
          sy += flow[n + i];
        }
        const c = ok ? ok[i] : 1;
        if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5 || c === 0) {
          idx[q] = idx[q + 1] = idx[q + 2] = idx[q + 3] = 0;
          wt[q] = wt[q + 1] = wt[q + 2] = wt[q + 3] = 0;
          continue;
        }
        if (sx < 0) sx = 0;
        else if (sx > w - 1) sx = w - 1;
        if (sy < 0) sy = 0;
        else if (sy > h - 1) sy = h - 1;
        const x0 = sx | 0, y0 = sy | 0;
        const x1 = x0 < w - 1 ? x0 + 1 : x0, y1 = y0 < h - 1 ? y0 + 1 : y0;
        const fx = sx - x0, fy = sy - y0;
        const l = la[i] - offset;
        const i00 = y0 * w + x0, i01 = y0 * w + x1, i10 = y1 * w + x0, i11 = y1 * w + x1;
        let d = l - lb[i00];
        const w00 = (1 - fx) * (1 - fy) * Math.exp(-d * d * invTau2);
        d = l - lb[i01];
        const w01 = fx * (1 - fy) * Math.exp(-d * d * invTau2);
        d = l - lb[i10];
        const w10 = (1 - fx) * fy * Math.exp(-d * d * invTau2);
        d = l - lb[i11];
        const w11 = fx * fy * Math.exp(-d * d * invTau2);
        idx[q] = i00;
        idx[q + 1] = i01;
        idx[q + 2] = i10;
        idx[q + 3] = i11;
        wt[q] = c * w00;
        wt[q + 1] = c * w01;
        wt[q + 2] = c * w10;
        wt[q + 3] = c * w11;
      }
    }
  }

  /**
   * outN = x + a * k * sum(w * srcN[taps]), outD = 1 + a * k * sum(w * srcD[taps]) (planar a, b in
   * N), where k = exp(-|carried colour - ref|^2 / sigma^2) compares the colour the taps carry
   * (sum w N / sum w D) with this frame's prediction `ref`: history of a clearly different colour
   * (an object of the same L as its background) is not blended in. invSigma2 = 0 disables it.
   */
  apply(
    x: Float32Array, a: number, srcN: Float32Array, srcD: Float32Array, outN: Float32Array, outD: Float32Array, n: number,
    ref: Float32Array, invSigma2: number,
  ): void {
    const { idx, wt } = this;
    for (let i = 0, q = 0; i < n; i++, q += 4) {
      const j0 = idx[q], j1 = idx[q + 1], j2 = idx[q + 2], j3 = idx[q + 3];
      const w0 = wt[q], w1 = wt[q + 1], w2 = wt[q + 2], w3 = wt[q + 3];
      const sa = w0 * srcN[j0] + w1 * srcN[j1] + w2 * srcN[j2] + w3 * srcN[j3];
      const sb = w0 * srcN[n + j0] + w1 * srcN[n + j1] + w2 * srcN[n + j2] + w3 * srcN[n + j3];
      const sd = w0 * srcD[j0] + w1 * srcD[j1] + w2 * srcD[j2] + w3 * srcD[j3];
      let k = a;
      if (invSigma2 > 0 && sd > 1e-6) {
        const da = sa / sd - ref[i], db = sb / sd - ref[n + i];
        k *= Math.exp(-(da * da + db * db) * invSigma2);
      }
      outN[i] = x[i] + k * sa;
      outN[n + i] = x[n + i] + k * sb;
      outD[i] = 1 + k * sd;
    }
  }
}

/** Everything sized by one frame geometry. */
class Geometry {
  readonly n: number;
  readonly fw: number;
  readonly fh: number;
  readonly toAb: PlaneResampler;
  readonly toFlow: PlaneResampler | null;
  readonly flow: FlowEstimator | null;
  // L at ab resolution (current, previous) and at flow resolution.
  L: Float32Array;
  prevL: Float32Array;
  Lf: Float32Array;
  prevLf: Float32Array;
  hist = new Float64Array(HIST_BINS);
  prevHist = new Float64Array(HIST_BINS);
  /** Mean L of this frame and of the previous one. */
  mean = 0;
  prevMean = 0;
  // Forward state (N, D) and its double buffer.
  N: Float32Array;
  D: Float32Array;
  N2: Float32Array;
  D2: Float32Array;
  /** This frame -> the previous one. */
  readonly back: Link;
  /** Flow res: this frame -> previous (flowB), previous -> this (flowF), and their consistency masks. */
  readonly flowB: Float32Array;
  readonly flowF: Float32Array;
  readonly maskB: Uint8Array;
  readonly maskF: Uint8Array;
  /** At ab res: the flows, and the fraction of forward-backward consistent pixels (this frame's, previous frame's). */
  readonly flowAbB: Float32Array;
  readonly flowAbF: Float32Array;
  readonly okB: Float32Array;
  readonly okF: Float32Array;

  constructor(
    readonly modelW: number, readonly modelH: number, readonly abW: number, readonly abH: number,
    motion: SmoothMotion, flowScale: number,
  ) {
    const n = (this.n = abW * abH);
    this.toAb = new PlaneResampler(modelW, modelH, abW, abH);
    const useFlow = motion === 'flow';
    const fs = useFlow ? Math.max(1, Math.round(flowScale)) : 1;
    this.fw = abW * fs;
    this.fh = abH * fs;
    this.toFlow = useFlow ? new PlaneResampler(modelW, modelH, this.fw, this.fh) : null;
    this.flow = useFlow ? new FlowEstimator(this.fw, this.fh, { radius: 2, minSize: 8, levels: 4 }) : null;
    const nf = useFlow ? this.fw * this.fh : 0;
    const nn = useFlow ? n : 0;
    this.L = new Float32Array(n);
    this.prevL = new Float32Array(n);
    this.Lf = new Float32Array(nf);
    this.prevLf = new Float32Array(nf);
    this.N = new Float32Array(2 * n);
    this.D = new Float32Array(n);
    this.N2 = new Float32Array(2 * n);
    this.D2 = new Float32Array(n);
    this.back = new Link(n);
    this.flowB = new Float32Array(2 * nf);
    this.flowF = new Float32Array(2 * nf);
    this.maskB = new Uint8Array(nf);
    this.maskF = new Uint8Array(nf);
    this.flowAbB = new Float32Array(2 * nn);
    this.flowAbF = new Float32Array(2 * nn);
    this.okB = new Float32Array(nn);
    this.okF = new Float32Array(nn);
  }

  /** The current frame's planes become the previous frame's (buffers swap, nothing is copied). */
  swapFrames(): void {
    let t = this.L;
    this.L = this.prevL;
    this.prevL = t;
    t = this.Lf;
    this.Lf = this.prevLf;
    this.prevLf = t;
    const h = this.hist;
    this.hist = this.prevHist;
    this.prevHist = h;
  }

  /** The state just written to N2 / D2 becomes the state. */
  swapState(): void {
    let t = this.N;
    this.N = this.N2;
    this.N2 = t;
    t = this.D;
    this.D = this.D2;
    this.D2 = t;
  }

  matches(f: AbFrame): boolean {
    return f.abWidth === this.abW && f.abHeight === this.abH && f.modelWidth === this.modelW && f.modelHeight === this.modelH;
  }
}

/** A frame waiting in the look-ahead window. */
interface Slot {
  frame: AbFrame | null;
  /** This frame starts a shot. */
  cut: boolean;
  /** Forward state after this frame. */
  N: Float32Array;
  D: Float32Array;
  /** How this frame reads the next one (valid once the next arrived and is not a cut). */
  next: Link;
  /** This frame's L at ab resolution, and its mean. */
  L: Float32Array;
  mean: number;
}

/**
 * The smoothing state machine behind `smoothAb`, usable directly: `push` each frame in order,
 * `flush` at the end; frames come out through `emit`, in order, with `ab` smoothed in place.
 */
export class AbSmoother {
  private readonly mode: SmoothMode;
  private readonly motion: SmoothMotion;
  private readonly window: number;
  private readonly invTau2: number;
  private readonly invSigma2: number;
  private readonly cutThreshold: number;
  private readonly flowScale: number;
  private readonly check: boolean;
  private readonly alpha: () => number;
  private geo: Geometry | null = null;
  private slots: Slot[] = [];
  private head = 0;
  private count = 0;
  /** Frames since the last reset (0 = next frame starts a shot). */
  private run = 0;
  // Backward pass buffers (look-ahead).
  private bN = new Float32Array(0);
  private bD = new Float32Array(0);
  private bN2 = new Float32Array(0);
  private bD2 = new Float32Array(0);

  constructor(private readonly opts: SmoothOptions = {}) {
    this.mode = opts.mode ?? SMOOTH_DEFAULTS.mode;
    this.motion = opts.motion ?? SMOOTH_DEFAULTS.motion;
    this.window = Math.max(1, Math.floor(opts.window ?? SMOOTH_DEFAULTS.window));
    const tau = opts.motionThreshold ?? SMOOTH_DEFAULTS.motionThreshold;
    this.invTau2 = tau > 0 ? 1 / (tau * tau) : 0;
    const sigma = opts.colorThreshold ?? SMOOTH_DEFAULTS.colorThreshold;
    this.invSigma2 = sigma > 0 ? 1 / (sigma * sigma) : 0;
    this.cutThreshold = opts.cutThreshold ?? SMOOTH_DEFAULTS.cutThreshold;
    this.flowScale = opts.flowScale ?? SMOOTH_DEFAULTS.flowScale;
    this.check = opts.consistencyCheck ?? SMOOTH_DEFAULTS.consistencyCheck;
    const s = opts.strength ?? DEFAULT_VIDEO_SMOOTH;
    if (typeof s === 'function') {
      this.alpha = () => {
        const v = s();
        return Number.isFinite(v) ? Math.min(MAX_ALPHA, Math.max(0, v)) : 0;
      };
    } else {
      const a = smoothingAlpha(s);
      this.alpha = () => a;
    }
    if (!['causal', 'lookahead'].includes(this.mode)) throw new RangeError(`smoothAb: unknown mode '${this.mode}'`);
    if (!['flow', 'gate', 'none'].includes(this.motion)) throw new RangeError(`smoothAb: unknown motion '${this.motion}'`);
  }

  /** Frames held back (look-ahead only). */
  get pending(): number {
    return this.count;
  }

  push(f: AbFrame, emit: (f: AbFrame) => void): void {
    let g = this.geo;
    if (!g || !g.matches(f)) {
      this.flush(emit);
      g = this.geo = new Geometry(f.modelWidth, f.modelHeight, f.abWidth, f.abHeight, this.motion, this.flowScale);
      const n = g.n;
      if (this.mode === 'lookahead') {
        this.slots = Array.from({ length: this.window + 1 }, () => ({
          frame: null, cut: true, N: new Float32Array(2 * n), D: new Float32Array(n), next: new Link(n), L: new Float32Array(n), mean: 0,
        }));
        this.bN = new Float32Array(2 * n);
        this.bD = new Float32Array(n);
        this.bN2 = new Float32Array(2 * n);
        this.bD2 = new Float32Array(n);
      }
      this.head = 0;
      this.count = 0;
      this.run = 0;
    }
    // L of this frame at ab (and flow) resolution, and its histogram.
    g.swapFrames();
    g.toAb.run(f.modelL, g.L);
    if (g.toFlow) {
      // Zero-mean L for the flow: brightness constancy then survives exposure flicker.
      g.toFlow.run(f.modelL, g.Lf);
      const nf = g.Lf.length;
      let m = 0;
      for (let i = 0; i < nf; i++) m += g.Lf[i];
      m /= nf;
      for (let i = 0; i < nf; i++) g.Lf[i] -= m;
    }
    g.prevMean = g.mean;
    g.mean = histogram(g.L, g.n, g.hist);
    let cut = this.run === 0;
    if (!cut) {
      const d = tvDistance(g.hist, g.prevHist);
      if (d > this.cutThreshold) {
        cut = true;
        this.opts.onCut?.(f.index, d);
      }
    }
    const x = f.ab;
    const n = g.n;
    const a = this.alpha();
    // Causal at strength 0 (a live viewer switched smoothing off): pass through, skip the flow.
    const idle = this.mode === 'causal' && a === 0;
    if (cut || idle) {
      g.N.set(x.subarray(0, 2 * n));
      g.D.fill(1);
      this.run = cut ? 1 : this.run + 1;
    } else {
      const flow = this.motion === 'flow';
      if (flow) this.flows(g);
      if (this.motion === 'none') g.back.build(g.L, g.L, g.abW, g.abH, null, null, 0, 0);
      else g.back.build(g.L, g.prevL, g.abW, g.abH, flow ? g.flowAbB : null, flow ? g.okB : null, this.invTau2, g.mean - g.prevMean);
      g.back.apply(x, a, g.N, g.D, g.N2, g.D2, n, x, this.invSigma2);
      g.swapState();
      this.run++;
    }
    if (this.mode === 'causal') {
      if (!cut && !idle) {
        const { N, D } = g;
        for (let i = 0; i < n; i++) {
          const inv = 1 / D[i];
          x[i] = N[i] * inv;
          x[n + i] = N[n + i] * inv;
        }
      }
      emit(f);
      return;
    }
    // Look-ahead: link the previous slot to this frame, store this one, emit the oldest when the window is full.
    if (!cut && this.count > 0) {
      const prev = this.slotAt(this.count - 1);
      const flow = this.motion === 'flow';
      if (this.motion === 'none') prev.next.build(prev.L, prev.L, g.abW, g.abH, null, null, 0, 0);
      else prev.next.build(prev.L, g.L, g.abW, g.abH, flow ? g.flowAbF : null, flow ? g.okF : null, this.invTau2, prev.mean - g.mean);
    }
    const s = this.slotAt(this.count);
    s.frame = f;
    s.cut = cut;
    s.N.set(g.N);
    s.D.set(g.D);
    s.L.set(g.L);
    s.mean = g.mean;
    this.count++;
    if (this.count > this.window) this.emitOldest(emit);
  }

  /** Emit every frame still held (end of stream, or before a geometry change). */
  flush(emit: (f: AbFrame) => void): void {
    while (this.count > 0) this.emitOldest(emit);
  }

  private slotAt(k: number): Slot {
    return this.slots[(this.head + k) % this.slots.length];
  }

  /**
   * Flow between the previous frame and this one, both ways, at flow resolution; the forward–backward
   * consistency masks (occlusions, flow failures); and their reduction to ab resolution.
   */
  private flows(g: Geometry): void {
    const { fw, fh, abW: w, abH: h } = g;
    const both = this.check || this.mode === 'lookahead';
    g.flow!.compute(g.Lf, g.prevLf, g.flowB);
    if (both) g.flow!.compute(g.prevLf, g.Lf, g.flowF);
    reduceFlow(g.flowB, fw, fh, g.flowAbB, w, h);
    if (this.check) {
      consistencyMask(g.flowB, g.flowF, fw, fh, g.maskB);
      reduceMask(g.maskB, fw, g.okB, w, h);
    } else {
      g.okB.fill(1);
    }
    if (this.mode === 'lookahead') {
      reduceFlow(g.flowF, fw, fh, g.flowAbF, w, h);
      if (this.check) {
        consistencyMask(g.flowF, g.flowB, fw, fh, g.maskF);
        reduceMask(g.maskF, fw, g.okF, w, h);
      } else {
        g.okF.fill(1);
      }
    }
  }

  private emitOldest(emit: (f: AbFrame) => void): void {
    const g = this.geo!;
    const s = this.slotAt(0);
    const f = s.frame!;
    if (!s.cut) {
      const n = g.n;
      const x = f.ab;
      // Newest frame of the same shot in the window.
      let last = 1;
      while (last < this.count && !this.slotAt(last).cut) last++;
      last--;
      let N = s.N, D = s.D;
      if (last > 0) {
        // Backward recursion from the newest frame down to t+1, then frame t reads t+1 as in the forward pass.
        const a = this.alpha();
        let bN = this.bN, bD = this.bD, oN = this.bN2, oD = this.bD2;
        bN.set(this.slotAt(last).frame!.ab.subarray(0, 2 * n));
        bD.fill(1);
        for (let k = last - 1; k >= 1; k--) {
          const sk = this.slotAt(k);
          sk.next.apply(sk.frame!.ab, a, bN, bD, oN, oD, n, sk.frame!.ab, this.invSigma2);
          const tN = bN, tD = bD;
          bN = oN;
          bD = oD;
          oN = tN;
          oD = tD;
        }
        // Frame t: its forward state (which already holds x_t) plus the backward part carried from t+1.
        s.next.apply(s.N, a, bN, bD, oN, oD, n, x, this.invSigma2);
        // apply() adds 1 to D: the forward D already counts x_t once.
        for (let i = 0; i < n; i++) oD[i] += s.D[i] - 1;
        N = oN;
        D = oD;
      }
      for (let i = 0; i < n; i++) {
        const inv = 1 / D[i];
        x[i] = N[i] * inv;
        x[n + i] = N[n + i] * inv;
      }
    }
    s.frame = null;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    emit(f);
  }
}

/** Temporal smoothing of the ab planes (see the module comment). Strength 0 passes the predictions through unchanged. */
export function smoothAb<T extends AbFrame>(options: SmoothOptions = {}): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const smoother = new AbSmoother(options);
      const timer = options.timer;
      const emit = (f: AbFrame) => subscriber.next(f as T);
      const held: AbFrame[] = [];
      const hold = (f: AbFrame) => void held.push(f);
      const sub = source.subscribe({
        next(f) {
          try {
            if (timer) {
              // Time the filter only, not the downstream stages that run inside emit.
              const t0 = performance.now();
              smoother.push(f, hold);
              timer.add('smooth', performance.now() - t0);
              const out = held.splice(0, held.length);
              for (const o of out) emit(o);
            } else {
              smoother.push(f, emit);
            }
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (e) => subscriber.error(e),
        complete() {
          try {
            smoother.flush(emit);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}

/**
 * Normalised 32-bin histogram of L - mean(L) + 50 into `out` (centred, so a global exposure change
 * is not a cut; a change of content is); returns the mean L.
 */
function histogram(L: Float32Array, n: number, out: Float64Array): number {
  out.fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += L[i];
  const mean = sum / n;
  const k = HIST_BINS / 100, shift = 50 - mean;
  for (let i = 0; i < n; i++) {
    let b = ((L[i] + shift) * k) | 0;
    b = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
    out[b]++;
  }
  const inv = 1 / n;
  for (let b = 0; b < HIST_BINS; b++) out[b] *= inv;
  return mean;
}

/** Total-variation distance of two normalised histograms: 0 (same) .. 1 (disjoint). */
function tvDistance(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let b = 0; b < p.length; b++) d += Math.abs(p[b] - q[b]);
  return 0.5 * d;
}

/** Fraction of set pixels of a mask (fw x fh) in each block of the (w x h) grid. */
function reduceMask(src: Uint8Array, fw: number, dst: Float32Array, w: number, h: number): void {
  const s = fw / w;
  const k = 1 / (s * s);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c = 0;
      for (let dy = 0; dy < s; dy++) {
        const row = (y * s + dy) * fw + x * s;
        for (let dx = 0; dx < s; dx++) c += src[row + dx];
      }
      dst[y * w + x] = c * k;
    }
  }
}

/** Average a flow field (fw x fh, planar) over blocks down to (w x h), in units of the small grid. */
function reduceFlow(src: Float32Array, fw: number, fh: number, dst: Float32Array, w: number, h: number): void {
  const s = fw / w;
  const nf = fw * fh, n = w * h;
  if (s === 1) {
    dst.set(src.subarray(0, 2 * n));
    return;
  }
  const k = 1 / (s * s * s);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let u = 0, v = 0;
      for (let dy = 0; dy < s; dy++) {
        const row = (y * s + dy) * fw + x * s;
        for (let dx = 0; dx < s; dx++) {
          u += src[row + dx];
          v += src[nf + row + dx];
        }
      }
      dst[y * w + x] = u * k;
      dst[n + y * w + x] = v * k;
    }
  }
}
