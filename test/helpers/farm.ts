// A local farm for the queue tests: real `chroma worker` processes on a real Redis, and the
// comparisons that say a queued output equals the in-process one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FFMPEG } from '../../src/media/ffmpeg-paths.js';
import { spawnCli, videoFrames, type SpawnedCli } from './hardening.js';

/** A folder `name` under `root`, made if missing (a store, an output folder). */
export function subDir(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Short lock and stall intervals, so that a dead worker's segment is redone within seconds. */
export const FAST_RECOVERY = ['--lock-seconds', '2', '--stall-seconds', '1'];

const running = new Set<SpawnedCli>();

/** Kill the workers a failed test left behind, so they cannot take the next test's jobs. */
export async function killStrayWorkers(): Promise<void> {
  for (const w of running) {
    w.child.kill('SIGCONT');
    w.child.kill('SIGKILL');
    await w.done;
  }
  running.clear();
}

export function startWorker(queue: string, store: string, extra: string[] = [], fast = true): SpawnedCli {
  const w = spawnCli(['worker', '--queue', queue, '--store', store, '--json', '--threads', '1', ...(fast ? FAST_RECOVERY : []), ...extra], { timeoutMs: 240_000 });
  running.add(w);
  void w.done.then(() => running.delete(w));
  return w;
}

/** Stop a worker the way a supervisor does (SIGTERM, then SIGKILL after 30 s) and wait for it. */
export async function stopWorker(w: SpawnedCli): Promise<number | null> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  const late = setTimeout(() => w.child.kill('SIGKILL'), 30_000);
  const r = await w.done;
  clearTimeout(late);
  if (r.code === null) process.stdout.write(`# worker ${w.child.pid} ignored SIGTERM for 30 s; its log:\n${r.stdout.replace(/^/gm, '# ')}\n`);
  return r.code;
}

/** NDJSON events of a finished CLI. */
export const eventsOf = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

function audioMd5(path: string): string {
  return execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-map', '0:a', '-c', 'copy', '-f', 'md5', '-']).toString().trim();
}

/** Same frame count, every timestamp within 1 ms, and the same audio packets. */
export function assertSameOutput(reference: string, output: string, audio = true): void {
  const a = videoFrames(reference), b = videoFrames(output);
  assert.equal(b.length, a.length, 'frame count');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i].pts - b[i].pts) <= 0.001, `frame ${i}: ${a[i].pts} vs ${b[i].pts}`);
  if (audio) assert.equal(audioMd5(output), audioMd5(reference), 'audio packets');
}
