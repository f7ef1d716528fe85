// Line scratches: thin near-vertical lines that stay on the film for many frames, so no
// neighbouring frame has the scene behind them and the fill is spatial. A column is flagged in a
// band of rows when most of the band's rows show a narrow spike there: the pixel stands out, with
// one polarity, from all four pixels 2 and 3 columns away, while those agree (an edge is a step,
// not a spike). A column seen in the previous frame (within 2 columns: scratches drift), or in
// the band above or below, needs less evidence, so a scratch is followed through the frames where
// it fades and the bands where texture hides it. Flagged pixels and their left and right
// neighbours are filled from the nearest clean pixels on the same row.
import { inpaintMasked } from './inpaint.js';
import type { ScratchSettings } from './options.js';
import { REPAIR_CODE } from './repair-marks.js';
import type { Neighbours } from './motion.js';

/** Horizontal motion (px) from which the scene's own lines are told from the film's. */
const MOVED = 1.5;
/**
 * Motion (px) from which a line the previous frame had filled where the scene came from is judged
 * by the next frame alone: far enough that a scratch fixed on the film, which a small move leaves
 * nearly in place, cannot pass for it.
 */
const REPAIRED_MOVED = 4;
/** The most columns either side a warped neighbour is searched for the scene's line. */
const SEARCH = 4;

/**
 * The rule both line detectors (scratches, hairlines) tell the scene's lines from the film's by:
 * where the scene moved `moved` px (MOVED or more) at column x, the line is the scene's when the
 * warped neighbours show it (`shows(P, reach)`: within `reach` columns of x, half its contrast,
 * its sign). The reach is |moved| - 3 (at most SEARCH): the flow may land a few columns off on a
 * fast move, while a line fixed on the film sits |moved| columns away in a warped neighbour.
 * Neighbour a is the previous frame as repaired: where the detector took a line of this sign out
 * of it (`before[offset + column]`) where the scene's motion puts x, a cannot show it and b alone
 * decides.
 */
export function movedWithScene(x: number, moved: number, sign: number, before: Int8Array, offset: number, width: number,
  a: Float32Array, b: Float32Array, shows: (P: Float32Array, reach: number) => boolean): boolean {
  if (Math.abs(moved) < MOVED) return false;
  const reach = Math.max(0, Math.min(SEARCH, Math.floor(Math.abs(moved)) - 3));
  if (!shows(b, reach)) return false;
  if (Math.abs(moved) >= REPAIRED_MOVED) {
    const c = Math.round(x + moved);
    for (let xx = Math.max(0, c - reach - 2); xx <= Math.min(width - 1, c + reach + 2); xx++) if (before[offset + xx] === sign) return true;
  }
  return shows(a, reach);
}

/** Half-width of the spike test: lines up to 3 px wide (the test column in their middle) are spikes. */
const SPAN = 3;
const FILL = 1;

export interface ScratchResult {
  /** Band columns flagged in this frame. */
  columns: number;
  /** Pixels replaced. */
  pixels: number;
}

export class ScratchDetector {
  readonly bands: number;
  private readonly bright: Uint16Array;
  private readonly dark: Uint16Array;
  private flag: Int8Array;
  private prev: Int8Array;
  private readonly mask: Uint8Array;

  constructor(readonly width: number, readonly height: number, readonly bandRows: number) {
    this.bands = Math.ceil(height / bandRows);
    const m = this.bands * width;
    this.bright = new Uint16Array(m);
    this.dark = new Uint16Array(m);
    this.flag = new Int8Array(m);
    this.prev = new Int8Array(m);
    this.mask = new Uint8Array(width * height);
  }

  /** Forgets the previous frame's scratches (a new shot). */
  reset(): void {
    this.prev.fill(0);
  }

  /**
   * Finds line scratches in `L` and fills them in place; `marks` (the preview's) gets the scratch
   * code where it filled. With the compensated neighbours `nb`, a line that both show in place
   * where the scene moved (a pole, a building's edge in a pan) is the scene's and is kept: a
   * scratch on the film does not move with the scene.
   */
  repair(L: Float32Array, s: ScratchSettings, marks?: Uint8Array, nb?: Neighbours | null): ScratchResult {
    const { width: w, height: h, bands, bright, dark, mask } = this;
    const t = s.threshold, flat = 1.5 * t;
    bright.fill(0);
    dark.fill(0);
    for (let y = 0; y < h; y++) {
      const r = y * w, band = ((y / this.bandRows) | 0) * w;
      for (let x = SPAN; x < w - SPAN; x++) {
        // A spike stands out from all four pixels 2 and 3 columns away; an edge or texture does not.
        const c = L[r + x], p2 = L[r + x - 2], p3 = L[r + x - SPAN], q2 = L[r + x + 2], q3 = L[r + x + SPAN];
        const hi = Math.max(p2, p3, q2, q3), lo = Math.min(p2, p3, q2, q3);
        if (hi - lo > flat) continue;
        if (c - hi > t) bright[band + x]++;
        else if (lo - c > t) dark[band + x]++;
      }
    }
    const flag = this.flag, prev = this.prev;
    let columns = 0;
    for (let b = 0; b < bands; b++) {
      const rows = Math.min(this.bandRows, h - b * this.bandRows);
      for (let x = 0; x < w; x++) {
        const i = b * w + x;
        const up = bright[i] >= dark[i];
        const share = (up ? bright[i] : dark[i]) / rows;
        const sign = up ? 1 : -1;
        let seen = false;
        for (let d = -2; d <= 2 && !seen; d++) {
          const xx = x + d;
          if (xx >= 0 && xx < w && prev[b * w + xx] === sign) seen = true;
        }
        const on = share >= s.rowShare || (seen && share >= 0.6 * s.rowShare);
        flag[i] = on ? sign : 0;
        if (on) columns++;
      }
    }
    // A line flagged in the band above or below continues through a band where texture hides
    // most of it (one pass downwards, one upwards).
    if (columns) {
      for (const dir of [1, -1]) {
        for (let b = dir > 0 ? 1 : bands - 2; b >= 0 && b < bands; b += dir) {
          const rows = Math.min(this.bandRows, h - b * this.bandRows);
          for (let x = 1; x < w - 1; x++) {
            const i = b * w + x;
            if (flag[i]) continue;
            const o = (b - dir) * w + x;
            const sign = flag[o] || flag[o - 1] || flag[o + 1];
            if (!sign) continue;
            const share = (sign > 0 ? bright[i] : dark[i]) / rows;
            if (share >= 0.3 * s.rowShare) {
              flag[i] = sign;
              columns++;
            }
          }
        }
      }
    }
    if (columns && nb?.a && nb.b && nb.shift) columns -= this.keepScene(L, nb.a, nb.b, nb.shift, t);
    let pixels = 0;
    if (columns) {
      // Mark the pixels of flagged columns that show the line, and one pixel either side.
      for (let y = 0; y < h; y++) {
        const r = y * w, band = ((y / this.bandRows) | 0) * w;
        for (let x = SPAN; x < w - SPAN; x++) {
          const sign = flag[band + x];
          if (!sign) continue;
          const hp = L[r + x] - 0.5 * (L[r + x - SPAN] + L[r + x + SPAN]);
          if (hp * sign < t / 3) continue;
          for (let d = -FILL; d <= FILL; d++) mask[r + x + d] = 1;
        }
      }
      for (let i = 0; i < w * h; i++) {
        pixels += mask[i];
        if (marks && mask[i]) marks[i] = REPAIR_CODE.scratch;
      }
      inpaintMasked(L, mask, w, h, 1, 4 * SPAN, false);
      mask.fill(0);
    }
    this.prev = flag;
    this.flag = prev;
    return { columns, pixels };
  }

  /**
   * Unflags band columns whose line moved with the scene (movedWithScene: the warped neighbours a
   * and b show it, over the band's rows where this frame does). Returns how many were unflagged.
   */
  private keepScene(L: Float32Array, a: Float32Array, b: Float32Array, shift: (x: number, y: number) => number, t: number): number {
    const { width: w, height: h, bands, flag, prev, bandRows } = this;
    let dropped = 0;
    const hp = (P: Float32Array, i: number) => P[i] - 0.5 * (P[i - SPAN] + P[i + SPAN]);
    for (let band = 0; band < bands; band++) {
      const y0 = band * bandRows, y1 = Math.min(h, y0 + bandRows);
      for (let x = SPAN; x < w - SPAN; x++) {
        const sign = flag[band * w + x];
        if (!sign) continue;
        let c = 0;
        for (let y = y0; y < y1; y++) {
          const v = hp(L, y * w + x) * sign;
          if (v >= t / 3) c += v;
        }
        if (c <= 0) continue;
        // P shows the line at some column within reach: its contrast there, summed over the rows where L shows it.
        const shows = (P: Float32Array, reach: number) => {
          for (let xx = Math.max(SPAN, x - reach); xx <= Math.min(w - SPAN - 1, x + reach); xx++) {
            let sum = 0;
            for (let y = y0; y < y1; y++) if (hp(L, y * w + x) * sign >= t / 3) sum += hp(P, y * w + xx) * sign;
            if (sum >= 0.5 * c) return true;
          }
          return false;
        };
        if (movedWithScene(x, shift(x, (y0 + y1) >> 1), sign, prev, band * w, w, a, b, shows)) {
          flag[band * w + x] = 0;
          dropped++;
        }
      }
    }
    return dropped;
  }
}
