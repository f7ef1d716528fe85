// The benchmark's result document (what --json prints and <machine>-<date>.json holds), and the
// derived numbers: pipeline efficiency and the target checks.
import type { MachineInfo } from './machine.js';
import type { BenchModel } from './models.js';
import type { ModelFpsPoint, Provider } from './model-fps.js';
import type { E2eResult, CodecResult } from './e2e.js';
import type { PeerResult } from './peer.js';
import type { MemoryResult } from './memory.js';
import type { Prediction, StageCosts } from './predict.js';

export interface ProviderStatus {
  provider: Provider;
  /** Per model: measured, or why not. */
  models: { model: string; ran: boolean; reason?: string; skippedPoints?: string[] }[];
}

export interface Efficiency {
  clip: string;
  /** End to end with the pipeline model. */
  e2eFps: number;
  /** End to end with the null model (gray output, no model cost), or null when not run. */
  nullE2eFps: number | null;
  /** Transcode of the colour twin of the source: decode, encode a colour picture, same settings. */
  colourTranscodeFps: number;
  /** Transcode of the gray source itself. */
  grayTranscodeFps: number;
  decodeOnlyFps: number;
  /** Model fps (network + annealed-mean decoder) at the e2e run's tensor shape and batch. */
  modelFps: number;
  /** Network alone at that shape. */
  netFps: number;
  /**
   * Pipeline efficiency: null-model e2e / colour transcode. 1.0 = the pipeline around the model
   * costs nothing beyond decoding the source and encoding a colour film. (The null model's output
   * is gray, which x264 encodes faster than colour, so this can exceed what a real model's
   * pipeline could reach; `pipelineVsGray` is the like-for-like figure.)
   */
  pipeline: number | null;
  /** Null-model e2e / gray transcode: both encode a gray picture. */
  pipelineVsGray: number | null;
  /**
   * Model overlap: e2e × (1/colour transcode + 1/model fps). 1.0 = codec and model one after the
   * other with nothing else; above 1 they overlap (the model runs while ffmpeg works).
   */
  overlap: number;
  /** The old figure, e2e × (1/gray transcode + 1/model fps): understates the codec's cost (diagnostic). */
  E: number;
  /** The same ratio in CPU time, (colour transcode CPU + model CPU) / e2e CPU per frame (diagnostic; null without /proc). */
  Ecpu: number | null;
}

export interface Target {
  name: string;
  value: number | boolean | null;
  target: string;
  met: boolean | null;
}

export interface BenchResult {
  /** 2: issue 25's figures (null model, colour transcode, pipeline efficiency, overlap, prediction). */
  schema: 2;
  machine: MachineInfo;
  date: string;
  startedAt: string;
  durationSeconds: number;
  /** Whether training/train.py was running at the start / end (it competes for the CPU). */
  trainingJob: { atStart: boolean; atEnd: boolean };
  options: Record<string, unknown>;
  models: BenchModel[];
  /** The model of the end-to-end, peer and memory runs. */
  pipelineModel: string;
  providers: ProviderStatus[];
  modelFps: ModelFpsPoint[];
  /** End to end with the pipeline model, and with the null model (same clips, same options). */
  e2e: E2eResult[];
  e2eNull: E2eResult[];
  /** Transcode of the gray source. */
  transcode: CodecResult[];
  /** Transcode of the source's colour twin (same pattern, size and settings, in colour). */
  colourTranscode: CodecResult[];
  decodeOnly: CodecResult[];
  efficiency: Efficiency[];
  /** Per clip: CPU ms per frame of each part (null-model run and codec runs), and fps predicted from them (bench/lib/predict.ts). */
  costs: StageCosts[];
  predictions: { clip: string; grid: Prediction[] }[];
  /** --baseline: the same end-to-end runs with another checkout, in the same session. */
  baseline: { dir: string; commit: string; e2e: E2eResult[]; e2eNull: E2eResult[] } | null;
  peer: (PeerResult & { oursFps: number; ratio: number }) | null;
  memory: Omit<MemoryResult, 'series'> & { series: [number, number, number][] } | null;
  targets: Target[];
  notes: string[];
}

export function efficiency(
  e2e: E2eResult, nullE2e: E2eResult | null, codec: { colour: CodecResult; gray: CodecResult; decode: CodecResult },
  points: ModelFpsPoint[], model: string, provider: Provider,
): Efficiency | null {
  const p = points.find((q) => q.model === model && q.provider === provider && q.width === e2e.modelWidth && q.height === e2e.modelHeight && q.batch === e2e.batch);
  if (!p) return null;
  const c = e2e.cpuMsPerFrame;
  const { colour, gray, decode } = codec;
  return {
    clip: e2e.clip, e2eFps: e2e.fps, nullE2eFps: nullE2e?.fps ?? null, colourTranscodeFps: colour.fps, grayTranscodeFps: gray.fps,
    decodeOnlyFps: decode.fps, modelFps: p.fps, netFps: p.netFps,
    pipeline: nullE2e ? nullE2e.fps / colour.fps : null,
    pipelineVsGray: nullE2e ? nullE2e.fps / gray.fps : null,
    overlap: e2e.fps * (1 / colour.fps + 1 / p.fps),
    E: e2e.fps * (1 / gray.fps + 1 / p.fps),
    Ecpu: c && colour.cpuMsPerFrame !== null && p.cpuMsPerFrame !== null
      ? (colour.cpuMsPerFrame + p.cpuMsPerFrame) / (c.main + c.others + c.children) : null,
  };
}

/** Issue 25's targets on a 2-core CPU: pipeline efficiency, main-thread CPU at 1080p, memory; and the PNG-sequence peer. */
export function targets(r: Pick<BenchResult, 'efficiency' | 'peer' | 'memory' | 'e2e'>): Target[] {
  const out: Target[] = [];
  const e = (clip: string) => r.efficiency.find((x) => x.clip === clip);
  const p480 = e('480p')?.pipeline ?? null, p1080 = e('1080p')?.pipeline ?? null;
  out.push({ name: 'pipeline efficiency at 480p', value: p480, target: '>= 0.9', met: p480 === null ? null : p480 >= 0.9 });
  out.push({ name: 'pipeline efficiency at 1080p', value: p1080, target: '>= 0.85', met: p1080 === null ? null : p1080 >= 0.85 });
  const main1080 = r.e2e.find((x) => x.clip === '1080p')?.cpuMsPerFrame?.main ?? null;
  out.push({ name: 'main-thread CPU ms per 1080p frame', value: main1080, target: '<= 10', met: main1080 === null ? null : main1080 <= 10 });
  out.push({ name: 'ours / peer', value: r.peer?.ratio ?? null, target: '>= 1.5', met: r.peer ? r.peer.ratio >= 1.5 : null });
  out.push({ name: 'memory flat', value: r.memory?.flat ?? null, target: 'flat', met: r.memory ? r.memory.flat : null });
  return out;
}
