// The smoothing thread (smooth-thread.ts): one AbSmoother per run, fed frames in order. Each frame
// it lets go is posted back with its smoothed ab (transferred), with the CPU time of the call that
// released it. A 'start' begins a run with a fresh smoother (the thread outlives runs: see
// smooth-thread.ts).
import { parentPort } from 'node:worker_threads';
import { AbSmoother } from '../smoothing/smoother.js';
import type { SmoothOptions } from '../smoothing/options.js';
import type { AbFrame } from '../core/frames.js';

/** What the thread needs of a frame. */
export interface SmoothFrame {
  index: number;
  modelWidth: number; modelHeight: number; modelL: Float32Array;
  abWidth: number; abHeight: number; ab: Float32Array;
}
export type SmoothRequest = { type: 'start'; options: SmoothOptions } | { type: 'push'; frame: SmoothFrame } | { type: 'flush' } | { type: 'close' };
export type SmoothReply =
  | { type: 'out'; index: number; ab: Float32Array; ms: number }
  | { type: 'flushed' }
  | { type: 'failed'; message: string };

let smoother: AbSmoother | null = null;
const port = parentPort!;
const released: AbFrame[] = [];
const collect = (f: AbFrame) => void released.push(f);
/** Post the frames the last call let go; its CPU time rides on the first. */
const send = (ms: number) => {
  for (const f of released.splice(0)) {
    const reply: SmoothReply = { type: 'out', index: f.index, ab: f.ab, ms };
    ms = 0;
    port.postMessage(reply, [f.ab.buffer as ArrayBuffer]);
  }
};
port.on('message', (m: SmoothRequest) => {
  try {
    const t0 = performance.now();
    if (m.type === 'start') {
      smoother = new AbSmoother(m.options);
    } else if (m.type === 'push') {
      if (!smoother) throw new Error('a frame before the run started');
      smoother.push(m.frame as AbFrame, collect);
      send(performance.now() - t0);
    } else if (m.type === 'flush') {
      smoother?.flush(collect);
      smoother = null;
      send(performance.now() - t0);
      port.postMessage({ type: 'flushed' } satisfies SmoothReply);
    } else {
      port.close();
    }
  } catch (err) {
    port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies SmoothReply);
  }
});
