// Who ran the benchmark and in what conditions: host, CPU, memory, versions, and whether the
// background training job (training/train.py) was competing for the cores.
import { cpus, hostname, totalmem, platform, arch, release } from 'node:os';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { statFields } from './cpu.js';

export interface MachineInfo {
  name: string;
  host: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  onnxruntime: string;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** A file-name-safe machine label: the host name, or `override`. */
export function machineName(override?: string): string {
  const raw = override ?? hostname();
  return raw.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'machine';
}

export function machineInfo(override?: string): MachineInfo {
  const c = cpus();
  return {
    name: machineName(override),
    host: hostname(),
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${arch()} ${release()}`,
    node: process.version,
    onnxruntime: packageVersion('onnxruntime-node'),
  };
}

/**
 * True while the background training job runs (it shares the CPU and skews absolute numbers); a job
 * paused with SIGSTOP for a quiet measurement (state T in /proc) does not count.
 */
export function trainingJobRunning(): boolean {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-f', 'training/train.py'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return false;
  }
  // No /proc: assume it runs.
  return pids.some((pid) => statFields(`/proc/${pid}/stat`)?.[0] !== 'T');
}

/** YYYY-MM-DD in local time. */
export function dateStamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
