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
//
// The filter lives in src/smoothing (options, warp, scene-cut, smoother); this is the stage.
import { Observable, type OperatorFunction } from 'rxjs';
import { AbSmoother } from '../smoothing/smoother.js';
import { smoothOnThread, threadable } from '../pool/smooth-thread.js';
import type { SmoothOptions } from '../smoothing/options.js';
import type { AbFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

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
 * The stage for a job's smoothing options, or null (off): the timer is the job's. With `thread`,
 * the smoother runs on a thread of its own when its options can cross (src/pool/smooth-thread.ts;
 * same output).
 */
export function smoothStage(o: SmoothOptions | null, timer?: StageTimer, thread = false): OperatorFunction<AbFrame, AbFrame> | null {
  if (!o) return null;
  if (thread && threadable(o)) return smoothOnThread(o, timer);
  return smoothAb({ ...(timer ? { timer } : {}), ...o });
}
