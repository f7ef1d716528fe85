// Faults while a job runs: its decoder or encoder ffmpeg killed, the disk filling up, a file size
// limit, SIGINT and SIGTERM. Each ends with one clear line, a non-zero exit, nothing under the
// output name, no temporary file beside it, and no ffmpeg child still running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tempDir, makeClip, writeFixtureModels, strayFiles } from './helpers/media.js';
import { spawnCli, childrenOf, waitForChild, alive } from './helpers/hardening.js';
import { EXIT } from '../src/core/errors.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
/** 20 s at 160x120: long enough to still be running when a fault is injected. */
let long: string;
/** Big when encoded losslessly (about 0.9 MB at --crf 0): fills a small disk. */
let busy: string;
before(() => {
  tmp = tempDir('chroma-faults-');
  models = writeFixtureModels(tmp.dir);
  long = makeClip(join(tmp.dir, 'long.mp4'), { width: 160, height: 120, seconds: 20, fps: 25 });
  busy = makeClip(join(tmp.dir, 'busy.mp4'), { width: 320, height: 240, seconds: 4, fps: 25, gray: false });
});
after(() => {
  if (tmpfs) execFileSync('umount', ['-l', tmpfs], { stdio: 'ignore' });
  tmp.cleanup();
});

function outDir(name: string): string {
  const d = join(tmp.dir, `out-${name}`);
  mkdirSync(d);
  return d;
}

const ffmpegChildren = (pid: number) => childrenOf(pid).filter((c) => /ffmpeg/.test(c.args));

/** The common ending of every fault: exit code, one line, no output, no leftovers, no children. */
function assertCleanFailure(r: { code: number | null; stderr: string }, dir: string, out: string, code: number, pattern: RegExp, pids: number[]) {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('chroma:'));
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(existsSync(out), false, 'nothing under the output name');
  assert.deepEqual(strayFiles(dir, []), [], 'no temporary files left');
  assert.ok(pids.length > 0, 'ffmpeg children were seen');
  for (const pid of pids) assert.equal(alive(pid), false, `ffmpeg child ${pid} is gone`);
}

async function killChildMidRun(name: string, which: RegExp, expected: RegExp) {
  const dir = outDir(name);
  const out = join(dir, 'out.mp4');
  const cli = spawnCli(['colorize', long, '-o', out, '--model', models.logits, '--device', 'cpu', '--json']);
  await cli.waitFor((e) => e.event === 'progress' && Number(e.frames) >= 5);
  const victim = await waitForChild(cli.child.pid!, which);
  const pids = ffmpegChildren(cli.child.pid!).map((c) => c.pid);
  process.kill(victim.pid, 'SIGKILL');
  const r = await cli.done;
  assertCleanFailure(r, dir, out, EXIT.internal, expected, pids);
}

test('the decoder ffmpeg killed mid-run', () =>
  killChildMidRun('decoder', /-f rawvideo/, /the decoder \(ffmpeg pid \d+\) was killed by SIGKILL after \d+ frame/));

test('the encoder ffmpeg killed mid-run', () =>
  killChildMidRun('encoder', /-f matroska -i pipe:0/, /the encoder \(ffmpeg pid \d+\) was killed by SIGKILL after \d+ frame/));

let tmpfs: string | null = null;
let tmpfsSkip: string | false = false;
before(() => {
  // A real full disk: a 512 KiB tmpfs. Mounting needs root and a container that allows it.
  const dir = join(tmp.dir, 'small-disk');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir], { stdio: 'pipe' });
    tmpfs = dir;
  } catch (err) {
    tmpfsSkip = `cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n')[0]}); the file-size-limit test covers the write failure`;
  }
});

test('the output disk fills up (512 KiB tmpfs)', async (t) => {
  if (!tmpfs) return t.skip(String(tmpfsSkip));
  const out = join(tmpfs, 'out.mp4');
  const cli = spawnCli(['colorize', busy, '-o', out, '--model', models.logits, '--device', 'cpu', '--crf', '0', '--preset', 'ultrafast', '--json']);
  const pids: number[] = [];
  const watch = setInterval(() => pids.push(...ffmpegChildren(cli.child.pid!).map((c) => c.pid).filter((p) => !pids.includes(p))), 100);
  const r = await cli.done.finally(() => clearInterval(watch));
  assertCleanFailure(r, tmpfs, out, EXIT.output, /disk is full/, pids);
});

test('the output hits the file size limit (ulimit -f: the write fails as on a full disk)', async () => {
  const dir = outDir('fsize');
  const out = join(dir, 'out.mp4');
  // dash counts 512-byte blocks: 200 KiB, above every file tsx caches, below the output.
  const cli = spawnCli(['colorize', busy, '-o', out, '--model', models.logits, '--device', 'cpu', '--crf', '0', '--preset', 'ultrafast', '--json'], { shell: 'ulimit -f 400;' });
  const pids: number[] = [];
  const watch = setInterval(() => pids.push(...ffmpegChildren(cli.child.pid!).map((c) => c.pid).filter((p) => !pids.includes(p))), 100);
  const r = await cli.done.finally(() => clearInterval(watch));
  assertCleanFailure(r, dir, out, EXIT.output, /cannot write the output: (SIGXFSZ: the file size limit|.*File too large)/, pids);
});

async function signalMidRun(name: string, sig: NodeJS.Signals, code: number) {
  const dir = outDir(name);
  const out = join(dir, 'out.mp4');
  const cli = spawnCli(['colorize', long, '-o', out, '--model', models.logits, '--device', 'cpu', '--json']);
  await cli.waitFor((e) => e.event === 'progress' && Number(e.frames) >= 5);
  const pids = ffmpegChildren(cli.child.pid!).map((c) => c.pid);
  const sentAt = Date.now();
  cli.child.kill(sig);
  const r = await cli.done;
  assert.ok(r.endedAt - sentAt < 2000, `stopped within 2 s (took ${r.endedAt - sentAt} ms)`);
  assertCleanFailure(r, dir, out, code, new RegExp(`interrupted by ${sig}; partial output removed`), pids);
}

test('SIGINT: clean stop within 2 s, exit 130', () => signalMidRun('sigint', 'SIGINT', 130));

test('SIGTERM: clean stop within 2 s, exit 143', () => signalMidRun('sigterm', 'SIGTERM', 143));

test('the CLI itself killed with SIGKILL: nothing under the output name; the next run removes the orphaned temp file', async () => {
  const dir = outDir('sigkill');
  const out = join(dir, 'out.mp4');
  const cli = spawnCli(['colorize', long, '-o', out, '--model', models.logits, '--device', 'cpu', '--json']);
  await cli.waitFor((e) => e.event === 'progress' && Number(e.frames) >= 5);
  const pids = ffmpegChildren(cli.child.pid!).map((c) => c.pid);
  cli.child.kill('SIGKILL'); // no handler runs: the orphaned encoder sees end of input and finishes its temp file
  await cli.done;
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(existsSync(out), false, 'nothing under the output name');
  assert.ok(strayFiles(dir, []).some((f) => /^\.out\.partial-\d+-[0-9a-f]+\.mp4$/.test(f)), 'the orphaned encoder left its temporary file');

  const short = makeClip(join(tmp.dir, 'short.mp4'), { width: 160, height: 120, seconds: 0.4 });
  const again = spawnCli(['colorize', short, '-o', out, '--model', models.logits, '--device', 'cpu', '-q']);
  const r = await again.done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(strayFiles(dir, ['out.mp4']), [], 'the dead run\'s temporary file is gone');
});
