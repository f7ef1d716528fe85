// Stage: blotches and tears (src/restore/blotches.ts), filled from the frames further away where
// they agree and otherwise by the learned net (src/restore/blotch-net.ts) or the directional fill.
// It holds three frames ahead and keeps three behind (as repaired): frame t is looked at when
// t+3 arrives, against t±1 and t±2 warped onto it (one flow each, between the two: see
// src/restore/motion.ts; on a pan a second flow starts from the camera's shift, measured once
// per frame against the one before), and t±3 are warped only when a blotch is found. The
// frames t±1 and t±2 as they are, with the pan to each, are the blob's track. The first two and
// last two frames of a run use the frames on one side (t+1, and t+2 with t+3, or the same
// before), their flow extrapolated; a run under four frames passes unchanged. The net runs asynchronously,
// so frames leave in order through a promise chain; the stage completes once the last has left.
import { Observable, type OperatorFunction } from 'rxjs';
import { BlotchDetector, HOLE, type BlotchBox } from '../restore/blotches.js';
import { REPAIR_CODE, marksOf } from '../restore/repair-marks.js';
import { BlotchNet, type FramesAround } from '../restore/blotch-net.js';
import { inpaintMasked } from '../restore/inpaint.js';
import { MotionCompensator, type CameraShift } from '../restore/motion.js';
import type { BlotchSettings } from '../restore/options.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

/** Frames the stage holds back: it looks at frame t when t+3 arrives. */
export const BLOTCH_LOOKAHEAD = 3;
/** Spread (L) the net is told where a frame around was sampled beyond its edge: as much as occlusion's in its training. */
const NO_WITNESS_SPREAD = 60;
/** How far (px) the directional fill looks for a pixel outside the blotch. */
const DIRECTIONAL_REACH = 128;

export interface BlotchResult {
  /** Blotches found and filled. */
  blotches: number;
  /** Their boxes (grown edge included), for the --restore-debug panel (kind "blotch"). */
  boxes: BlotchBox[];
  /** Pixels filled from the frames two and three away. */
  fromFrames: number;
  /** Pixels filled by the net or the directional fill. */
  spatial: number;
  /** Candidate blobs left alone as motion. */
  rejected: number;
}

export interface RestoreBlotchesOptions {
  /** Charges the stage's time to 'restore-blotches'. Default: none. */
  timer?: StageTimer;
  /** Sees every frame's result (null when it was passed unchanged). Default: none. */
  onFrame?: (index: number, result: BlotchResult | null) => void;
  /** The net for fill 'net' (default: the shipped one, loaded when first needed). */
  net?: Promise<BlotchNet>;
  /** Longest side of the plane the flows are computed on (default 256). */
  flowSide?: number;
}

interface Entry<T> {
  f: T;
  /** The frame's reduced plane, for the flows. */
  low: Float32Array;
  /** Its L as the stage left it (after emission a copy: later stages change f.L in place). */
  ref: Float32Array;
  /** Its L as it came (a copy, once it has been looked at): a tape hit repaired here is still in place there for the next frame. */
  came?: Float32Array;
  /** The camera's pan from this frame to the one before (low px; zero for a run's first frame). */
  back: CameraShift;
}

/** Planes allocated once per frame geometry. */
class Work {
  readonly mc: MotionCompensator;
  readonly det: BlotchDetector;
  readonly warped: Float32Array[];
  /** 1 where the witnesses (frames two away) were sampled beyond their frame. */
  readonly outside: Uint8Array;
  private nearPlane?: Float32Array;
  private spreadPlane?: Float32Array;
  /** Copies of emitted frames' L, reused. */
  readonly spare: Float32Array[] = [];

  constructor(readonly width: number, readonly height: number, flowSide: number | undefined) {
    this.mc = new MotionCompensator(width, height, flowSide ? { maxSide: flowSide } : {});
    this.det = new BlotchDetector(width, height);
    this.warped = Array.from({ length: 6 }, () => new Float32Array(width * height));
    this.outside = new Uint8Array(width * height);
  }

  /**
   * before and after (2k frames apart) warped onto the frame between them, into warped[slot],
   * [slot + 1]. `guess`: the last flow (between nearer frames) scaled by it is the flow's start.
   * `pan`: the camera's pan from after to before (the sum of the frames' `back` between them).
   */
  straddle(before: Entry<unknown>, after: Entry<unknown>, slot: number, pan: CameraShift, guess?: number, outside?: Uint8Array): [Float32Array, Float32Array] {
    const a = this.warped[slot]!, b = this.warped[slot + 1]!;
    this.mc.estimate(after.low, before.low, guess, pan);
    this.mc.warp(before.ref, 0.5, a, outside);
    this.mc.warp(after.ref, -0.5, b, outside);
    return [a, b];
  }

  /** The frames around (warped), their mean and spread per pixel, for the net. */
  around(refs: Float32Array[], outside?: Uint8Array): FramesAround {
    const n = this.width * this.height;
    const near = (this.nearPlane ??= new Float32Array(n)), spread = (this.spreadPlane ??= new Float32Array(n));
    for (let i = 0; i < n; i++) {
      let lo = Infinity, hi = -Infinity, sum = 0;
      for (const r of refs) {
        const v = r[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
      }
      near[i] = sum / refs.length;
      // Sampled beyond a frame's edge there is no witness: told as frames that disagree, so that
      // the net leans on the frame's own context.
      spread[i] = outside?.[i] ? Math.max(hi - lo, NO_WITNESS_SPREAD) : hi - lo;
    }
    return { near, spread };
  }

  /**
   * Two frames on one side, `near` d frames away and `far` d + 1, warped onto the frame along
   * their flow extrapolated (the edges of a run), into warped[slot], [slot + 1].
   */
  pair(near: Entry<unknown>, far: Entry<unknown>, d: number, slot: number, outside?: Uint8Array): [Float32Array, Float32Array] {
    const a = this.warped[slot]!, b = this.warped[slot + 1]!;
    this.mc.estimate(near.low, far.low);
    this.mc.warp(near.ref, d, a, outside);
    this.mc.warp(far.ref, d + 1, b, outside);
    return [a, b];
  }
}

export function restoreBlotches<T extends LFrame>(s: BlotchSettings, opts: RestoreBlotchesOptions = {}): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let work: Work | null = null;
      let win: Entry<T>[] = [];
      /** Index in `win` of the next frame to look at. */
      let pos = 0;
      let chain: Promise<void> = Promise.resolve();
      let failed = false;
      let net: Promise<BlotchNet> | null = null;

      const repair = async (k: number): Promise<BlotchResult | null> => {
        const w = work!;
        const e = win[k]!, p1 = win[k - 1], n1 = win[k + 1], p2 = win[k - 2], n2 = win[k + 2], p3 = win[k - 3], n3 = win[k + 3];
        const t0 = performance.now();
        // The camera's pan from frame `b` to frame `a` (a < b; content at x on b is at x + pan on
        // a): the frames' pans to the one before, summed.
        const span = (a: number, b: number): CameraShift => {
          let dx = 0, dy = 0;
          for (let j = a + 1; j <= b; j++) {
            dx += win[j]!.back.dx;
            dy += win[j]!.back.dy;
          }
          return { dx, dy };
        };
        const pan = (d: number) => span(k - d, k + d);
        // The direct neighbours (t±1) and the witnesses (t±2); at a run's edge, from one side.
        const direct = p1 && n1 ? w.straddle(p1, n1, 0, pan(1)) : n1 && n2 ? w.pair(n1, n2, 1, 0) : p1 && p2 ? w.pair(p1, p2, 1, 0) : null;
        const both = !!(p2 && n2);
        // Frames two away start from twice the flow between t-1 and t+1: a fast pan outruns the pyramid.
        const out = w.outside;
        out.fill(0);
        const witness = p2 && n2 ? w.straddle(p2, n2, 2, pan(2), p1 && n1 ? 2 : undefined, out) : n2 && n3 ? w.pair(n2, n3, 2, 2, out) : p2 && p3 ? w.pair(p2, p3, 2, 2, out) : null;
        if (!direct || !witness) return null;
        // One side only: the nearer frame stands for both direct neighbours.
        const [a1, b1] = p1 && n1 ? direct : [direct[0], direct[0]];
        const [a2, b2] = witness;
        const L = e.f.L;
        const raw = [p1?.came ?? p1?.ref, n1?.ref].filter((r): r is Float32Array => !!r);
        // Where the camera's pan puts this frame's content on frame k + d (full px).
        const f = w.mc.factor;
        const track = [-2, -1, 1, 2].flatMap((d) => {
          const o = win[k + d];
          if (!o) return [];
          const c = d < 0 ? span(k + d, k) : span(k, k + d);
          const sign = d < 0 ? 1 : -1;
          return [{ plane: o.ref, dx: sign * f * c.dx, dy: sign * f * c.dy, direct: Math.abs(d) === 1 }];
        });
        const found = w.det.detect(L, { p1: a1, n1: b1, p2: a2, n2: b2, outside: out, raw, track }, s);
        const result: BlotchResult = { blotches: found.boxes.length, boxes: found.boxes, fromFrames: 0, spatial: 0, rejected: found.rejected };
        if (found.boxes.length) {
          const marks = marksOf(e.f);
          if (marks) for (let i = 0; i < marks.length; i++) if (w.det.mask[i]) marks[i] = REPAIR_CODE.blotch;
          const refs = [a2, b2];
          // The frames three away reach further beyond the frame's edge on a pan: flagged too.
          if (both && p3 && n3) refs.push(...w.straddle(p3, n3, 4, pan(3), 1.5, out));
          if (s.fromFrames) result.fromFrames = w.det.fillFromFrames(L, refs, s.agree, out);
          result.spatial = w.det.holes();
          if (result.spatial) {
            if (s.fill === 'net') {
              net ??= opts.net ?? BlotchNet.load();
              const model = await net;
              // Waiting for the model to load is not the stage's cost.
              let ms = performance.now() - t0;
              const t1 = performance.now();
              await model.fill(L, w.det.mask, w.width, w.height, HOLE, found.boxes, model.temporal ? w.around(refs, out) : undefined);
              ms += performance.now() - t1;
              opts.timer?.add('restore-blotches', ms);
              w.det.clear();
              return result;
            }
            inpaintMasked(L, w.det.mask, w.width, w.height, HOLE, DIRECTIONAL_REACH, true);
          }
          w.det.clear();
        }
        opts.timer?.add('restore-blotches', performance.now() - t0);
        return result;
      };

      /** Looks at and emits win[pos], keeps a copy of what left, and forgets frames no longer needed. */
      const step = async (): Promise<void> => {
        const e = win[pos]!;
        const came = work!.spare.pop() ?? new Float32Array(e.f.L.length);
        came.set(e.f.L);
        e.came = came;
        const r = await repair(pos);
        opts.onFrame?.(e.f.index, r);
        const copy = work!.spare.pop() ?? new Float32Array(e.f.L.length);
        copy.set(e.f.L);
        e.ref = copy;
        pos++;
        subscriber.next(e.f);
        while (pos > BLOTCH_LOOKAHEAD) {
          const old = win.shift()!;
          work!.spare.push(old.ref);
          if (old.came) work!.spare.push(old.came);
          pos--;
        }
      };

      /** Emits every frame still held (the end of a run). */
      const flush = async (): Promise<void> => {
        while (work && pos < win.length) await step();
        win = [];
        pos = 0;
      };

      const enqueue = (job: () => Promise<void>) => {
        chain = chain.then(async () => {
          if (failed || subscriber.closed) return;
          try {
            await job();
          } catch (err) {
            failed = true;
            subscriber.error(err);
          }
        });
      };

      const sub = source.subscribe({
        next: (f) =>
          enqueue(async () => {
            if (!work || work.width !== f.width || work.height !== f.height) {
              await flush();
              work = new Work(f.width, f.height, opts.flowSide);
            }
            const low = new Float32Array(work.mc.lowWidth * work.mc.lowHeight);
            work.mc.reduce(f.L, low);
            const last = win[win.length - 1];
            win.push({ f, low, ref: f.L, back: last ? work.mc.cameraShift(low, last.low) : { dx: 0, dy: 0 } });
            if (win.length - 1 - pos >= BLOTCH_LOOKAHEAD) await step();
          }),
        error: (err) => enqueue(async () => subscriber.error(err)),
        complete: () =>
          enqueue(async () => {
            await flush();
            subscriber.complete();
          }),
      });
      return () => sub.unsubscribe();
    });
}
