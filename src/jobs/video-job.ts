// What every video job shares: its options, its result, the notes said before it starts, and
// the fixes made to its output after.
import type { GraphOptions } from '../graph/color-graph.js';
import type { RestoreOptions } from '../graph/restore-stage.js';
import { containerOf, lastFrameDuration, type EncodeSettings } from '../media/encode-args.js';
import { fixLastFrameDuration } from '../media/mp4-fix.js';
import type { MediaInfo } from '../media/probe.js';
import type { Observable } from 'rxjs';
import type { Progress } from '../core/frames.js';
import { FALLBACK_FPS } from '../core/defaults.js';
import { invalidOption } from '../core/errors.js';
import { DEFAULT_VIDEO_SMOOTH, SMOOTH_DEFAULTS, smoothingAlpha, type SmoothOptions, type SmoothStrength } from '../smoothing/options.js';

export interface VideoJobOptions extends Omit<GraphOptions, 'smooth' | 'restore'> {
  /**
   * Film repair on L before the model (graph/restore-stage.ts): what to repair and, optionally,
   * where to write the before/after preview. Default: none (no repair).
   */
  restore?: RestoreOptions | null;
  /**
   * Temporal smoothing in look-ahead mode: a strength ('off' | 'low' | 'medium' | 'high' or a
   * number in 0..1) or full SmoothOptions. Default 'medium' (the CLI's default too).
   */
  smooth?: SmoothStrength | SmoothOptions;
  /** Codec settings. Default: h264, CRF 18, preset medium, yuv420p. */
  encode?: Partial<EncodeSettings>;
  /** Deinterlace interlaced sources. Default 'auto': when the stream says it is interlaced. */
  deinterlace?: 'auto' | 'on' | 'off';
  /** Frames allowed between decoder and encoder. Default: defaultGateLimit(batch) (24 at batch 4). */
  inFlight?: number;
  /**
   * What in the job's hints and reference photo changes the result (e.g. their JSON), so that
   * `resume` does not continue a job made with other hints. Default: none (no hints).
   */
  hintsKey?: string | null;
  /** Receives one-line notes about the job (deinterlacing, dropped alpha, codec changes). Default: none. */
  onNote?: (line: string) => void;
}

/** The job's smoothing as full options (look-ahead unless asked otherwise); null when off. */
export function smoothingOf(smooth: VideoJobOptions['smooth']): SmoothOptions | null {
  const o: SmoothOptions = typeof smooth === 'object' && smooth !== null ? smooth : { strength: smooth ?? DEFAULT_VIDEO_SMOOTH };
  const s = o.strength ?? DEFAULT_VIDEO_SMOOTH;
  if (typeof s !== 'function') {
    let alpha: number;
    try {
      alpha = smoothingAlpha(s);
    } catch {
      throw invalidOption('smooth', "'off', 'low', 'medium', 'high' or a number in [0, 1]", s);
    }
    if (typeof s === 'number' && (s < 0 || s > 1)) throw invalidOption('smooth', 'a number in [0, 1]', s);
    if (alpha === 0) return null;
  }
  return { mode: 'lookahead', ...o };
}

/** What in the smoothing changes the result, for the resume fingerprint. */
export function smoothingKey(o: SmoothOptions | null): Record<string, unknown> | null {
  if (!o) return null;
  const { timer: _t, onCut: _c, strength, ...rest } = o;
  const s = strength ?? DEFAULT_VIDEO_SMOOTH;
  return { ...SMOOTH_DEFAULTS, ...rest, strength: typeof s === 'function' ? 'live' : smoothingAlpha(s) };
}

export interface VideoJobResult {
  frames: number;
  seconds: number;
  notes: string[];
  /** Set when a resumable job continued from checkpointed segments (resumable-job.ts). */
  resumedFrom?: { frame: number; seconds: number; segments: number };
}

export interface VideoJob {
  progress$: Observable<Progress>;
  done: Promise<VideoJobResult>;
}

/** Notes about what the job does to this source, said once before it starts. */
export function sourceNotes(info: MediaInfo, deinterlace: boolean): string[] {
  const notes: string[] = [];
  if (deinterlace) notes.push(`interlaced source: deinterlaced (yadif, one output frame per input frame)`);
  if (info.hasAlpha) notes.push(`the source has an alpha channel (${info.pixFmt}); video output is opaque, so alpha is dropped`);
  if (info.rotation) notes.push(`the source is rotated ${info.rotation}° for display: the output is stored upright (${info.width}x${info.height})`);
  return notes;
}

export function wantsDeinterlace(info: MediaInfo, opts: Pick<VideoJobOptions, 'deinterlace'>): boolean {
  return opts.deinterlace === 'on' || (opts.deinterlace !== 'off' && info.interlaced);
}

/**
 * A variable-frame-rate encode into MP4 leaves the last frame without a duration, and players
 * drop it (src/media/mp4-fix.ts); give it one frame of the source's base rate.
 */
export async function fixVariableRateMp4(info: MediaInfo, file: string, finalName: string): Promise<void> {
  if (containerOf(finalName) !== 'mp4' || !info.variableFrameRate) return;
  await fixLastFrameDuration(file, lastFrameDuration(info) ?? 1 / FALLBACK_FPS);
}
