// The one progress bar of every subcommand: a line redrawn in place on a terminal (at most ten
// times a second), nothing at all when the stream is not a TTY. Frames (with fps and ETA) for
// colorize; bytes for models pull.
import type { Progress } from '../core/frames.js';

export type BarStream = { write(s: string): unknown; isTTY?: boolean; columns?: number };

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export class ProgressBar {
  private last = 0;
  private drawn = false;
  constructor(private readonly label: string, private readonly stream: BarStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Draws `label [bar] pct text`; `fraction` null draws no bar. `force` skips the rate limit. */
  draw(fraction: number | null, text: string, force = false, label = this.label): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 60));
    const frac = fraction === null ? 0 : Math.min(1, fraction);
    const bar = fraction !== null ? `${'█'.repeat(Math.round(frac * width)).padEnd(width, '░')} ${(frac * 100).toFixed(0).padStart(3)}% ` : '';
    this.stream.write(`\r${label} ${bar}${text}\x1b[K`);
    this.drawn = true;
  }

  /** A video job's progress: frames, fps and ETA. */
  update(p: Progress, force = false): void {
    const eta = p.etaSeconds !== null ? ` ETA ${clock(p.etaSeconds)}` : '';
    const total = p.total ? `/${p.total}` : '';
    this.draw(p.total ? p.frames / p.total : null, `${p.frames}${total} frames  ${p.fps.toFixed(1)} fps${eta}`, force);
  }

  done(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
  }
}
