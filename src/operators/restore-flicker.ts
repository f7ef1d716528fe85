// Stage: flicker removal. Each frame's mean and spread of L are mapped onto a reference smoothed
// over the frames around it within the same shot (src/restore/flicker.ts).
//  - lookahead (files): frame t waits for t+1..t+W; the reference is the straight line fitted to
//    the statistics of frames t-W..t+W of t's shot, at t (a steady real change passes without
//    lag, also where the window is cut short at a shot's ends).
//  - causal (live): the reference is an exponential average of the shot's frames so far.
// Then, look-ahead only, each region's breathing (src/restore/flicker-regions.ts): the cells'
// standardised statistics against their own trend over the same window.
// Only statistics are kept for past frames; the W held frames keep their records.
import { Observable, type OperatorFunction } from 'rxjs';
import { SHOT_BINS, SHOT_CUT_DISTANCE, histogramDistance, lumaStats, matchExposure } from '../restore/flicker.js';
import { correctRegions, regionGrid, regionStats } from '../restore/flicker-regions.js';
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

/** The share of the window's spread a parabola must explain to be the trend (flicker about a turn explains less). */
const PARABOLA_R2 = 0.8;

/**
 * The value at j of the straight line (or parabola) fitted to the window's values (ring `v` of `size`) of
 * frames lo..hi in `shot`, drawn towards their mean as the fit explains less of their spread
 * (R²): a steady real change (a fade, a pan into shadow) lies on the line and passes, even where
 * the window is cut short at a shot's start or end; flicker jumps about it.
 */
function trendAt(v: Float64Array, shots: Float64Array, shot: number, lo: number, hi: number, j: number, size: number): number {
  // Sums of t^k (k 0..4) and t^k x (k 0..2) over the window's frames of this shot, t = i - j.
  let c = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, sv = 0, s1v = 0, s2v = 0;
  for (let i = lo; i <= hi; i++) {
    if (shots[i % size] !== shot) continue;
    const t = i - j, x = v[i % size], t2 = t * t;
    c++;
    s1 += t; s2 += t2; s3 += t2 * t; s4 += t2 * t2;
    sv += x; s1v += t * x; s2v += t2 * x;
  }
  const mean = sv / c;
  if (c < 3) return mean;
  let ss = 0;
  for (let i = lo; i <= hi; i++) if (shots[i % size] === shot) ss += (v[i % size] - mean) ** 2;
  if (!(ss > 0)) return mean;
  // The straight line, and with 5 frames or more the parabola (a pan that turns back, a light
  // that brightens and fades) where it explains most of the spread (PARABOLA_R2) and more than
  // the line once both are discounted for their free parameters: flicker alone does not pull it.
  const den = c * s2 - s1 * s1;
  if (den <= 0) return mean;
  const slope = (c * s1v - s1 * sv) / den, line = (sv - slope * s1) / c;
  let fit = line, r2 = Math.min(1, (slope * slope * (s2 - (s1 * s1) / c)) / ss);
  if (c >= 5) {
    // Normal equations of x = a + b t + q t^2 (matrix [[c s1 s2] [s1 s2 s3] [s2 s3 s4]]), by Cramer's rule.
    const m0 = s2 * s4 - s3 * s3, m1 = s1 * s4 - s3 * s2, m2 = s1 * s3 - s2 * s2;
    const d = c * m0 - s1 * m1 + s2 * m2;
    if (Math.abs(d) > 1e-9) {
      const a = (sv * m0 - s1 * (s1v * s4 - s3 * s2v) + s2 * (s1v * s3 - s2 * s2v)) / d;
      const b = (c * (s1v * s4 - s3 * s2v) - sv * m1 + s2 * (s1 * s2v - s1v * s2)) / d;
      const q = (c * (s2 * s2v - s3 * s1v) - s1 * (s1 * s2v - s1v * s2) + sv * m2) / d;
      let res = 0;
      for (let i = lo; i <= hi; i++) {
        if (shots[i % size] !== shot) continue;
        const t = i - j;
        res += (v[i % size] - (a + b * t + q * t * t)) ** 2;
      }
      const r2q = Math.max(0, 1 - res / ss);
      // Adjusted R²: what each fit explains beyond what as many free parameters explain of noise.
      const adj = (r2x: number, p: number) => 1 - ((1 - r2x) * (c - 1)) / Math.max(1, c - p - 1);
      if (r2q >= PARABOLA_R2 && adj(r2q, 2) > adj(r2, 1)) [fit, r2] = [a, r2q];
    }
  }
  return mean + r2 * (fit - mean);
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
      // Per-cell rings of standardised statistics (regional flicker), sized for the frame's grid.
      let grid = { cols: 0, rows: 0 };
      let zs: Float64Array[] = [], rs: Float64Array[] = [];
      let z = new Float64Array(0), r = new Float64Array(0), zRef = new Float64Array(0), rRef = new Float64Array(0);
      const regional = !causal && s.regions > 0;

      const correct = (f: T, j: number) => {
        const t0 = performance.now();
        let m: number, sd: number;
        if (causal) {
          m = refMean;
          sd = refStd;
        } else {
          const lo = Math.max(0, j - W), hi = Math.min(seq - 1, j + W), shot = shots[j % size];
          m = trendAt(means, shots, shot, lo, hi, j, size);
          sd = trendAt(stds, shots, shot, lo, hi, j, size);
        }
        const own = { mean: means[j % size], std: stds[j % size] };
        const now = matchExposure(f.L, f.width * f.height, own, { mean: m, std: sd }, s.maxGain, s.tolerance);
        if (regional && grid.cols) {
          const lo = Math.max(0, j - W), hi = Math.min(seq - 1, j + W), shot = shots[j % size];
          for (let k = 0; k < zs.length; k++) {
            z[k] = zs[k][j % size];
            r[k] = rs[k][j % size];
            zRef[k] = trendAt(zs[k], shots, shot, lo, hi, j, size);
            rRef[k] = trendAt(rs[k], shots, shot, lo, hi, j, size);
          }
          // The surface fit guards clean film here; a quarter of the tolerance keeps the noise of the
          // cells' statistics out.
          correctRegions(f.L, f.width, f.height, grid.cols, grid.rows, z, r, zRef, rRef, now.mean, now.std, 0.25 * s.tolerance);
        }
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
            if (regional) {
              if (cut) {
                grid = regionGrid(f.width, f.height, s.regions);
                const n = grid.cols * grid.rows;
                if (zs.length !== n) {
                  zs = Array.from({ length: n }, () => new Float64Array(size));
                  rs = Array.from({ length: n }, () => new Float64Array(size));
                  z = new Float64Array(n);
                  r = new Float64Array(n);
                  zRef = new Float64Array(n);
                  rRef = new Float64Array(n);
                }
              }
              regionStats(f.L, f.width, f.height, grid.cols, grid.rows, st.mean, st.std, z, r);
              for (let c = 0; c < z.length; c++) {
                zs[c][k] = z[c];
                rs[c][k] = r[c];
              }
            }
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
