// Spawning ffmpeg children that never outlive the job: killed on unsubscribe, on error, and
// (through the registry) on SIGINT/SIGTERM of the process.
import { spawn, type ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

export function spawnTracked(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Stop a child now. SIGKILL: a half-written output is discarded anyway, so no grace period is needed. */
export function killChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export function killAllChildren(): void {
  for (const c of live) killChild(c);
}

/** Keeps the last lines of a child's stderr for error messages. */
export class StderrTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly keep = 20, private readonly onLine?: (line: string) => void) {}
  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }
  end(): void {
    if (this.partial) this.add(this.partial);
    this.partial = '';
  }
  private add(line: string): void {
    if (!line.trim()) return;
    this.onLine?.(line);
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
  }
  /** The most telling line: the last error-level one, else the last line. */
  summary(): string {
    const err = [...this.lines].reverse().find((l) => /^\[(error|fatal|panic)\]/.test(l) || /error|invalid|no such|denied|space/i.test(l));
    return (err ?? this.lines[this.lines.length - 1] ?? '').replace(/^\[\w+\]\s*/, '').replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').trim();
  }
}
