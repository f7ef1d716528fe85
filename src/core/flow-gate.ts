// Backpressure across the graph. RxJS pushes; ffmpeg's pipe is pulled. The gate counts frames that
// have left the decoder but not yet reached the encoder (or the viewer) and pauses the decoder's
// pipe while that count is at its limit, so memory is bounded whatever the length of the video.

export class FlowGate {
  private inFlight = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('FlowGate limit must be >= 1');
  }

  get pending(): number {
    return this.inFlight;
  }

  get full(): boolean {
    return this.inFlight >= this.limit;
  }

  /** A frame entered the graph. */
  take(): void {
    this.inFlight++;
  }

  /** A frame left the graph (written, shown or dropped). */
  release(count = 1): void {
    this.inFlight = Math.max(0, this.inFlight - count);
    if (!this.full) for (const w of [...this.waiters]) w();
  }

  /** Call `fn` whenever room frees up; returns an unsubscribe function. */
  onRoom(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
}

/**
 * The default in-flight limit for a file job: three batches around the model (queued, running,
 * prefetched), four frames in the pipes, and room for the look-ahead smoothing window (6 frames by
 * default) — a window that cannot fill would stall the graph.
 */
export function defaultGateLimit(batch: number): number {
  return batch * 3 + 4 + 8;
}
