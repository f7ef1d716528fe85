// Hairlines: faint 1-px vertical lines running down most of the frame, too faint on any one row
// for the scratch detector (a few L units in the grain). Over a whole column they add up: the
// column's mean high-pass (the pixel against those 2 px either side, on rows where those agree)
// stands out from the other columns', with one sign on most rows and in every third of the frame's
// height (and about as strong in each), while texture averages away and a scene edge is a step, not a spike. The repair takes
// away only the line's own profile (the high-pass averaged over 25 rows, where it has the line's
// sign): the line adds to every pixel it crosses, and the scene under it is kept.
import type { ScratchSettings } from './options.js';
import { REPAIR_CODE } from './repair-marks.js';
import { movedWithScene, type ScratchResult } from './scratches.js';
import type { Neighbours } from './motion.js';

/** Rows each side averaged into the line's profile. */
const PROFILE = 12;
/** Share of a column's rows (and of each third of them) that must carry the line's sign. */
const SIGN_SHARE = 0.7;
/** A hairline's mean high-pass is at least this many robust spreads of the columns' means. */
const OUTLIER = 4;
/**
 * Each third of the height carries at least this share of the column's mean high-pass: a line on
 * the film is about as strong top to bottom, a scene's edge or pole is strong where the thing is
 * (a building's edge against the sky on cmnet2_sample-bw: 13 L in the top third, 0 in the bottom).
 */
const THIRD_SHARE = 0.25;
/** A column is a line's lobe when a line found 2 px away has the other sign and this many times its mean high-pass (a lobe is half of it: 2 ± noise). */
const LOBE = 1.5;

/** Columns taken for hairlines in this frame, and pixels changed: the scratch detector's counts. */
export type HairlineResult = ScratchResult;

export class HairlineDetector {
  private readonly sum: Float64Array;
  private readonly rows: Uint32Array;
  private readonly signs: Int32Array;
  private readonly thirds: Int32Array;
  private readonly thirdSum: Float64Array;
  private readonly thirdRows: Uint32Array;
  private readonly hp: Float32Array;
  private readonly order: Float64Array;
  private readonly profile: Float32Array;
  /** The sign of each column taken out in the previous frame (0: none), and this frame's. */
  private prev: Int8Array;
  private taken: Int8Array;
  /** The sign of each column that passes the column tests in this frame (0: none). */
  private readonly found: Int8Array;

  constructor(readonly width: number, readonly height: number) {
    this.sum = new Float64Array(width);
    this.rows = new Uint32Array(width);
    this.signs = new Int32Array(width);
    this.thirds = new Int32Array(3 * width);
    this.thirdSum = new Float64Array(3 * width);
    this.thirdRows = new Uint32Array(3 * width);
    this.hp = new Float32Array(height);
    this.order = new Float64Array(width);
    this.profile = new Float32Array(height);
    this.prev = new Int8Array(width);
    this.taken = new Int8Array(width);
    this.found = new Int8Array(width);
  }

  /**
   * Finds hairlines in `L` and takes them out in place; `mark` (the preview's) gets the hairline
   * code where it changed L. With the compensated neighbours `nb`, a line that moved with the
   * scene is the scene's (movedWithScene, on the column's mean).
   */
  repair(L: Float32Array, s: ScratchSettings, mark?: Uint8Array, nb?: Neighbours | null): HairlineResult {
    const { width: w, height: h, sum, rows, signs, thirds, thirdSum, thirdRows, taken, found } = this;
    taken.fill(0);
    const done = (r: HairlineResult) => {
      [this.prev, this.taken] = [taken, this.prev];
      return r;
    };
    if (!(s.hairline > 0) || w < 8 || h < 24) return done({ columns: 0, pixels: 0 });
    sum.fill(0);
    rows.fill(0);
    signs.fill(0);
    thirds.fill(0);
    thirdSum.fill(0);
    thirdRows.fill(0);
    const flat = 1.5 * s.threshold;
    for (let y = 0; y < h; y++) {
      const r = y * w, third = Math.min(2, ((3 * y) / h) | 0) * w;
      for (let x = 2; x < w - 2; x++) {
        const p = L[r + x - 2], q = L[r + x + 2];
        if (Math.abs(p - q) > flat) continue;
        const d = L[r + x] - 0.5 * (p + q);
        sum[x] += d;
        rows[x]++;
        const sg = d > 0 ? 1 : d < 0 ? -1 : 0;
        signs[x] += sg;
        thirds[third + x] += sg;
        thirdSum[third + x] += d;
        thirdRows[third + x]++;
      }
    }
    // The columns' means and their robust spread.
    const { order } = this;
    let m = 0;
    for (let x = 2; x < w - 2; x++) if (rows[x] > 0) order[m++] = Math.abs(sum[x] / rows[x]);
    if (m < 8) return done({ columns: 0, pixels: 0 });
    const sorted = order.subarray(0, m).sort();
    const spread = 1.4826 * sorted[m >> 1];
    const need = Math.max(s.hairline, OUTLIER * spread);
    // First the columns that pass the column tests (`found`, their sign), then the lobes among them go.
    found.fill(0);
    for (let x = 2; x < w - 2; x++) {
      const n = rows[x];
      if (n < h / 2) continue;
      const mean = sum[x] / n, sign = mean > 0 ? 1 : -1;
      if (Math.abs(mean) < need || (signs[x] * sign) / n < 2 * SIGN_SHARE - 1) continue;
      // Every third of the height carries it: a line down the film, not a short thing in the scene.
      let through = true;
      for (let k = 0; k < 3 && through; k++) {
        through = (thirds[k * w + x] * sign) / (n / 3) >= 2 * SIGN_SHARE - 1 - 0.2
          && (thirdSum[k * w + x] * sign) / Math.max(1, thirdRows[k * w + x]) >= THIRD_SHARE * Math.abs(mean);
      }
      if (!through) continue;
      // The strongest of adjacent columns: a line 2 px wide shows in both, its centre is the larger.
      if (Math.abs(sum[x - 1] / Math.max(1, rows[x - 1])) > Math.abs(mean) || Math.abs(sum[x + 1] / Math.max(1, rows[x + 1])) > Math.abs(mean)) continue;
      found[x] = sign;
    }
    let columns = 0, pixels = 0;
    const meanAt = (x: number) => sum[x] / Math.max(1, rows[x]);
    for (let x = 2; x < w - 2; x++) {
      const sign = found[x];
      if (!sign) continue;
      const strength = Math.abs(meanAt(x));
      // Two columns beside a line its high-pass is minus half of it: a lobe of the line found there, not a line of its own.
      if ((found[x - 2] === -sign && Math.abs(meanAt(x - 2)) >= LOBE * strength) || (found[x + 2] === -sign && Math.abs(meanAt(x + 2)) >= LOBE * strength)) continue;
      if (nb?.a && nb.b && nb.shift && this.sceneLine(L, x, sign, strength, flat, nb.a, nb.b, nb.shift(x, h >> 1))) continue;
      columns++;
      taken[x] = sign;
      pixels += this.takeOut(L, x, sign, mark);
    }
    return done({ columns, pixels });
  }

  /** movedWithScene for column x: a neighbour shows the line where its column's mean high-pass (rows flat in both) is half this frame's. */
  private sceneLine(L: Float32Array, x: number, sign: number, mean: number, flat: number, a: Float32Array, b: Float32Array, moved: number): boolean {
    const { width: w, height: h } = this;
    const shows = (P: Float32Array, reach: number) => {
      for (let xx = Math.max(2, x - reach); xx <= Math.min(w - 3, x + reach); xx++) {
        let s = 0, n = 0;
        for (let y = 0; y < h; y++) {
          const i = y * w;
          if (Math.abs(L[i + x - 2] - L[i + x + 2]) > flat || Math.abs(P[i + xx - 2] - P[i + xx + 2]) > flat) continue;
          s += (P[i + xx] - 0.5 * (P[i + xx - 2] + P[i + xx + 2])) * sign;
          n++;
        }
        if (n > 0 && s / n >= 0.5 * mean) return true;
      }
      return false;
    };
    return movedWithScene(x, moved, sign, this.prev, 0, w, a, b, shows);
  }

  /** Subtracts the line's profile (its sign only) from column x; returns the pixels changed. */
  private takeOut(L: Float32Array, x: number, sign: number, mark?: Uint8Array): number {
    const { width: w, height: h, hp, profile } = this;
    for (let y = 0; y < h; y++) {
      const r = y * w;
      hp[y] = L[r + x] - 0.5 * (L[r + x - 2] + L[r + x + 2]);
    }
    let acc = 0, count = 0, changed = 0;
    for (let y = 0; y < Math.min(h, PROFILE); y++) acc += hp[y], count++;
    // The profile comes from the high-pass as it was, before any pixel of the column changes.
    for (let y = 0; y < h; y++) {
      const add = y + PROFILE, drop = y - PROFILE - 1;
      if (add < h) acc += hp[add], count++;
      if (drop >= 0) acc -= hp[drop], count--;
      profile[y] = acc / count;
    }
    for (let y = 0; y < h; y++) {
      const p = profile[y] * sign;
      if (p <= 0) continue;
      L[y * w + x] -= p * sign;
      if (mark) mark[y * w + x] = REPAIR_CODE.hairline;
      changed++;
    }
    return changed;
  }
}
