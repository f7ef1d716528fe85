// The film an editing session works on, decoded once into two spools in temporary folders:
// full-size RGB frames (what a render starts from) and model-size L planes (what the tracker
// follows hints through, jobs/video-hints.ts). Both are read back by frame index, in any order.
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap } from 'rxjs';
import { decodeFrames } from '../operators/decode-frames.js';
import { FlowGate } from '../core/flow-gate.js';
import { FALLBACK_FPS } from '../core/defaults.js';
import { outputError, usageError } from '../core/errors.js';
import { ChildGroup } from '../media/child.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { RawFrame } from '../core/frames.js';
import { spoolFilmPlanes, type FilmPlanes } from '../jobs/video-hints.js';

export const DEFAULT_MAX_SPOOL_BYTES = 8 * 1024 ** 3;

export interface SpoolOptions {
  /** Model input short side of the planes (default: the model's training size). */
  size?: number;
  /** ffmpeg filters before anything else (the deinterlacing). Default: none. */
  filters?: string[];
  /** Largest spool of full-size frames, bytes (default 8 GiB): a longer film is refused. */
  maxSpoolBytes?: number;
}

/** Full-size frames on disk, frame i at i * frameBytes (in the file `fh`, in `dir`: close() removes both). */
export class FrameSpool {
  private readonly frameBytes: number;

  constructor(readonly info: MediaInfo, private readonly fh: FileHandle, private readonly dir: string, readonly frames: number) {
    this.frameBytes = info.width * info.height * 3;
  }

  /** Frame `index` as decoded (full size); refused with one line outside 0..frames-1. */
  async read(index: number): Promise<RawFrame> {
    if (!Number.isInteger(index) || index < 0 || index >= this.frames) throw usageError(`frame ${index}: not a frame of this film (0..${this.frames - 1})`);
    const rgb = Buffer.allocUnsafe(this.frameBytes);
    await this.fh.read(rgb, 0, this.frameBytes, index * this.frameBytes);
    const fps = this.info.fps ?? FALLBACK_FPS;
    return { index, pts: index / fps, width: this.info.width, height: this.info.height, rgb };
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface FilmSpools {
  frames: FrameSpool;
  planes: FilmPlanes;
}

/** Refuse a film whose frames would not fit the spool, before decoding anything. */
function checkSpoolSize(info: MediaInfo, maxSpool: number): void {
  const frameBytes = info.width * info.height * 3;
  if (info.frames !== null && info.frames * frameBytes > maxSpool) {
    throw usageError(`${info.path}: ${info.frames} frames of ${info.width}x${info.height} need ${(info.frames * frameBytes / 1024 ** 3).toFixed(1)} GiB of temporary space to edit, more than the ${(maxSpool / 1024 ** 3).toFixed(1)} GiB allowed; cut the shot out first (ffmpeg -ss START -t SECONDS -i film -c copy shot.mp4)`);
  }
}

/** Decode the film twice at once (full size, model size) into its spools. */
export async function spoolFilm(model: LoadedModel, info: MediaInfo, opts: SpoolOptions = {}): Promise<FilmSpools> {
  const maxSpool = opts.maxSpoolBytes ?? DEFAULT_MAX_SPOOL_BYTES;
  checkSpoolSize(info, maxSpool);
  const filters = opts.filters ?? [];
  const children = new ChildGroup();
  const dir = await mkdtemp(join(tmpdir(), 'chroma-edit-')).catch((err: Error) => {
    throw outputError(`cannot create a temporary folder for the editor (${err.message})`);
  });
  let planes: FilmPlanes | null = null;
  const rgb = await open(join(dir, 'frames.rgb'), 'w+');
  try {
    const [p, frames] = await Promise.all([
      spoolFilmPlanes(model, info, { ...(opts.size !== undefined ? { size: opts.size } : {}), filters, children }),
      spoolFrames(info, filters, rgb, children, maxSpool),
    ]);
    planes = p;
    return { frames: new FrameSpool(info, rgb, dir, Math.min(frames, p.frames)), planes: p };
  } catch (err) {
    children.killAll();
    await children.settled();
    await planes?.close();
    await rgb.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Decode every frame at full size into `fh`, frame i at i * frameBytes; returns the count. */
function spoolFrames(info: MediaInfo, filters: string[], fh: FileHandle, children: ChildGroup, maxBytes: number): Promise<number> {
  const gate = new FlowGate(8);
  const frameBytes = info.width * info.height * 3;
  let frames = 0;
  return new Promise((resolve, reject) => {
    decodeFrames({
      input: info.path, width: info.width, height: info.height, gate, fps: info.fps, label: info.path,
      codecName: info.codecLongName, filters, children,
    }).pipe(concatMap(async (f) => {
      if ((f.index + 1) * frameBytes > maxBytes) throw usageError(`${info.path}: too long to edit (more than ${Math.floor(maxBytes / frameBytes)} frames at ${info.width}x${info.height}); cut the shot out first`);
      await fh.write(f.rgb, 0, frameBytes, f.index * frameBytes);
      frames = f.index + 1;
      gate.release();
    })).subscribe({ error: reject, complete: () => resolve(frames) });
  });
}
