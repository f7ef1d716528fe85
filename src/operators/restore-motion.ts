// Stage: motion-compensated neighbours for the temporal repairs (restore-grain, restore-dust).
// Look-ahead (files) holds one frame: frame t is emitted when t+1 arrives, with the restored t-1
// and the incoming t+1 warped onto it; the first frame of a run waits for two frames and gets
// those, the last one gets the two restored frames before it. Causal (live) emits each frame at
// once with the two restored frames before it. One flow per frame, between the two neighbours
// (src/restore/motion.ts says why), with a second one started from the camera's shift between
// them on a pan; look-ahead then moves each neighbour by how far frame t sits from their midpoint
// (whole-frame shifts from t, which a speck cannot pull: a swinging camera, film weave, a repeated
// frame's uneven steps). The warped planes are lent on the record under NEIGHBOURS
// for the duration of the (synchronous) emission and taken back after it; every plane is
// allocated once per frame geometry.
import { Observable, type OperatorFunction } from 'rxjs';
import { MotionCompensator, NEIGHBOURS, type CameraShift, type Neighbours, type WithNeighbours } from '../restore/motion.js';
import type { RestoreMode } from '../restore/options.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface RestoreMotionOptions {
  /** 'lookahead' (default: one frame held, two at the start) or 'causal' (no frame held). */
  mode?: RestoreMode;
  /** Longest side of the plane the flow is computed on (default 256). */
  flowSide?: number;
  /** Charges the stage's time to 'restore-motion'. Default: none. */
  timer?: StageTimer;
}

/** A frame's full plane and its reduced one. */
interface Plane {
  full: Float32Array;
  low: Float32Array;
}

/**
 * Where a frame's neighbours come from: either side of it ('straddle': the flow from the later to
 * the earlier, each half of it away), or two on one side ('pair': the flow from the nearer to the
 * farther, one and two of it away), or a single one (the flow from the frame itself to it).
 */
type Sources = { kind: 'straddle'; before: Plane; after: Plane } | { kind: 'pair'; near: Plane; far: Plane } | { kind: 'one'; only: Plane } | null;

class Planes {
  readonly mc: MotionCompensator;
  readonly warpA: Float32Array;
  readonly warpB: Float32Array;
  readonly outside: Uint8Array;
  /** kept[0] is the newest restored frame, kept[1] the one before it; `count` of them are valid. */
  readonly kept: [Plane, Plane];
  count = 0;
  /** Reduced planes for the held frames and the incoming one. */
  readonly free: Float32Array[];

  constructor(readonly width: number, readonly height: number, flowSide: number | undefined) {
    this.mc = new MotionCompensator(width, height, flowSide ? { maxSide: flowSide } : {});
    const n = width * height, ln = this.mc.lowWidth * this.mc.lowHeight;
    this.warpA = new Float32Array(n);
    this.warpB = new Float32Array(n);
    this.outside = new Uint8Array(n);
    this.kept = [
      { full: new Float32Array(n), low: new Float32Array(ln) },
      { full: new Float32Array(n), low: new Float32Array(ln) },
    ];
    this.free = [new Float32Array(ln), new Float32Array(ln), new Float32Array(ln)];
  }

  /** Remembers `L` (restored) as the newest past frame. */
  keep(L: Float32Array): void {
    const [k0, k1] = this.kept;
    this.kept[0] = k1;
    this.kept[1] = k0;
    k1.full.set(L);
    this.mc.reduce(L, k1.low);
    this.count = Math.min(2, this.count + 1);
  }

  /** The neighbours of a frame (reduced plane `low`) warped onto it from `src`. */
  neighbours(low: Float32Array, src: Sources): Neighbours {
    const { mc, warpA, warpB, outside } = this;
    outside.fill(0);
    if (src?.kind === 'straddle') {
      // Halfway between the neighbours is where frame t is when the camera moves steadily; where it
      // swings or the film weaves, the camera's shift from t to each neighbour says how far off.
      const between = mc.cameraShift(src.after.low, src.before.low, true);
      mc.estimate(src.after.low, src.before.low, undefined, between);
      const off = (to: Float32Array, half: number): CameraShift | undefined => {
        const s = mc.cameraShift(low, to, true);
        const dx = s.dx - half * between.dx, dy = s.dy - half * between.dy;
        return Math.abs(dx) >= 0.25 || Math.abs(dy) >= 0.25 ? { dx, dy } : undefined;
      };
      mc.warp(src.before.full, 0.5, warpA, outside, off(src.before.low, 0.5));
      mc.warp(src.after.full, -0.5, warpB, outside, off(src.after.low, -0.5));
      return { a: warpA, b: warpB, outside, shift: (x, y) => mc.shiftAt(x, y, 0.5) };
    }
    if (src?.kind === 'pair') {
      mc.estimate(src.near.low, src.far.low);
      mc.warp(src.near.full, 1, warpA, outside);
      mc.warp(src.far.full, 2, warpB, outside);
      return { a: warpA, b: warpB, outside, shift: (x, y) => mc.shiftAt(x, y, 1) };
    }
    if (src?.kind === 'one') {
      mc.estimate(low, src.only.low);
      mc.warp(src.only.full, 1, warpA);
      return { a: warpA, b: null };
    }
    return { a: null, b: null };
  }

  /** Past frames as neighbour sources: two (pair), one, or none. */
  past(): Sources {
    if (this.count >= 2) return { kind: 'pair', near: this.kept[0], far: this.kept[1] };
    return this.count === 1 ? { kind: 'one', only: this.kept[0] } : null;
  }
}

interface Held<T> {
  f: T;
  low: Float32Array;
}

export function restoreMotion<T extends LFrame>(opts: RestoreMotionOptions = {}): OperatorFunction<T, T> {
  const causal = opts.mode === 'causal';
  return (source) =>
    new Observable<T>((subscriber) => {
      let p: Planes | null = null;
      const held: Held<T>[] = [];
      // Look-ahead: whether the run's first frame has been emitted (until then up to 3 are held).
      let started = false;

      const plane = (h: Held<T>): Plane => ({ full: h.f.L, low: h.low });

      // Emits `f` (whose reduced plane is `low`) with its neighbours, then keeps its restored L.
      const emit = (f: T, low: Float32Array, src: Sources) => {
        const planes = p!;
        const t0 = performance.now();
        const nb = planes.neighbours(low, src);
        opts.timer?.add('restore-motion', performance.now() - t0);
        (f as WithNeighbours)[NEIGHBOURS] = nb;
        try {
          subscriber.next(f);
        } finally {
          delete (f as WithNeighbours)[NEIGHBOURS];
        }
        const t1 = performance.now();
        planes.keep(f.L);
        opts.timer?.add('restore-motion', performance.now() - t1);
      };

      const release = (h: Held<T>) => p!.free.push(h.low);

      // Emits every held frame with what there is (the end of the run).
      const flush = () => {
        if (!p) return;
        if (!started && held.length === 2) {
          const [h0, h1] = held;
          emit(h0.f, h0.low, { kind: 'one', only: plane(h1) });
          release(h0);
          held.shift();
        }
        for (const h of held.splice(0)) {
          emit(h.f, h.low, p.past());
          release(h);
        }
        started = false;
      };

      const sub = source.subscribe({
        next: (f) => {
          try {
            if (!p || p.width !== f.width || p.height !== f.height) {
              flush();
              p = new Planes(f.width, f.height, opts.flowSide);
            }
            const t0 = performance.now();
            const low = p.free.pop()!;
            p.mc.reduce(f.L, low);
            opts.timer?.add('restore-motion', performance.now() - t0);
            if (causal) {
              emit(f, low, p.past());
              p.free.push(low);
              return;
            }
            held.push({ f, low });
            if (!started) {
              if (held.length < 3) return;
              // The run's first frame: the two after it, as a pair.
              const h0 = held.shift()!;
              emit(h0.f, h0.low, { kind: 'pair', near: plane(held[0]), far: plane(held[1]) });
              release(h0);
              started = true;
            }
            const [mid, after] = held;
            emit(mid.f, mid.low, { kind: 'straddle', before: p.kept[0], after: plane(after) });
            release(mid);
            held.shift();
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          try {
            flush();
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
