// Model-only throughput: one ONNX Runtime session per (model, provider), fed random L tensors of
// each batch size and input size, timed over repeated runs after a warm-up run. The network alone
// ("net") and the network plus the annealed-mean decoder ("model": what the pipeline's inference
// costs for a logits model) are timed separately in the same loop.
import * as ort from 'onnxruntime-node';
import { loadModel, netFeeds } from '../../src/model/load-model.js';
import type { LoadedModel } from '../../src/core/model-contract.js';
import { cpuSample, cpuDelta } from './cpu.js';
import type { BenchModel } from './models.js';

export type Provider = 'cpu' | 'cuda';

export interface ModelFpsPoint {
  model: string;
  provider: Provider;
  width: number;
  height: number;
  batch: number;
  /** Frames per second, network + decoder. */
  fps: number;
  /** Frames per second, network only. */
  netFps: number;
  /** CPU milliseconds per frame (all threads of this process), when /proc is readable. */
  cpuMsPerFrame: number | null;
  runs: number;
}

export interface ModelFpsOptions {
  provider: Provider;
  threads?: number;
  /** Time each point for at least this long (after one warm-up run). */
  minSeconds: number;
  /** And at least this many timed runs. */
  minRuns: number;
  /** Stop measuring this model on this provider once this much time is spent. */
  budgetSeconds: number;
  log?: (line: string) => void;
}

/** Load a model on a provider, or say why it cannot be. */
export async function openModel(m: BenchModel, provider: Provider, threads?: number): Promise<{ model: LoadedModel } | { skipped: string }> {
  try {
    const model = await loadModel(m.path, { device: provider, threads, log: () => {} });
    if (model.provider !== provider) {
      await model.release();
      return { skipped: `${provider} provider did not load` };
    }
    return { model };
  } catch (err) {
    return { skipped: (err as Error).message.split('\n')[0] };
  }
}

/** Time one (width, height, batch) point on an open model. */
export async function timePoint(
  model: LoadedModel, name: string, provider: Provider, width: number, height: number, batch: number,
  opts: Pick<ModelFpsOptions, 'minSeconds' | 'minRuns'>,
): Promise<ModelFpsPoint> {
  const data = new Float32Array(batch * width * height);
  // Smooth random L: a plausible image, not white noise (activations then look like real ones).
  for (let i = 0; i < data.length; i++) data[i] = 0.4 * Math.sin(i * 0.013) * Math.cos(i * 0.0007) + 0.1 * (Math.random() - 0.5);
  const input = new ort.Tensor('float32', data, [batch, 1, height, width]);
  const invT = new ort.Tensor('float32', Float32Array.of(1 / 0.38), [1]);
  const feeds = netFeeds(model, input);
  const once = async (): Promise<{ net: number; all: number }> => {
    const t0 = performance.now();
    const out = await model.session.run(feeds);
    const t1 = performance.now();
    if (model.annealer) await model.annealer.run({ logits: out[model.outputName], inv_t: invT });
    return { net: t1 - t0, all: performance.now() - t0 };
  };
  await once();
  let net = 0, all = 0, runs = 0;
  const c0 = cpuSample();
  const started = performance.now();
  while (runs < opts.minRuns || performance.now() - started < opts.minSeconds * 1000) {
    const t = await once();
    net += t.net;
    all += t.all;
    runs++;
  }
  const cpu = cpuDelta(c0, cpuSample());
  const frames = runs * batch;
  return {
    model: name, provider, width, height, batch,
    fps: (frames * 1000) / all,
    netFps: (frames * 1000) / net,
    cpuMsPerFrame: cpu ? (cpu.main + cpu.others) / frames : null,
    runs,
  };
}

/**
 * The grid sizes x batches (square inputs, short side = size) for one model on one provider.
 * Points run cheapest first; once the budget is spent the rest are listed as skipped.
 */
export async function modelFpsGrid(
  m: BenchModel, sizes: number[], batches: number[], extra: { width: number; height: number; batch: number }[], opts: ModelFpsOptions,
): Promise<{ points: ModelFpsPoint[]; skipped: string[] } | { unavailable: string }> {
  const opened = await openModel(m, opts.provider, opts.threads);
  if ('skipped' in opened) return { unavailable: opened.skipped };
  const { model } = opened;
  const todo: { width: number; height: number; batch: number }[] = [];
  for (const s of sizes) for (const b of batches) todo.push({ width: s, height: s, batch: b });
  for (const e of extra) if (!todo.some((t) => t.width === e.width && t.height === e.height && t.batch === e.batch)) todo.push(e);
  // The extra points (the end-to-end runs' exact shapes, needed for E) go first.
  const key = (t: { width: number; height: number; batch: number }) => (extra.some((e) => e.width === t.width && e.height === t.height && e.batch === t.batch) ? 0 : 1);
  todo.sort((a, b) => key(a) - key(b) || a.width * a.height * a.batch - b.width * b.height * b.batch);
  const points: ModelFpsPoint[] = [];
  const skipped: string[] = [];
  const started = performance.now();
  try {
    for (const t of todo) {
      if ((performance.now() - started) / 1000 > opts.budgetSeconds) {
        skipped.push(`${t.width}x${t.height} b${t.batch}`);
        continue;
      }
      const p = await timePoint(model, m.name, opts.provider, t.width, t.height, t.batch, opts);
      opts.log?.(`  ${m.name} ${opts.provider} ${t.width}x${t.height} batch ${t.batch}: ${p.fps.toFixed(2)} fps (net ${p.netFps.toFixed(2)})`);
      points.push(p);
    }
  } finally {
    await model.release();
  }
  return { points, skipped };
}
