// The colour error of a colorized video against its colour original, frame by frame: the mean
// per-pixel ab distance (CIE Lab, D65) at a given working size. The hint benches' one measure.
import { readRgbFrames } from '../../src/metrics/frames.js';
import { allocLab, rgbToLabPlanes } from '../../src/metrics/lab-planes.js';

/** Mean per-pixel ab error of each frame pair, until either video ends. */
export async function abErrorPerFrame(colorized: string, original: string, size: { width: number; height: number }): Promise<number[]> {
  const a = readRgbFrames(colorized, size), b = readRgbFrames(original, size);
  const pa = allocLab(size.width, size.height), pb = allocLab(size.width, size.height);
  const n = size.width * size.height;
  const out: number[] = [];
  try {
    for (;;) {
      const [x, y] = await Promise.all([a.next(), b.next()]);
      if (x.done || y.done) break;
      rgbToLabPlanes(x.value, pa);
      rgbToLabPlanes(y.value, pb);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.hypot(pa.a[i] - pb.a[i], pa.b[i] - pb.b[i]);
      out.push(s / n);
    }
  } finally {
    await a.return(undefined);
    await b.return(undefined);
  }
  return out;
}
