// Reconnect delays: exponential from a fast first retry up to a cap. A connection that stayed up
// long enough resets the sequence, so one hiccup after hours of streaming retries quickly again.

export interface BackoffOptions {
  /** First delay in ms (default 200). */
  initialMs?: number;
  /** Upper bound in ms (default 5000). */
  maxMs?: number;
  /** Growth per attempt (default 1.6: a short outage is retried within about a second). */
  factor?: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  private attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = Math.max(1, opts.initialMs ?? 200);
    this.maxMs = Math.max(this.initialMs, opts.maxMs ?? 5000);
    this.factor = Math.max(1, opts.factor ?? 1.6);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; advances the sequence. */
  next(): number {
    const d = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(d);
  }

  reset(): void {
    this.attempt = 0;
  }
}
