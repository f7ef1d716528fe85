// A one-line progress bar with fps and ETA for terminals; nothing at all when stderr is not a TTY.
import type { Progress } from '../core/frames.js';

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export class ProgressBar {
  private last = 0;
  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(p: Progress, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 60));
    const frac = p.total ? Math.min(1, p.frames / p.total) : 0;
    const bar = p.total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
    const pct = p.total ? `${(frac * 100).toFixed(0).padStart(3)}%` : '';
    const eta = p.etaSeconds !== null ? ` ETA ${clock(p.etaSeconds)}` : '';
    const total = p.total ? `/${p.total}` : '';
    this.stream.write(`\r${this.label} ${bar} ${pct} ${p.frames}${total} frames  ${p.fps.toFixed(1)} fps${eta}\x1b[K`);
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\x1b[K');
  }
}
