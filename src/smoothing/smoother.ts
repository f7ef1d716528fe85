// The smoothing state machine (the recursion of operators/smooth-ab.ts's header): per-geometry
// buffers, the look-ahead window, scene-cut resets.
import { PlaneResampler } from '../color/resample.js';
import { FlowEstimator, FlowPyramid, consistencyMask } from '../motion/flow.js';
import type { AbFrame } from '../core/frames.js';
import { HIST_BINS, histogram, tvDistance } from './scene-cut.js';
import { Link, invertFlow, reduceFlow, reduceMask } from './warp.js';
import { DEFAULT_VIDEO_SMOOTH, MAX_ALPHA, SMOOTH_DEFAULTS, smoothingAlpha, type SmoothMode, type SmoothMotion, type SmoothOptions } from './options.js';

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
  /** The flow's pyramids of Lf and prevLf, built when a flow first needs them (each frame's once). */
  pyr: FlowPyramid | null;
  prevPyr: FlowPyramid | null;
  pyrReady = false;
  prevPyrReady = false;
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
    this.pyr = this.flow?.pyramid() ?? null;
    this.prevPyr = this.flow?.pyramid() ?? null;
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
    const p = this.pyr;
    this.pyr = this.prevPyr;
    this.prevPyr = p;
    this.prevPyrReady = this.pyrReady;
    this.pyrReady = false;
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
   * Flow between the previous frame and this one at flow resolution: this -> previous always,
   * previous -> this estimated too when the forward–backward check needs it (with its masks:
   * occlusions, flow failures); their reduction to ab resolution. Look-ahead without the check
   * takes previous -> this as the first reversed, at ab resolution.
   */
  private flows(g: Geometry): void {
    const { fw, fh, abW: w, abH: h } = g;
    const fe = g.flow!;
    if (!g.pyrReady) {
      fe.prepare(g.Lf, g.pyr!);
      g.pyrReady = true;
    }
    if (!g.prevPyrReady) {
      // The previous frame needed no flow (it started a shot, or smoothing was off): no pyramid yet.
      fe.prepare(g.prevLf, g.prevPyr!);
      g.prevPyrReady = true;
    }
    fe.computePrepared(g.pyr!, g.prevPyr!, g.flowB);
    if (this.check) fe.computePrepared(g.prevPyr!, g.pyr!, g.flowF);
    reduceFlow(g.flowB, fw, fh, g.flowAbB, w, h);
    if (this.check) {
      consistencyMask(g.flowB, g.flowF, fw, fh, g.maskB);
      reduceMask(g.maskB, fw, g.okB, w, h);
    } else {
      g.okB.fill(1);
    }
    if (this.mode === 'lookahead') {
      if (this.check) {
        reduceFlow(g.flowF, fw, fh, g.flowAbF, w, h);
        consistencyMask(g.flowF, g.flowB, fw, fh, g.maskF);
        reduceMask(g.maskF, fw, g.okF, w, h);
      } else {
        // Without the check, the forward flow is the backward one reversed, not a second estimate:
        // half the flow cost of look-ahead (bench/smoothing.ts: the same flicker and accuracy).
        invertFlow(g.flowAbB, w, h, g.flowAbF);
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
