// CPU time and resident memory from /proc (Linux): this process (split into the main thread and
// all other threads: ONNX Runtime's pools, the inference worker, libuv) and its reaped children
// (ffmpeg). On a machine shared with other jobs, CPU milliseconds per frame are steadier than wall
// time. Elsewhere every reading is null.
import { readFileSync, readdirSync } from 'node:fs';

export interface CpuSample {
  /** Milliseconds of CPU, user + system. */
  main: number;
  others: number;
  children: number;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** The fields of a /proc/.../stat file after the command name (state first), or null where unreadable. */
export function statFields(path: string): string[] | null {
  try {
    const s = readFileSync(path, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU milliseconds (user + system) of each live thread of this process, by thread id; null where /proc is missing. */
export function threadCpuMs(): Map<string, number> | null {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const out = new Map<string, number>();
  for (const t of tasks) {
    const f = statFields(`/proc/self/task/${t}/stat`);
    if (f) out.set(t, (Number(f[11]) + Number(f[12])) * TICK_MS);
  }
  return out;
}

/** Per-thread and children CPU of this process, or null where /proc is missing. */
export function cpuSample(): CpuSample | null {
  const self = statFields('/proc/self/stat');
  const threads = threadCpuMs();
  if (!self || !threads) return null;
  const main = threads.get(String(process.pid)) ?? 0;
  let total = 0;
  for (const ms of threads.values()) total += ms;
  // Threads that ended (a finished worker) are gone from task/ but counted in the process total.
  const processMs = (Number(self[11]) + Number(self[12])) * TICK_MS;
  const children = (Number(self[13]) + Number(self[14])) * TICK_MS;
  return { main, others: Math.max(processMs, total) - main, children };
}

export function cpuDelta(a: CpuSample | null, b: CpuSample | null): CpuSample | null {
  if (!a || !b) return null;
  return { main: b.main - a.main, others: b.others - a.others, children: b.children - a.children };
}

/** Resident set size of this process's live child processes, in bytes (0 where unknown). */
export function childrenRss(): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  const me = String(process.pid);
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(`/proc/${e}/stat`);
    if (!f || f[1] !== me) continue; // field 4: ppid
    total += Number(f[21]) * 4096; // field 24: rss in pages
  }
  return total;
}
