// `chroma serve` as a process: it prints its URL, serves a viewer, and on SIGTERM / SIGINT closes the
// viewer, kills its ffmpeg child and exits 0 within 2 s, leaving nothing running.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { makeLogitsFixture } from './helpers/model-fixtures.js';
import { tempDir, REPO } from './helpers/media.js';

const tmp = tempDir('chroma-serve-cli-');
after(() => tmp.cleanup());

/** ffmpeg processes whose arguments contain `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (/ffmpeg$/.test(argv[0]) && argv.some((a) => a.includes(marker))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`chroma serve stops cleanly on ${signal} within 2 s`, async () => {
    const modelPath = join(tmp.dir, `fixture-${signal}.onnx`);
    writeFileSync(modelPath, makeLogitsFixture());
    const marker = `testsrc2=size=${signal === 'SIGTERM' ? 336 : 344}x240:rate=15`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--input', `${marker},format=gray`, '--format', 'lavfi',
      '--model', modelPath, '--device', 'cpu', '--threads', '1', '--port', '0', ...(signal === 'SIGTERM' ? ['--log-format', 'json'] : ['--quiet'])],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: performance.now() })));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 30000);
        child.stdout.on('data', () => {
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        void exited.then(({ code }) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
      let frames = 0;
      let closeCode = 0;
      ws.on('message', (_d, isBinary) => isBinary && frames++);
      const closed = new Promise<void>((r) => ws.once('close', (code) => ((closeCode = code), r())));
      const deadline = Date.now() + 20000;
      while (frames < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(frames >= 3, 'viewer got frames');
      assert.equal(processesWith(marker).length, 1, 'one ffmpeg decoder running');

      const t0 = performance.now();
      child.kill(signal);
      const { code, at } = await exited;
      await closed;
      assert.equal(code, 0, stderr);
      assert.ok(at - t0 < 2000, `stopped in ${(at - t0).toFixed(0)} ms`);
      assert.equal(closeCode, 1001);
      assert.deepEqual(processesWith(marker), [], 'ffmpeg left running');
      if (signal === 'SIGTERM') {
        // --log-format json: every line an object with an ISO time, a level and the source's name.
        const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as { time: string; level: string; source: string; message: string });
        assert.ok(lines.length >= 3, stderr);
        for (const l of lines) {
          assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          assert.ok(['info', 'warn', 'error'].includes(l.level));
          assert.equal(l.source, `${marker},format=gray`);
        }
        assert.ok(lines.some((l) => /shutting down/.test(l.message)) && lines.some((l) => /source: connected/.test(l.message)), stderr);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
}
