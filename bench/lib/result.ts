// The benchmark's result document (what --json prints and <machine>-<date>.json holds), and the
// derived numbers: pipeline efficiency and the target checks.
import type { MachineInfo } from './machine.js';
import type { BenchModel } from './models.js';
import type { ModelFpsPoint, Provider } from './model-fps.js';
import type { E2eResult, CodecResult } from './e2e.js';
import type { PeerResult } from './peer.js';
import type { MemoryResult } from './memory.js';

export interface ProviderStatus {
  provider: Provider;
  /** Per model: measured, or why not. */
  models: { model: string; ran: boolean; reason?: string; skippedPoints?: string[] }[];
}

export interface Efficiency {
  clip: string;
  e2eFps: number;
  transcodeFps: number;
  /** Model fps (network + annealed-mean decoder) at the e2e run's tensor shape and batch. */
  modelFps: number;
  /** Network alone at that shape. */
  netFps: number;
  /** e2e_fps x (1 / transcode_fps + 1 / model_fps): 1.0 = nothing beyond codec + model. */
  E: number;
  /** The same with the network alone as "the model" (the decoder counted as pipeline cost). */
  Enet: number;
  /**
   * Diagnostic: E with the transcode of the colour output instead of the gray source (a colour
   * video costs the encoder more than the gray one it came from), or null.
   */
  EcolourCodec: number | null;
  /**
   * Diagnostic: the same ratio in CPU time, (transcode CPU + model CPU) / e2e CPU per frame; steadier
   * than wall time on a shared machine, blind to how well the cores are used. Null without /proc.
   */
  Ecpu: number | null;
}

export interface Target {
  name: string;
  value: number | boolean | null;
  target: string;
  met: boolean | null;
}

export interface BenchResult {
  schema: 1;
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
  e2e: E2eResult[];
  transcode: CodecResult[];
  /** The same transcode of the pipeline's colour output (diagnostic). */
  colourTranscode: CodecResult[];
  decodeOnly: CodecResult[];
  efficiency: Efficiency[];
  peer: (PeerResult & { oursFps: number; ratio: number }) | null;
  memory: Omit<MemoryResult, 'series'> & { series: [number, number, number][] } | null;
  targets: Target[];
  notes: string[];
}

export function efficiency(
  e2e: E2eResult, transcode: CodecResult, colour: CodecResult | null, points: ModelFpsPoint[], model: string, provider: Provider,
): Efficiency | null {
  const p = points.find((q) => q.model === model && q.provider === provider && q.width === e2e.modelWidth && q.height === e2e.modelHeight && q.batch === e2e.batch);
  if (!p) return null;
  const c = e2e.cpuMsPerFrame;
  return {
    clip: e2e.clip, e2eFps: e2e.fps, transcodeFps: transcode.fps, modelFps: p.fps, netFps: p.netFps,
    E: e2e.fps * (1 / transcode.fps + 1 / p.fps),
    Enet: e2e.fps * (1 / transcode.fps + 1 / p.netFps),
    EcolourCodec: colour ? e2e.fps * (1 / colour.fps + 1 / p.fps) : null,
    Ecpu: c && transcode.cpuMsPerFrame !== null && p.cpuMsPerFrame !== null
      ? (transcode.cpuMsPerFrame + p.cpuMsPerFrame) / (c.main + c.others + c.children) : null,
  };
}

/** The targets for a 2-core CPU with the built-in model. */
export function targets(r: Pick<BenchResult, 'efficiency' | 'peer' | 'memory'>): Target[] {
  const out: Target[] = [];
  const e = (clip: string) => r.efficiency.find((x) => x.clip === clip);
  const e480 = e('480p'), e1080 = e('1080p');
  out.push({ name: 'E at 480p', value: e480?.E ?? null, target: '>= 0.9', met: e480 ? e480.E >= 0.9 : null });
  out.push({ name: 'E at 1080p', value: e1080?.E ?? null, target: '>= 0.8', met: e1080 ? e1080.E >= 0.8 : null });
  out.push({ name: 'ours / peer', value: r.peer?.ratio ?? null, target: '>= 1.5', met: r.peer ? r.peer.ratio >= 1.5 : null });
  out.push({ name: 'memory flat', value: r.memory?.flat ?? null, target: 'flat', met: r.memory ? r.memory.flat : null });
  return out;
}
