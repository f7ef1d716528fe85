// What a bigger machine would do: end-to-end fps predicted from the costs measured here (CPU
// milliseconds per frame of each part of the pipeline) and a thread layout (cores, where the
// per-pixel stages run, the model's speed on a GPU, the encoder). The pipeline runs as a chain of
// parts working on different frames at once, so its rate is the slowest part's:
//
//   main thread      1000 / main-thread ms                (one thread, whatever the cores)
//   pixel pool       workers x 1000 / per-pixel ms        (when the per-pixel stages run on a pool)
//   model            the GPU's fps at the run's shape and batch
//   decoder serial   1000 / its conversion ms             (swscale is single threaded; ~0 for a yuv420p pipe)
//   encoder serial   1000 / its rgb24 -> YUV ms           (same; 0 when we hand it yuv420p)
//   NVENC            the chip's own rate (assumed, below)
//   all cores        cores x efficiency x 1000 / every CPU ms of a frame (x264 and decoding scale)
//
// Assumptions (docs/benchmarks.md says them too): a core there is as fast as one here; the CPU
// parts that are not serial spread over all cores at PARALLEL_EFFICIENCY; moving a stage to a
// worker costs HANDOFF_MS of main-thread time per frame; NVENC encodes NVENC_FPS frames a second at
// 1080p (preset p4) and costs the CPU only the conversion; a GPU model costs the CPU nothing.
import type { E2eResult, CodecResult } from './e2e.js';

export const PARALLEL_EFFICIENCY = 0.85;
export const HANDOFF_MS = 0.3;
/** NVENC's H.264 rate at 1080p, preset p4, scaled by pixels at other sizes (NVIDIA's published figures for recent chips are several hundred). */
export const NVENC_FPS_1080P = 400;

/** Per-frame CPU costs at one clip size, from one bench run. */
export interface StageCosts {
  clip: string;
  width: number;
  height: number;
  /** Main-thread CPU of the null-model run (the pipeline without the model). */
  mainMs: number;
  /** Its per-pixel stages (L, resize, hints, smoothing, compose): their share of the loop's busy time times mainMs. */
  perPixelMs: number;
  /** The process's other threads in the null-model run (inference worker, libuv, GC). */
  otherMs: number;
  /** ffmpeg decoding in the codec's own format (parallel). */
  decodeMs: number;
  /** ffmpeg converting decoded frames to the pipe's format (serial; about 0 when the pipe takes yuv420p). */
  decodeConvertMs: number;
  /** ffmpeg converting our rgb24 to BT.709 YUV before the encoder (serial; 0 when we hand it yuv420p). */
  encodeConvertMs: number;
  /** x264 encoding a colour picture (parallel): the colour transcode's CPU less its decode. */
  x264Ms: number;
}

export interface Layout {
  cores: number;
  /** Workers the per-pixel stages are moved to; 0: they run where the measured build runs them. */
  workers: number;
  /** The model's fps on the GPU at the run's shape and batch. */
  gpuFps: number;
  encoder: 'x264' | 'nvenc';
}

export interface Prediction {
  layout: Layout;
  fps: number;
  /** The part that sets the rate. */
  bound: string;
  bounds: Record<string, number>;
}

const STAGES_PER_PIXEL = ['l', 'resize', 'hints', 'smooth', 'compose'];

/** The costs of one clip from its null-model run and the codec baselines on the same clip. */
export function stageCosts(
  nullRun: E2eResult, codec: { decodeNative: CodecResult; decodeOnly: CodecResult; rgbToYuv: CodecResult | null; colourTranscode: CodecResult },
): StageCosts | null {
  const c = nullRun.cpuMsPerFrame;
  const { decodeNative, decodeOnly, rgbToYuv, colourTranscode } = codec;
  if (!c || decodeNative.cpuMsPerFrame === null || decodeOnly.cpuMsPerFrame === null || rgbToYuv?.cpuMsPerFrame === null || colourTranscode.cpuMsPerFrame === null) return null;
  const pixelWall = STAGES_PER_PIXEL.reduce((a, s) => a + (nullRun.stages[s] ?? 0), 0);
  const share = nullRun.loopActiveMsPerFrame > 0 ? Math.min(1, pixelWall / nullRun.loopActiveMsPerFrame) : 0;
  return {
    clip: nullRun.clip, width: nullRun.width, height: nullRun.height,
    mainMs: c.main, perPixelMs: c.main * share, otherMs: c.others,
    decodeMs: decodeNative.cpuMsPerFrame,
    decodeConvertMs: Math.max(0, decodeOnly.cpuMsPerFrame - decodeNative.cpuMsPerFrame),
    // (A yuv420p encoder pipe: our compose did the conversion, counted in otherMs.)
    encodeConvertMs: rgbToYuv ? Math.max(0, rgbToYuv.cpuMsPerFrame! - decodeOnly.cpuMsPerFrame) : 0,
    x264Ms: Math.max(0, colourTranscode.cpuMsPerFrame - decodeNative.cpuMsPerFrame),
  };
}

export function predictFps(c: StageCosts, l: Layout): Prediction {
  const pooled = l.workers > 0;
  // (Where the measured build already runs them on workers, their stage times are mostly waiting, so
  // the floor keeps what is left of the main thread from going below the handoff.)
  const mainMs = pooled ? Math.max(c.mainMs - c.perPixelMs, 0) + HANDOFF_MS : c.mainMs;
  const nvencFps = NVENC_FPS_1080P * (1920 * 1080) / (c.width * c.height);
  const cpuMs = c.mainMs + (pooled ? HANDOFF_MS : 0) + c.otherMs + c.decodeMs + c.decodeConvertMs + c.encodeConvertMs + (l.encoder === 'x264' ? c.x264Ms : 0);
  const bounds: Record<string, number> = {
    'main thread': 1000 / mainMs,
    ...(pooled ? { 'pixel pool': (l.workers * 1000) / Math.max(c.perPixelMs, 1e-3) } : {}),
    model: l.gpuFps,
    'decoder serial': 1000 / Math.max(c.decodeConvertMs, 1e-3),
    'encoder serial': 1000 / Math.max(c.encodeConvertMs, 1e-3),
    ...(l.encoder === 'nvenc' ? { NVENC: nvencFps } : {}),
    'all cores': (l.cores * PARALLEL_EFFICIENCY * 1000) / cpuMs,
  };
  let bound = 'model';
  for (const [k, v] of Object.entries(bounds)) if (v < bounds[bound]) bound = k;
  return { layout: l, fps: bounds[bound], bound, bounds };
}

/** The grid the bench reports: 16 cores, per-pixel stages on the main thread or on 8 workers, GPU models at 100/300/1000 fps, x264 or NVENC. */
export function predictionGrid(c: StageCosts, cores = 16): Prediction[] {
  const out: Prediction[] = [];
  for (const workers of [0, cores / 2]) for (const encoder of ['x264', 'nvenc'] as const) for (const gpuFps of [100, 300, 1000]) {
    out.push(predictFps(c, { cores, workers, gpuFps, encoder }));
  }
  return out;
}
