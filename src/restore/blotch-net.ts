// The learned fill for blotches: a small gated-convolution net on L (trained here,
// training/inpaint/train.py; models/blotch-inpaint.onnx) run by onnxruntime-node on the CPU. It
// refines the directional fill of inpaint.ts, which it is given as a third input, with the frames
// around (two and three away, warped onto this one): their mean and how far they disagree.
// Each blotch's window, twice its size and at least 64 px, is reduced to the net's 64 x 64, filled
// there, and the fill is brought back to the window's scale for the blotch's pixels only: a
// blotch covers about half of its window, the share the net was trained on, whatever its size.
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';
import { inpaintMasked } from './inpaint.js';
import type { BlotchBox } from './blotches.js';

/** The net's input and output side (px). */
export const NET_SIZE = 64;
/** A window is this many times a blotch's longer side (the net saw holes of up to about 60 %). */
const WINDOW_FACTOR = 2;

/** The net shipped in the package. */
export const BLOTCH_NET_PATH = join(packageRoot(), 'models', 'blotch-inpaint.onnx');

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** The frames around a blotch's frame, warped onto it (full-size planes, L 0..100). */
export interface FramesAround {
  /** Their mean per pixel. */
  near: Float32Array;
  /** Their spread per pixel (largest minus smallest). */
  spread: Float32Array;
}

export class BlotchNet {
  /** Whether the net takes the frames around (inputs `near` and `spread`). */
  readonly temporal: boolean;

  private constructor(private readonly session: ort.InferenceSession) {
    this.temporal = session.inputNames.includes('near');
  }

  /** Loads the net at `path` (default the shipped one); sessions are shared per path. */
  static async load(path: string = BLOTCH_NET_PATH): Promise<BlotchNet> {
    let s = sessions.get(path);
    if (!s) {
      s = ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
      sessions.set(path, s);
      s.catch(() => sessions.delete(path));
    }
    return new BlotchNet(await s);
  }

  /**
   * Runs the net on `count` windows: `L` and `mask` are count x 64 x 64, L as (L - 50) / 50 and
   * mask 1 in the hole; `around` the frames' mean on the same scale and their spread / 50 (zero
   * spread and L itself when not given). Returns the filled windows in the same scale.
   */
  async run(L: Float32Array, mask: Float32Array, count: number, around?: { near: Float32Array; spread: Float32Array }): Promise<Float32Array> {
    const dims = [count, 1, NET_SIZE, NET_SIZE];
    const feeds: Record<string, ort.Tensor> = {
      L: new ort.Tensor('float32', L, dims), mask: new ort.Tensor('float32', mask, dims), guess: new ort.Tensor('float32', directionalGuess(L, mask, count), dims),
    };
    if (this.temporal) {
      feeds.near = new ort.Tensor('float32', around?.near ?? L, dims);
      feeds.spread = new ort.Tensor('float32', around?.spread ?? new Float32Array(L.length), dims);
    }
    const out = await this.session.run(feeds);
    return out.filled!.data as Float32Array;
  }

  /**
   * Fills, in place, the pixels of `L` (w x h, 0..100) whose `mask` entry is `flag`, blotch by
   * blotch (`boxes`: each blotch's box). Pixels with other non-zero mask entries are not read.
   * `around`: the frames around, for a net that takes them.
   */
  async fill(L: Float32Array, mask: Uint8Array, w: number, h: number, flag: number, boxes: readonly BlotchBox[], around?: FramesAround): Promise<void> {
    if (!boxes.length) return;
    const nn = NET_SIZE * NET_SIZE;
    const inL = new Float32Array(boxes.length * nn), inM = new Float32Array(boxes.length * nn);
    const wins = boxes.map((b, k) => reduceWindow(L, mask, w, h, flag, b, inL.subarray(k * nn, (k + 1) * nn), inM.subarray(k * nn, (k + 1) * nn)));
    let reduced: { near: Float32Array; spread: Float32Array } | undefined;
    if (around && this.temporal) {
      const r = (reduced = { near: new Float32Array(boxes.length * nn), spread: new Float32Array(boxes.length * nn) });
      wins.forEach((win, k) => {
        reducePlane(around.near, w, h, win, r.near.subarray(k * nn, (k + 1) * nn), 50);
        reducePlane(around.spread, w, h, win, r.spread.subarray(k * nn, (k + 1) * nn), 0);
      });
    }
    const out = await this.run(inL, inM, boxes.length, reduced);
    boxes.forEach((b, k) => expandWindow(L, mask, w, flag, b, wins[k], out.subarray(k * nn, (k + 1) * nn)));
  }
}

/**
 * The net's third input: the directional fill (inpaint.ts, reaching across the whole window) of
 * each window's hole; the net learned a correction to it.
 */
export function directionalGuess(L: Float32Array, mask: Float32Array, count: number): Float32Array {
  const nn = NET_SIZE * NET_SIZE;
  const guess = L.slice(0, count * nn);
  const m = new Uint8Array(nn);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < nn; i++) {
      m[i] = mask[k * nn + i]! > 0.5 ? 1 : 0;
      if (m[i]) guess[k * nn + i] = 0;
    }
    inpaintMasked(guess.subarray(k * nn, (k + 1) * nn), m, NET_SIZE, NET_SIZE, 1, NET_SIZE, true);
  }
  return guess;
}

/** A window on the frame: its top-left corner and the frame pixels per net pixel. */
interface Window {
  ox: number;
  oy: number;
  f: number;
}

/**
 * Reduces the window around box `b` to the net's input: each net pixel is the mean of the frame
 * pixels under it that are not masked, and a hole if any masked pixel lies under it (the window
 * may reach past the frame's edge: those pixels repeat the edge).
 */
function reduceWindow(L: Float32Array, mask: Uint8Array, w: number, h: number, flag: number, b: BlotchBox, outL: Float32Array, outM: Float32Array): Window {
  const side = Math.max(NET_SIZE, Math.ceil(WINDOW_FACTOR * Math.max(b.x1 - b.x0 + 1, b.y1 - b.y0 + 1)));
  const f = side / NET_SIZE;
  const ox = Math.round((b.x0 + b.x1 + 1) / 2 - side / 2), oy = Math.round((b.y0 + b.y1 + 1) / 2 - side / 2);
  for (let v = 0; v < NET_SIZE; v++) {
    const sy0 = Math.floor(oy + v * f), sy1 = Math.max(sy0 + 1, Math.floor(oy + (v + 1) * f));
    for (let u = 0; u < NET_SIZE; u++) {
      const sx0 = Math.floor(ox + u * f), sx1 = Math.max(sx0 + 1, Math.floor(ox + (u + 1) * f));
      let sum = 0, cnt = 0, hole = false;
      for (let y = sy0; y < sy1; y++) {
        const r = (y < 0 ? 0 : y >= h ? h - 1 : y) * w;
        for (let x = sx0; x < sx1; x++) {
          const i = r + (x < 0 ? 0 : x >= w ? w - 1 : x);
          if (mask[i] === flag) hole = true;
          else if (mask[i] === 0) {
            sum += L[i];
            cnt++;
          }
        }
      }
      const k = v * NET_SIZE + u;
      // A net pixel with nothing readable under it (another mark covers it) is a hole too.
      outM[k] = hole || cnt === 0 ? 1 : 0;
      outL[k] = outM[k] ? 0 : (sum / cnt - 50) / 50;
    }
  }
  return { ox, oy, f };
}

/** Reduces a whole plane over a window as reduceWindow does (every pixel counts): (v - offset) / 50. */
function reducePlane(P: Float32Array, w: number, h: number, win: Window, out: Float32Array, offset: number): void {
  const { ox, oy, f } = win;
  for (let v = 0; v < NET_SIZE; v++) {
    const sy0 = Math.floor(oy + v * f), sy1 = Math.max(sy0 + 1, Math.floor(oy + (v + 1) * f));
    for (let u = 0; u < NET_SIZE; u++) {
      const sx0 = Math.floor(ox + u * f), sx1 = Math.max(sx0 + 1, Math.floor(ox + (u + 1) * f));
      let sum = 0;
      for (let y = sy0; y < sy1; y++) {
        const r = (y < 0 ? 0 : y >= h ? h - 1 : y) * w;
        for (let x = sx0; x < sx1; x++) sum += P[r + (x < 0 ? 0 : x >= w ? w - 1 : x)]!;
      }
      out[v * NET_SIZE + u] = (sum / ((sy1 - sy0) * (sx1 - sx0)) - offset) / 50;
    }
  }
}

/** Writes the net's fill (bilinear from its 64 x 64) into the box's `flag` pixels. */
function expandWindow(L: Float32Array, mask: Uint8Array, w: number, flag: number, b: BlotchBox, win: Window, out: Float32Array): void {
  const { ox, oy, f } = win;
  const last = NET_SIZE - 1;
  for (let y = b.y0; y <= b.y1; y++) {
    let fy = (y + 0.5 - oy) / f - 0.5;
    fy = fy < 0 ? 0 : fy > last ? last : fy;
    const y0 = fy | 0, y1 = y0 < last ? y0 + 1 : y0, ty = fy - y0;
    for (let x = b.x0; x <= b.x1; x++) {
      const i = y * w + x;
      if (mask[i] !== flag) continue;
      let fx = (x + 0.5 - ox) / f - 0.5;
      fx = fx < 0 ? 0 : fx > last ? last : fx;
      const x0 = fx | 0, x1 = x0 < last ? x0 + 1 : x0, tx = fx - x0;
      const top = out[y0 * NET_SIZE + x0] + (out[y0 * NET_SIZE + x1] - out[y0 * NET_SIZE + x0]) * tx;
      const bot = out[y1 * NET_SIZE + x0] + (out[y1 * NET_SIZE + x1] - out[y1 * NET_SIZE + x0]) * tx;
      const v = 50 + 50 * (top + (bot - top) * ty);
      L[i] = v < 0 ? 0 : v > 100 ? 100 : v;
    }
  }
}
