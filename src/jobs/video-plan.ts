// A video job resolved once, before any frame is colorized: the colour graph's options, the
// smoothing and restoration it asks for, the hints' per-frame provider (after the tracking pass),
// the frames allowed in flight, the encoder settings and what --resume compares. Every path that
// colorizes a video — a file, a resumable file, a farm worker's segment — builds its chain from a
// plan with the one function here, colourRun(plan, source, sink): only the source (a decoder, a
// seeked decoder, a segment's pieces) and the sink (one encoder, checkpointed segments) differ.
import type { Observable } from 'rxjs';
import { colorGraph, hintsUnsupported, type GraphOptions } from '../graph/color-graph.js';
import { restoreHold, restoreStage, type LStage, type RestoreOptions } from '../graph/restore-stage.js';
import { smoothStage } from '../operators/smooth-ab.js';
import { FlowGate, defaultGateLimit } from '../core/flow-gate.js';
import { DEFAULT_BATCH, FALLBACK_FPS } from '../core/defaults.js';
import { ChildGroup } from '../media/child.js';
import { FrameBuffers } from '../core/frame-buffers.js';
import { defaultPixelWorkers } from '../pool/pixel-pool.js';
import { DEFAULT_ENCODE, takesYuv420, type EncodeSettings } from '../media/encode-args.js';
import { frameBytes, type PixelFormat, type YuvMatrix } from '../core/frames.js';
import { yuvGrayCodes } from '../media/gray-codes.js';
import type { ComposeOutput } from '../operators/compose-frames.js';
import { serializeHints, type HintsFile } from '../hints/hints-file.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { RawFrame } from '../core/frames.js';
import type { SmoothOptions } from '../smoothing/options.js';
import { runVideoJob, type VideoRunOptions, type VideoSink } from './run-video-job.js';
import { smoothingKey, smoothingOf, sourceNotes, wantsDeinterlace, type VideoJobOptions } from './video-job.js';
import { videoHintsForJob, type HintLoss } from './video-hints.js';

export interface VideoPlan {
  model: LoadedModel;
  info: MediaInfo;
  /** The colour graph's options; its two stateful stages (restore, smooth) are built per run from the fields below. */
  graph: Omit<GraphOptions, 'smooth' | 'restore'>;
  /** smoothingOf(opts.smooth): null when off. */
  smoothing: SmoothOptions | null;
  restore: RestoreOptions | null;
  deinterlace: boolean;
  /** Frames allowed between decoder and encoder (jobGateLimit). */
  gateLimit: number;
  /** Complete codec settings (the defaults filled in). */
  encode: EncodeSettings;
  /** What changes the result, for --resume's manifest, given the output's container. */
  fingerprint(container: string): Record<string, unknown>;
  /** Notes about what the job does to this source, said once before it starts. */
  notes: string[];
  /** The tracking pass's findings, when the job has hints. */
  tracked: { losses: HintLoss[]; cuts: number[] } | null;
  /**
   * For a tv-range yuv420p source of even size: ffmpeg's Y -> gray code table (media/gray-codes.ts),
   * which lets a run decode it as yuv420p with the rgb24 decoder's L*. Null otherwise.
   */
  grayCodes: Uint8Array | null;
  onNote?: (line: string) => void;
}

/** What a plan is made from: a video job's options, with the hints as a checked file (jobs/job-hints.ts). */
export interface VideoPlanOptions extends Omit<VideoJobOptions, 'hints' | 'hintsKey'> {
  /** Hints already checked for this film; the plan's tracking pass follows them. Default: none. */
  hints?: HintsFile | null;
  /** Called for each hint point the tracker lost, before any colour pass. Default: none. */
  onHintLost?: (loss: HintLoss) => void;
  /** Stops the tracking pass. Default: none. */
  signal?: AbortSignal;
}

/**
 * Frames allowed in flight: `inFlight`, else the default for the batch plus what the restoration
 * stage holds back (its look-ahead), so the graph never waits on a window that cannot fill.
 */
export function jobGateLimit(opts: Pick<VideoJobOptions, 'inFlight' | 'batch' | 'restore'>): number {
  return opts.inFlight ?? defaultGateLimit(opts.batch ?? DEFAULT_BATCH) + restoreHold(opts.restore?.settings ?? null);
}

/**
 * Resolve a job's options for `info` once: smoothing, deinterlacing, the stages' settings, and
 * with hints the tracking pass (a decode of the whole film at model size, charged to the 'track'
 * stage). The pass is deterministic, so a resumed job or another farm worker gets the same plan.
 */
export async function planVideo(model: LoadedModel, info: MediaInfo, opts: VideoPlanOptions): Promise<VideoPlan> {
  const { hints, restore } = opts;
  const smoothing = smoothingOf(opts.smooth);
  const deinterlace = wantsDeinterlace(info, opts);
  let tracked: VideoPlan['tracked'] = null;
  let provider = null;
  if (hints) {
    if (!model.hintsName) throw hintsUnsupported(model);
    const t0 = performance.now();
    const p = await videoHintsForJob(model, info, hints, { size: opts.size, deinterlace, cutThreshold: smoothing?.cutThreshold, signal: opts.signal });
    opts.timer?.add('track', performance.now() - t0, p.frames);
    p.losses.forEach((l) => opts.onHintLost?.(l));
    tracked = { losses: p.losses, cuts: p.cuts };
    provider = p.provider;
  }
  const tilt = opts.tilt ?? null;
  const hintsKey = hints || tilt ? JSON.stringify({ hints: hints ? serializeHints(hints) : null, tilt: tilt && Array.from(tilt) }) : null;
  const encode: EncodeSettings = { ...DEFAULT_ENCODE, ...opts.encode };
  const grayCodes = decodesAsYuv(info) ? await yuvGrayCodes() : null;
  const graph: VideoPlan['graph'] = { hints: provider, tilt };
  for (const k of GRAPH_KEYS) if (opts[k] !== undefined) Object.assign(graph, { [k]: opts[k] });
  // (Not in the fingerprint: the pool gives the same bytes.)
  graph.workers = opts.workers ?? defaultPixelWorkers();
  return {
    model, info, graph, smoothing, restore: restore ?? null, deinterlace, gateLimit: jobGateLimit(opts), encode,
    notes: sourceNotes(info, deinterlace), tracked, grayCodes,
    // (In the key order of manifests written before plans existed, so that they still match.)
    fingerprint: (container) => ({
      model: { path: model.path, name: model.info.name, kind: model.info.kind },
      temperature: typeof opts.temperature === 'function' ? 'live' : opts.temperature ?? null,
      size: opts.size ?? null, batch: opts.batch ?? DEFAULT_BATCH, deinterlace, encode, container,
      width: info.width, height: info.height, smooth: smoothingKey(smoothing), restore: restore?.settings ?? null,
      ...(hintsKey ? { hints: hintsKey } : {}),
    }),
    ...(opts.onNote ? { onNote: opts.onNote } : {}),
  };
}

/**
 * The pixel formats of a run's two pipes (runParts; the bench reads them to time the same decoder
 * command line): yuv420p to the encoder when one encoder takes the frames (`yuvOut`) and its
 * settings allow it, and then yuv420p from the decoder when the source is 8-bit 4:2:0 tv range.
 * CHROMA_YUV_PIPES=0 or =encode as in runParts.
 */
export function pipeFormats(info: MediaInfo, encode: EncodeSettings, yuvOut = true): { decode: PixelFormat; encode: PixelFormat } {
  const pipes = process.env.CHROMA_YUV_PIPES;
  const yuv = yuvOut && pipes !== '0' && takesYuv420(info.width, info.height, encode);
  return { encode: yuv ? 'yuv420p' : 'rgb24', decode: yuv && pipes !== 'encode' && decodesAsYuv(info) ? 'yuv420p' : 'rgb24' };
}

/** Can the decoder hand this source over as yuv420p, its own format: 8-bit 4:2:0, tv range, even size. */
function decodesAsYuv(info: MediaInfo): boolean {
  return info.pixFmt === 'yuv420p' && info.colorRange !== 'pc' && info.width % 2 === 0 && info.height % 2 === 0;
}

/** The options a plan hands to the colour graph as they are. */
const GRAPH_KEYS = ['temperature', 'batch', 'maxWaitMs', 'size', 'timer', 'propagate', 'unhintedPass', 'infer'] as const;

/** What one run of a plan shares between its source and its sink. */
export interface RunParts {
  gate: FlowGate;
  /** Every ffmpeg child of the run (decoders, encoders, the restore preview's encoder). */
  children: ChildGroup;
  /**
   * The frames' shared-memory buffers when the graph has a pixel pool: the decoder takes them, the
   * encoder sink gives them back. Null without a pool (plain buffers, no sharing needed).
   */
  buffers: FrameBuffers | null;
  /**
   * The composed frames' layout: yuv420p (in buffers of their own, shared with a pool) where the
   * run's one encoder takes it (runParts' `yuvOut`), else rgb24 in place.
   */
  output: ComposeOutput;
  /** Decode as yuv420p (with yuv420p output only): the decoder's `yuv` option. Null: rgb24. */
  decodeYuv: { codes: Uint8Array; matrix: YuvMatrix } | null;
}

/**
 * What one run shares. `yuvOut`: the sink is one encoder built with the same pixel format
 * (encoderSink's `frames`), so the graph may compose straight to yuv420p when the encoder
 * settings allow it (takesYuv420), and then the decoder may hand over yuv420p too (plan.grayCodes).
 * Default false: rgb24 both ways (segment sinks). CHROMA_YUV_PIPES=0 keeps rgb24 both ways and
 * CHROMA_YUV_PIPES=encode only the decoder's, for measuring.
 */
export function runParts(plan: VideoPlan, yuvOut = false): RunParts {
  const { width, height } = plan.info;
  const pool = Boolean(plan.graph.workers);
  const pipes = pipeFormats(plan.info, plan.encode, yuvOut);
  const yuv = pipes.encode === 'yuv420p';
  const decodeYuv = pipes.decode === 'yuv420p' && plan.grayCodes
    ? { codes: plan.grayCodes, matrix: plan.info.colorSpace === 'bt709' ? 'bt709' as const : 'bt601' as const }
    : null;
  const buffers = pool ? new FrameBuffers(frameBytes(decodeYuv ? 'yuv420p' : 'rgb24', width, height)) : null;
  const output: ComposeOutput = yuv
    ? { format: 'yuv420p', buffers: pool ? new FrameBuffers(frameBytes('yuv420p', width, height)) : null }
    : { format: 'rgb24' };
  return { gate: new FlowGate(plan.gateLimit), children: new ChildGroup(), buffers, output, decodeYuv };
}

/**
 * The job's restoration stage (look-ahead), with the --restore-debug preview when one was asked
 * for and the caller gave it a temporary name (`previewTemp`); identity when nothing is repaired.
 */
function restoreStageOf(plan: VideoPlan, children: ChildGroup): LStage {
  const r = plan.restore;
  const { timer } = plan.graph;
  const preview = r?.preview && r.previewTemp ? {
    file: r.previewTemp, label: r.preview.path, fps: plan.info.fps ?? FALLBACK_FPS, children,
    ...(r.preview.seconds !== undefined ? { seconds: r.preview.seconds } : {}),
  } : undefined;
  return restoreStage(r?.settings ?? null, { mode: 'lookahead', ...(timer ? { timer } : {}), ...(preview ? { preview } : {}) });
}

/**
 * The one chain: `source` frames through the colour graph (restore, hints, smoothing as planned;
 * the stateful stages built fresh for this run) into `sink`, run to the end by runVideoJob.
 * Resolves with the total frames written.
 */
export function colourRun(
  plan: VideoPlan, parts: RunParts, source: Observable<RawFrame>, sink: VideoSink, run: Omit<VideoRunOptions, 'children'>,
): Promise<number> {
  const graph = colorGraph(plan.model, {
    ...plan.graph,
    // With a pixel pool, the smoother gets a thread of its own too.
    smooth: smoothStage(plan.smoothing, plan.graph.timer, (plan.graph.workers ?? 0) > 0),
    restore: restoreStageOf(plan, parts.children),
    output: parts.output,
  });
  return runVideoJob(source.pipe(graph), sink, { ...run, children: parts.children });
}
