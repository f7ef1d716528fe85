// findShots: one pass over a film at 160 px wide (ffmpeg scales it, area averaging), each frame's
// L plane fed to the shot collector; memory stays bounded whatever the film's length (a few dozen
// 48-px thumbnails a shot).
import { concatMap, type Observable } from 'rxjs';
import { decodeFrames } from '../operators/decode-frames.js';
import { FlowGate } from '../core/flow-gate.js';
import { FALLBACK_FPS } from '../core/defaults.js';
import { usageError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { SHOTS_SPECS } from '../core/option-specs.js';
import { rgbToL } from '../color/lab.js';
import { ChildGroup } from '../media/child.js';
import { probeMedia, type MediaInfo } from '../media/probe.js';
import { ShotCollector, type FilmShots, type ShotMap } from './shot-map.js';

/** Width the shot pass decodes at. */
export const SHOT_PASS_WIDTH = 160;

export interface FindShotsOptions {
  /** Stops the pass (the promise rejects with the signal's reason). Default: none. */
  signal?: AbortSignal;
  /** Called after each frame: frames done, frames expected (0 when the container does not say). Default: none. */
  onProgress?: (done: number, total: number) => void;
  /** Histogram distance above which a frame starts a new shot (default 0.2, the smoothing stage's). */
  cutThreshold?: number;
  /** Correlation (0..1) of two shots' thumbnails, after alignment, at or above which they are one camera setup (default 0.45). */
  setupThreshold?: number;
}

/** The film's shots, each with its poster frame, grouped into camera setups. */
export async function findShots(input: string, options: FindShotsOptions = {}): Promise<ShotMap> {
  checkOptions(SHOTS_SPECS, options);
  return (await findFilmShots(await probeMedia(input), options)).map;
}

/** findShots for a probed film, with the samples the grouping used. */
export async function findFilmShots(info: MediaInfo, o: FindShotsOptions = {}): Promise<FilmShots> {
  if (info.frames === 1 || /^(image2|png_pipe|jpeg_pipe|webp_pipe|bmp_pipe|tiff_pipe)$/.test(info.formatName)) {
    throw usageError(`${info.path}: a still has no shots; give a video`);
  }
  const w = Math.min(SHOT_PASS_WIDTH, info.width) & ~1;
  const h = Math.max(2, Math.round((w * info.height) / info.width / 2) * 2);
  const fps = info.fps ?? FALLBACK_FPS;
  const collector = new ShotCollector(w, h, o);
  const children = new ChildGroup();
  const gate = new FlowGate(8);
  const L = new Float32Array(w * h);
  const total = info.frames ?? 0;
  const frames$ = decodeFrames({
    input: info.path, width: w, height: h, gate, fps: info.fps, label: info.path, codecName: info.codecLongName,
    filters: [`scale=${w}:${h}:flags=area`], children, expectedFrames: null,
  }).pipe(concatMap(async (f) => {
    rgbToL(f.rgb, L, w * h);
    collector.push(f.index, L, f.pts ?? f.index / fps);
    gate.release();
    o.onProgress?.(f.index + 1, total);
  }));
  try {
    await drain(frames$, o.signal);
  } catch (err) {
    children.killAll();
    throw err;
  } finally {
    await children.settled();
  }
  if (collector.frames === 0) throw usageError(`${info.path}: no frames decoded`);
  return collector.finish(fps, { width: info.width, height: info.height });
}

/** Run `frames$` to its end; rejects with its error, or with `signal`'s reason when it aborts first (unsubscribing). */
export function drain(frames$: Observable<unknown>, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      sub.unsubscribe();
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    };
    const sub = frames$.subscribe({
      error: (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      },
      complete: () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
