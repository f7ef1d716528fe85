// The editor's restored L (`serve --edit --restore`): the repair stage of `colorize --restore`
// (graph/restore-stage.ts, look-ahead mode) run over a window of the film's frames, read back from
// the spool. Restoration is temporal, so a frame is restored inside a block of RESTORE_BLOCK frames
// with `restoreHold(settings)` frames of context either side (the stage's look-ahead, which also
// covers what it looks back: the flicker window, blotches' t±3, the flow's t±1), and MEMORY_FRAMES
// more behind for the two repairs that carry memory (the running grain level, the scratches of the
// previous frame); the whole block is kept, so stepping or playing on costs about one restoration
// a frame plus the context per block. The restored L of a frame does not depend on the hints, so
// it is cached (least recently used first out, up to `maxBytes`) and hint edits re-colour without
// restoring again.
import { concatMap, filter, lastValueFrom, range, tap } from 'rxjs';
import { extractL } from '../operators/extract-l.js';
import { restoreHold, restoreStage } from '../graph/restore-stage.js';
import type { RestoreSettings } from '../restore/options.js';
import type { RawFrame } from '../core/frames.js';

/** Frames restored together (one run of the stage, plus its context either side). */
export const RESTORE_BLOCK = 8;
/** Extra frames behind a block when grain or scratches are repaired: their memory settles. */
export const MEMORY_FRAMES = 4;
/** Default cap on the cached restored planes, bytes. */
export const DEFAULT_RESTORED_CACHE_BYTES = 256 * 1024 ** 2;

/** Where the frames come from: the film's spool (FrameSpool). */
export interface FrameSource {
  readonly frames: number;
  read(index: number): Promise<RawFrame>;
}

export class RestoredL {
  /** Frame index -> its restored L; a Map keeps insertion order, so the first key is the oldest use. */
  private readonly cache = new Map<number, Float32Array>();
  private bytes = 0;
  /** Blocks being restored (a second ask for the same block waits for the first). */
  private readonly pending = new Map<number, Promise<Map<number, Float32Array>>>();
  /** Restorations run one at a time: the stage is heavy, and the editor's worker waits anyway. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: FrameSource,
    readonly settings: RestoreSettings,
    private readonly maxBytes = DEFAULT_RESTORED_CACHE_BYTES,
  ) {}

  /** Frames of context before and after a block. */
  get context(): { behind: number; ahead: number } {
    const s = this.settings, ahead = restoreHold(s);
    return { behind: ahead + (s.grain || s.scratches ? MEMORY_FRAMES : 0), ahead };
  }

  /**
   * The frames restored with frame `index` when it is not cached (its block: `first` to `last`,
   * the context around it not counted), or null when it is: what the editor tells the page it is
   * waiting for.
   */
  pendingBlock(index: number): { first: number; last: number } | null {
    if (this.cache.has(index)) return null;
    const first = Math.floor(index / RESTORE_BLOCK) * RESTORE_BLOCK;
    return { first, last: Math.min(this.source.frames, first + RESTORE_BLOCK) - 1 };
  }

  /** The restored L of frame `index` (width * height; the caller must not change it). */
  async get(index: number): Promise<Float32Array> {
    const hit = this.cache.get(index);
    if (hit) {
      this.cache.delete(index);
      this.cache.set(index, hit);
      return hit;
    }
    const block = Math.floor(index / RESTORE_BLOCK);
    let p = this.pending.get(block);
    if (!p) {
      p = this.queue.then(() => this.restoreBlock(block)).finally(() => this.pending.delete(block));
      this.queue = p.catch(() => {});
      this.pending.set(block, p);
    }
    // (From the block itself: a cache smaller than a block may have dropped the frame already.)
    return (await p).get(index)!;
  }

  private async restoreBlock(block: number): Promise<Map<number, Float32Array>> {
    const first = block * RESTORE_BLOCK, end = Math.min(this.source.frames, first + RESTORE_BLOCK);
    const { behind, ahead } = this.context;
    const lo = Math.max(0, first - behind), hi = Math.min(this.source.frames, end + ahead);
    const planes = new Map<number, Float32Array>();
    // Read as the stage asks, so only what it holds (its look-ahead) and the block are in memory.
    await lastValueFrom(range(lo, hi - lo).pipe(
      concatMap((i) => this.source.read(i)), extractL(), restoreStage(this.settings, { mode: 'lookahead' }),
      filter((f) => f.index >= first && f.index < end),
      tap((f) => {
        planes.set(f.index, f.L);
        this.keep(f.index, f.L);
      }),
    ), { defaultValue: null });
    return planes;
  }

  private keep(index: number, L: Float32Array): void {
    const old = this.cache.get(index);
    if (old) this.bytes -= old.byteLength;
    this.cache.delete(index);
    this.cache.set(index, L);
    this.bytes += L.byteLength;
    // Always keep the newest, even when one plane is over the cap.
    while (this.bytes > this.maxBytes && this.cache.size > 1) {
      const [k, v] = this.cache.entries().next().value as [number, Float32Array];
      this.cache.delete(k);
      this.bytes -= v.byteLength;
    }
  }
}
