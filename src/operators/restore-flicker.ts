// Stage: flicker removal. Each frame's mean and spread of L are mapped onto a reference smoothed
// over the frames around it within the same shot (src/restore/flicker.ts).
//  - lookahead (files): frame t waits for t+1..t+W; the reference is the mean of the statistics of
//    frames t-W..t+W of t's shot (a symmetric window: a slow real change passes without lag).
//  - causal (live): the reference is an exponential average of the shot's frames so far.
// Only statistics are kept for past frames; the W held frames keep their records.
import { Observable, type OperatorFunction } from 'rxjs';
import { SHOT_BINS, SHOT_CUT_DISTANCE, histogramDistance, lumaStats, matchExposure } from '../restore/flicker.js';
import type { FlickerSettings, RestoreMode } from '../restore/options.js';
import type { LFrame } from '../core/frames.js';
import type { StageTimer } from '../core/stage-timer.js';

export interface RestoreFlickerOptions {
  /** 'lookahead' or 'causal'. Default 'lookahead'. */
  mode?: RestoreMode;
  /** Charges the stage's time to 'restore-flicker'. Default: none. */
  timer?: StageTimer;
  /** Sees each frame's measured and reference mean L as it is corrected. Default: none. */
  onFrame?: (index: number, mean: number, reference: number) => void;
}

export function restoreFlicker<T extends LFrame>(s: FlickerSettings, opts: RestoreFlickerOptions = {}): OperatorFunction<T, T> {
  const causal = opts.mode === 'causal';
  const W = causal ? 0 : Math.max(1, Math.round(s.window));
  const size = 2 * W + 2;
  return (source) =>
    new Observable<T>((subscriber) => {
      // Ring of per-frame statistics by sequence number; only the held frames keep their records.
      const means = new Float64Array(size), stds = new Float64Array(size), shots = new Float64Array(size);
      let hist = new Float64Array(SHOT_BINS), last = new Float64Array(SHOT_BINS);
      const held: T[] = [];
      let seq = 0, shot = 0, geometry = '';
      let emitted = 0;
      let refMean = 0, refStd = 0;

      const correct = (f: T, j: number) => {
        const t0 = performance.now();
        let m: number, sd: number;
        if (causal) {
          m = refMean;
          sd = refStd;
        } else {
          let sm = 0, ss = 0, c = 0;
          for (let i = Math.max(0, j - W); i <= Math.min(seq - 1, j + W); i++) {
            if (shots[i % size] !== shots[j % size]) continue;
            sm += means[i % size];
            ss += stds[i % size];
            c++;
          }
          m = sm / c;
          sd = ss / c;
        }
        const own = { mean: means[j % size], std: stds[j % size] };
        matchExposure(f.L, f.width * f.height, own, { mean: m, std: sd }, s.maxGain);
        opts.timer?.add('restore-flicker', performance.now() - t0);
        opts.onFrame?.(f.index, own.mean, m);
        subscriber.next(f);
      };

      const sub = source.subscribe({
        next: (f) => {
          try {
            const t0 = performance.now();
            const st = lumaStats(f.L, f.width, f.height, hist);
            const g = `${f.width}x${f.height}`;
            const cut = seq === 0 || g !== geometry || histogramDistance(hist, last) > SHOT_CUT_DISTANCE;
            geometry = g;
            if (cut) shot++;
            [hist, last] = [last, hist];
            const k = seq % size;
            means[k] = st.mean;
            stds[k] = st.std;
            shots[k] = shot;
            if (causal) {
              refMean = cut ? st.mean : s.history * refMean + (1 - s.history) * st.mean;
              refStd = cut ? st.std : s.history * refStd + (1 - s.history) * st.std;
            }
            seq++;
            opts.timer?.add('restore-flicker', performance.now() - t0);
            if (causal) {
              correct(f, seq - 1);
              return;
            }
            held.push(f);
            if (held.length > W) correct(held.shift()!, emitted++);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          try {
            while (held.length) correct(held.shift()!, emitted++);
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
