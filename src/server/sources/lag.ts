// How far a network stream's frames arrive behind its own clock, and when that calls for a
// reconnect. A frame's lag is (arrival - pts) minus the smallest such offset seen since the stream
// last ran continuously: the offset only says something while arrivals and timestamps both flow.
//
// Two things look like lag and are not: an outage inside one connection (the camera went silent
// for 30 s, then carries on with timestamps that ignore the gap) and a timestamp jump (the camera
// restarted its clock). Either one starts a new baseline instead of counting as "behind". And a
// machine that decodes slower than the source falls behind again after every reconnect: the
// second time within `repeatWindowMs` the meter says so (`slow`) instead of asking for another
// reconnect, and the source drops frames from then on.

export interface LagOptions {
  /** Frames this far behind (ms) count as behind (default 3000; 0 = never reconnect). */
  limitMs?: number;
  /** Frames in a row over the limit before acting (default 10). */
  frames?: number;
  /** No frame for this long (ms) means an outage, not lag: start a new baseline (default 1000). */
  gapMs?: number;
  /** A timestamp step this large (s, either way) is a clock jump: new baseline (default 2). */
  jumpS?: number;
  /** A second catch-up within this long (ms) of the first means the machine is too slow (default 60000). */
  repeatWindowMs?: number;
}

/** What the caller should do after a frame: nothing, reconnect to jump back to live, or give up on that and drop frames. */
export type LagVerdict = 'ok' | 'reconnect' | 'slow';

export class LagMeter {
  /** Lag of the last frame in ms. */
  lagMs = 0;
  private base: number | null = null;
  private lastArrival: number | null = null;
  private lastPts: number | null = null;
  private over = 0;
  private lastCatchUp: number | null = null;
  /** A verdict was given on this connection: the next one waits for restart(). */
  private acted = false;
  private readonly limitMs: number;
  private readonly frames: number;
  private readonly gapMs: number;
  private readonly jumpS: number;
  private readonly repeatWindowMs: number;

  constructor(o: LagOptions = {}) {
    this.limitMs = o.limitMs ?? 3000;
    this.frames = o.frames ?? 10;
    this.gapMs = o.gapMs ?? 1000;
    this.jumpS = o.jumpS ?? 2;
    this.repeatWindowMs = o.repeatWindowMs ?? 60000;
  }

  /** A new connection: its timestamps have nothing to do with the last one's. */
  restart(): void {
    this.base = this.lastArrival = this.lastPts = null;
    this.over = 0;
    this.lagMs = 0;
    this.acted = false;
  }

  /**
   * One frame: `arrivalMs` on a monotonic clock (performance.now()), `pts` in seconds.
   * 'reconnect' or 'slow' comes at most once per connection (until restart()).
   */
  observe(arrivalMs: number, pts: number): LagVerdict {
    const gap = this.lastArrival !== null && arrivalMs - this.lastArrival > this.gapMs;
    const jump = this.lastPts !== null && Math.abs(pts - this.lastPts) > this.jumpS;
    if (gap || jump) this.base = null;
    this.lastArrival = arrivalMs;
    this.lastPts = pts;
    const offset = arrivalMs - pts * 1000;
    if (this.base === null || offset < this.base) this.base = offset;
    this.lagMs = offset - this.base;
    this.over = this.limitMs > 0 && this.lagMs > this.limitMs ? this.over + 1 : 0;
    if (this.over < this.frames || this.acted) return 'ok';
    this.acted = true;
    const repeat = this.lastCatchUp !== null && arrivalMs - this.lastCatchUp < this.repeatWindowMs;
    this.lastCatchUp = arrivalMs;
    return repeat ? 'slow' : 'reconnect';
  }
}
