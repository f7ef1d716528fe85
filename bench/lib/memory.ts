// Resident memory over a long run: the process's RSS (main thread, inference worker and ORT
// together) and its ffmpeg children's, sampled every `intervalMs` while a long clip is colorized.
// A bounded pipeline shows a flat line after the first batches; a leak shows a slope.
import { join } from 'node:path';
import { Colorizer } from '../../src/colorizer.js';
import { childrenRss } from './cpu.js';
import { linearFit, median } from './stats.js';

export interface MemoryResult {
  clip: string;
  frames: number;
  seconds: number;
  samples: number;
  /** MiB: first sample, min, max, last (process RSS). */
  startMB: number;
  minMB: number;
  maxMB: number;
  endMB: number;
  /** Least-squares slope of RSS after warm-up (the first 20% of the run), MiB per minute. */
  slopeMBPerMin: number;
  /** Growth the slope predicts over the fitted part of the run, MiB. */
  fittedGrowthMB: number;
  /** Fitted growth <= max(16 MiB, 5% of the median RSS); a shrinking process is flat. */
  flat: boolean;
  /** ffmpeg children's RSS (MiB): max seen. */
  childrenMaxMB: number;
  series: { t: number; rssMB: number; childrenMB: number }[];
}

const MB = 1024 * 1024;

export async function runMemory(
  colorizer: Colorizer, clip: string, label: string, outDir: string, o: { batch: number; size?: number; intervalMs?: number },
): Promise<MemoryResult> {
  const series: { t: number; rssMB: number; childrenMB: number }[] = [];
  const t0 = performance.now();
  const sample = () => series.push({ t: (performance.now() - t0) / 1000, rssMB: process.memoryUsage.rss() / MB, childrenMB: childrenRss() / MB });
  sample();
  const timer = setInterval(sample, o.intervalMs ?? 250);
  let r;
  try {
    r = await colorizer.colorize(clip, join(outDir, `memory-${label}.mp4`), { batch: o.batch, size: o.size, overwrite: true }).done;
  } finally {
    clearInterval(timer);
  }
  sample();
  const seconds = (performance.now() - t0) / 1000;
  const rss = series.map((s) => s.rssMB);
  const after = series.filter((s) => s.t >= seconds * 0.2);
  const fit = linearFit(after.map((s) => s.t / 60), after.map((s) => s.rssMB));
  const span = after.length > 1 ? (after[after.length - 1].t - after[0].t) / 60 : 0;
  const growth = fit.slope * span;
  const med = median(after.map((s) => s.rssMB));
  return {
    clip: label, frames: r.frames, seconds, samples: series.length,
    startMB: rss[0], minMB: Math.min(...rss), maxMB: Math.max(...rss), endMB: rss[rss.length - 1],
    slopeMBPerMin: fit.slope, fittedGrowthMB: growth,
    // Flat: what the fitted line grows over the run stays within 16 MiB or 5% (shrinking is fine).
    flat: growth <= Math.max(16, 0.05 * med),
    childrenMaxMB: Math.max(...series.map((s) => s.childrenMB)),
    series,
  };
}
