// `node --import tsx bench/smooth-cost.ts`: the temporal smoother's own CPU time per frame (what the
// smoothing thread spends; the pipeline's 'smooth' stage figure is wall time on a thread that
// competes with x264 for the cores). Synthetic frames (a moving textured L plane, a drifting ab),
// timed 5 frames at a time in CPU time; the lowest and the median of the chunks are printed, the
// lowest being the least disturbed by other work on a loaded machine. With --baseline DIR, another
// chroma checkout's smoother runs the same frames, alternating with this one.
//   --sizes 192x144,256x144 (model input; ab is a quarter of it)  --modes lookahead,causal
//   --rounds 12  --baseline DIR
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AbFrame } from '../src/core/frames.js';
import type { SmoothMode } from '../src/smoothing/options.js';

const { values: v } = parseArgs({
  options: {
    sizes: { type: 'string', default: '192x144,256x144' },
    modes: { type: 'string', default: 'lookahead,causal' },
    rounds: { type: 'string', default: '12' },
    baseline: { type: 'string' },
  },
});

interface Smoother {
  push(f: AbFrame, emit: (f: AbFrame) => void): void;
  flush(emit: (f: AbFrame) => void): void;
}
type SmootherClass = new (o: { mode: SmoothMode; strength: 'medium' }) => Smoother;

async function smootherOf(dir: string): Promise<SmootherClass> {
  const file = join(dir, 'src/smoothing/smoother.ts');
  if (!existsSync(file)) throw new Error(`${dir} is not a chroma checkout (no src/smoothing/smoother.ts)`);
  return ((await import(pathToFileURL(file).href)) as { AbSmoother: SmootherClass }).AbSmoother;
}

function frames(mw: number, mh: number, count: number): AbFrame[] {
  const aw = Math.ceil(mw / 4), ah = Math.ceil(mh / 4);
  return Array.from({ length: count }, (_, t) => {
    const L = new Float32Array(mw * mh);
    for (let y = 0; y < mh; y++) {
      for (let x = 0; x < mw; x++) {
        L[y * mw + x] = 50 + 30 * Math.sin((x + t * 1.3) / 9) * Math.cos((y - t * 0.7) / 7) + 10 * Math.sin((x * y) / 50);
      }
    }
    const ab = new Float32Array(2 * aw * ah);
    for (let i = 0; i < ab.length; i++) ab[i] = 20 * Math.sin(i / 17 + t / 5);
    return { index: t, modelWidth: mw, modelHeight: mh, modelL: L, abWidth: aw, abHeight: ah, ab } as unknown as AbFrame;
  });
}

/** CPU ms per frame of each 5-frame chunk, over `rounds` fresh smoothers. */
function time(S: SmootherClass, mode: SmoothMode, input: AbFrame[], rounds: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const s = new S({ mode, strength: 'medium' });
    for (let k = 0; k + 5 <= input.length; k += 5) {
      const c0 = process.cpuUsage();
      for (let j = k; j < k + 5; j++) s.push({ ...input[j], ab: input[j].ab.slice() }, () => {});
      const c = process.cpuUsage(c0);
      out.push((c.user + c.system) / 1000 / 5);
    }
    s.flush(() => {});
  }
  return out.sort((a, b) => a - b);
}

const here = await smootherOf(resolve(import.meta.dirname, '..'));
const base = v.baseline ? await smootherOf(resolve(v.baseline)) : null;
const rounds = Number(v.rounds);
console.log('model input   mode        this: min / median ms' + (base ? '   baseline: min / median ms   this / baseline (median)' : ''));
for (const size of v.sizes.split(',')) {
  const [mw, mh] = size.split('x').map(Number);
  const input = frames(mw, mh, 40);
  for (const mode of v.modes.split(',') as SmoothMode[]) {
    // Alternate so both see the same load; the first pass of each only warms the JIT.
    time(here, mode, input.slice(0, 10), 1);
    if (base) time(base, mode, input.slice(0, 10), 1);
    const a: number[] = [], b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(...time(here, mode, input, 1));
      if (base) b.push(...time(base, mode, input, 1));
    }
    a.sort((x, y) => x - y);
    b.sort((x, y) => x - y);
    const med = (x: number[]) => x[x.length >> 1];
    const row = `${size.padEnd(14)}${mode.padEnd(12)}${a[0].toFixed(2).padStart(10)} / ${med(a).toFixed(2)}`;
    console.log(base ? `${row}${b[0].toFixed(2).padStart(16)} / ${med(b).toFixed(2)}${(med(a) / med(b)).toFixed(2).padStart(18)}` : row);
  }
}
