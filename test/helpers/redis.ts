// A real Redis for the queue tests: Debian's redis-server on a free loopback port, with AOF on
// (so a restart keeps the run) and noeviction (BullMQ's requirement). Skipped when not installed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const REDIS_SERVER = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();

export const skipWithoutRedis = REDIS_SERVER ? false : 'redis-server is not installed (apt-get install redis-server)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  /** Stop it (SIGTERM: it flushes the AOF) and wait for the exit. */
  stop(): Promise<void>;
  /** Start it again on the same port and folder. */
  start(): Promise<void>;
}

export async function startRedis(dir: string): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = () => new Promise<void>((resolve, reject) => {
    const c = spawn(REDIS_SERVER!, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--daemonize', 'no',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
    c.stdout!.on('data', (b: Buffer) => {
      out += b;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
    c.once('exit', () => clearTimeout(t));
  });
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}
