// What every video job shares: its options, its result, the notes said before it starts, and
// the fixes made to its output after.
import type { GraphOptions } from '../graph/color-graph.js';
import { containerOf, lastFrameDuration, type EncodeSettings } from '../media/encode-args.js';
import { fixLastFrameDuration } from '../media/mp4-fix.js';
import type { MediaInfo } from '../media/probe.js';
import type { Observable } from 'rxjs';
import type { Progress } from '../core/frames.js';
import { FALLBACK_FPS } from '../core/defaults.js';

export interface VideoJobOptions extends GraphOptions {
  encode?: Partial<EncodeSettings>;
  /** Deinterlace interlaced sources (auto: when the stream says it is interlaced). */
  deinterlace?: 'auto' | 'on' | 'off';
  /** Frames allowed between decoder and encoder (default: defaultGateLimit(batch)). */
  inFlight?: number;
  onNote?: (line: string) => void;
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

export function wantsDeinterlace(info: MediaInfo, opts: VideoJobOptions): boolean {
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
