// Spawning ffmpeg children that never outlive the job: killed on unsubscribe, on error, and
// (through the registry) on SIGINT/SIGTERM of the process. A job can also gather its children in a
// ChildGroup and wait for every one of them to have exited before it removes its temporary files,
// so no child can recreate a file after the cleanup.
import { spawn, type ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** The children of one job, so the job can wait until all of them are gone. */
export class ChildGroup {
  private readonly members = new Set<ChildProcess>();
  private readonly exits = new Map<ChildProcess, Promise<void>>();

  add(child: ChildProcess): void {
    this.members.add(child);
    this.exits.set(child, exited(child));
  }

  /** Process ids of the children still running (for messages and tests). */
  get pids(): number[] {
    return [...this.members].filter(isRunning).map((c) => c.pid ?? -1);
  }

  killAll(): void {
    for (const c of this.members) killChild(c);
  }

  /** Resolves once every child ever added has exited (or failed to start). */
  async settled(): Promise<void> {
    await Promise.all(this.exits.values());
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves when the child has exited or failed to start (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

export function spawnTracked(cmd: string, args: string[], group?: ChildGroup): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  group?.add(child);
  return child;
}

/** Stop a child now. SIGKILL: a half-written output is discarded anyway, so no grace period is needed. */
export function killChild(child: ChildProcess): void {
  if (isRunning(child)) child.kill('SIGKILL');
}

export function killAllChildren(): void {
  for (const c of live) killChild(c);
}

/** Signals that mean "the file grew past a limit" rather than "someone killed the process". */
export function describeSignal(signal: NodeJS.Signals): string {
  if (signal === 'SIGXFSZ') return 'SIGXFSZ: the file size limit (ulimit -f) was exceeded';
  return signal;
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
  /** Every kept line, oldest first. */
  all(): string[] {
    return [...this.lines];
  }
  /** The most telling line: the last error-level one, else the last line. */
  summary(): string {
    const err = [...this.lines].reverse().find((l) => /^\[(error|fatal|panic)\]/.test(l) || /error|invalid|no such|denied|space/i.test(l));
    return (err ?? this.lines[this.lines.length - 1] ?? '').replace(/^\[\w+\]\s*/, '').replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').trim();
  }
}
