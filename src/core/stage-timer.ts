// Wall time spent in each stage of a pipeline, for the benchmark's stage table and --json summaries.

export type StageName = 'track' | 'decode' | 'l' | 'resize' | 'infer' | 'distribution' | 'hints' | 'smooth' | 'compose' | 'encode' | 'restore-flicker' | 'restore-motion' | 'restore-dust' | 'restore-grain' | 'restore-scratches' | 'restore-blotches';

export class StageTimer {
  readonly totals = new Map<StageName, { ms: number; calls: number; frames: number }>();

  add(stage: StageName, ms: number, frames = 1): void {
    const t = this.totals.get(stage) ?? { ms: 0, calls: 0, frames: 0 };
    t.ms += ms;
    t.calls++;
    t.frames += frames;
    this.totals.set(stage, t);
  }

  /** Run `fn`, charging its time to `stage`. */
  time<T>(stage: StageName, frames: number, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(stage, performance.now() - t0, frames);
    }
  }

  /** Milliseconds per frame for each stage. */
  perFrame(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.totals) out[k] = v.frames ? v.ms / v.frames : 0;
    return out;
  }
}
