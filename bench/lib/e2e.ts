// End-to-end runs through the library (Colorizer: decode -> graph -> encode, exactly what
// `chroma colorize` does), with the stage timer and a CPU split; and the codec baselines: a plain
// transcode (ffmpeg decode + the same encoder settings, audio copied, no model) of the gray clip
// and of its colour twin, and decode-only (the decoder's own command line, frames thrown away).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { FFMPEG } from '../../src/media/ffmpeg-paths.js';
import type { PixelFormat } from '../../src/core/frames.js';
import { probeMedia } from '../../src/media/probe.js';
import { encodeArgs, DEFAULT_ENCODE } from '../../src/media/encode-args.js';
import { Colorizer } from '../../src/colorizer.js';
import { StageTimer } from '../../src/core/stage-timer.js';
import { modelSize } from '../../src/color/resample.js';
import { cpuSample, cpuDelta, type CpuSample } from './cpu.js';

const run = promisify(execFile);

export interface E2eResult {
  clip: string;
  /** The model the run used (the pipeline model, or 'null'). */
  model: string;
  width: number;
  height: number;
  frames: number;
  seconds: number;
  fps: number;
  batch: number;
  /** Model input size (short side) and the resulting tensor shape. */
  size: number;
  modelWidth: number;
  modelHeight: number;
  /** Milliseconds per frame in each stage (StageTimer). */
  stages: Record<string, number>;
  /**
   * CPU milliseconds per frame from /proc (user + system, 10 ms ticks): the main thread alone
   * (/proc/self/task/PID), the process's other threads (inference worker, ORT, libuv), ffmpeg children.
   */
  cpuMsPerFrame: CpuSample | null;
  /**
   * The main thread's event loop busy time per frame (performance.eventLoopUtilization's `active`
   * over the run / frames): a cross-check of cpuMsPerFrame.main that also counts time the thread had
   * work but no core, so it reads far higher on a loaded machine.
   */
  loopActiveMsPerFrame: number;
  /** The colour output (kept until the run's temp dir goes). */
  output: string;
}

export interface CodecResult {
  clip: string;
  frames: number;
  seconds: number;
  fps: number;
  cpuMsPerFrame: number | null;
}

function perFrame(c: CpuSample | null, frames: number): CpuSample | null {
  return c ? { main: c.main / frames, others: c.others / frames, children: c.children / frames } : null;
}

export async function runE2e(
  colorizer: Colorizer, clip: string, label: string, outDir: string, o: { batch: number; size?: number; model: string },
): Promise<E2eResult> {
  const info = await probeMedia(clip);
  const timer = new StageTimer();
  const output = join(outDir, `e2e-${label}-${o.model}.mp4`);
  const c0 = cpuSample();
  const elu0 = performance.eventLoopUtilization();
  const r = await colorizer.colorize(clip, output, { batch: o.batch, size: o.size, overwrite: true, timer }).done;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = cpuDelta(c0, cpuSample());
  const model = colorizer.model.info;
  const size = o.size ?? model.trainSize;
  const dims = modelSize(info.width, info.height, size, model.sizeMultiple);
  return {
    clip: label, model: o.model, width: info.width, height: info.height, frames: r.frames, seconds: r.seconds, fps: r.frames / r.seconds,
    batch: o.batch, size, modelWidth: dims.width, modelHeight: dims.height, stages: r.stages, cpuMsPerFrame: perFrame(cpu, r.frames),
    loopActiveMsPerFrame: elu.active / r.frames, output,
  };
}

async function timeFfmpeg(args: string[]): Promise<{ seconds: number; cpuMs: number | null }> {
  const c0 = cpuSample();
  const t0 = performance.now();
  await run(FFMPEG, args, { maxBuffer: 256 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(c0, cpuSample());
  return { seconds, cpuMs: cpu ? cpu.children : null };
}

function codecResult(clip: string, frames: number, t: { seconds: number; cpuMs: number | null }): CodecResult {
  return { clip, frames, seconds: t.seconds, fps: frames / t.seconds, cpuMsPerFrame: t.cpuMs === null ? null : t.cpuMs / frames };
}

/** ffmpeg decode + encode with the pipeline's encoder settings (same codec, CRF, preset, tags, audio copy). */
export async function runTranscode(clip: string, label: string, outDir: string, frames: number, tag = 'transcode'): Promise<CodecResult> {
  const info = await probeMedia(clip);
  const output = join(outDir, `${tag}-${label}.mp4`);
  const plan = encodeArgs(output, output, info, DEFAULT_ENCODE);
  const t = await timeFfmpeg(['-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error', '-y', '-i', clip, ...plan.args]);
  return codecResult(label, frames, t);
}

/** The decoder's command line (frames in the pipeline's pipe format, showinfo timestamps), output discarded. */
export async function runDecodeOnly(clip: string, label: string, frames: number, format: PixelFormat = 'rgb24'): Promise<CodecResult> {
  const t = await timeFfmpeg([
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'level+info', '-i', clip,
    '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', 'showinfo', '-vsync', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', format, '-y', '/dev/null',
  ]);
  return codecResult(label, frames, t);
}

/** Decode alone in the codec's own pixel format (no rgb24 conversion, no pipe): ffmpeg's parallel part of decoding. */
export async function runDecodeNative(clip: string, label: string, frames: number): Promise<CodecResult> {
  const t = await timeFfmpeg(['-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error', '-i', clip, '-map', '0:v:0', '-f', 'null', '-']);
  return codecResult(label, frames, t);
}

/**
 * Decode, convert to rgb24 and back to BT.709 YUV with the encoder's own scale filter, no encode:
 * minus decode-only, what the encoder process spends turning our rgb24 frames into YUV (single
 * threaded in ffmpeg's swscale, so a serial cost per frame).
 */
export async function runRgbToYuv(clip: string, label: string, frames: number): Promise<CodecResult> {
  const t = await timeFfmpeg([
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error', '-i', clip, '-map', '0:v:0',
    '-vf', 'format=rgb24,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p', '-f', 'null', '-',
  ]);
  return codecResult(label, frames, t);
}
