// Every bad input gets one clear line, a meaningful non-zero exit, and nothing under the output name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync, existsSync, mkdirSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { makeClip, runCli, strayFiles, cliFixtures } from './helpers/media.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { EXIT } from '../src/core/errors.js';

const fx = cliFixtures();

/** Runs the CLI in a fresh folder and checks the exit code, a one-line message, and no leftovers. */
async function expectFailure(args: (out: string) => string[], code: number, pattern: RegExp) {
  const dir = join(fx.tmp.dir, `case-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  const out = join(dir, 'out.mp4');
  const r = await runCli(['colorize', ...args(out), '--device', 'cpu']);
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('chroma:'));
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(existsSync(out), false, 'nothing under the output name');
  assert.deepEqual(strayFiles(dir, []), [], 'no partial files left behind');
}

test('missing input', () => expectFailure((o) => ['/nonexistent/film.mp4', '-o', o, '--model', fx.models.logits], EXIT.input, /no such file/));

test('random bytes named .mp4', () => {
  const p = join(fx.tmp.dir, 'noise.mp4');
  let x = 12345; // a small LCG: bytes with no structure a demuxer could latch on to
  writeFileSync(p, Buffer.from(Array.from({ length: 20000 }, () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) >> 16) & 255)));
  return expectFailure((o) => [p, '-o', o, '--model', fx.models.logits], EXIT.input, /not a readable media file/);
});

test('zero-byte file', () => {
  const p = join(fx.tmp.dir, 'empty.mp4');
  writeFileSync(p, '');
  return expectFailure((o) => [p, '-o', o, '--model', fx.models.logits], EXIT.input, /empty file/);
});

test('audio only: no video stream', () => {
  const p = join(fx.tmp.dir, 'audio.m4a');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=300', '-t', '1', '-c:a', 'aac', p]);
  return expectFailure((o) => [p, '-o', o, '--model', fx.models.logits], EXIT.input, /no video stream \(found audio\)/);
});

test('a file with a video stream but zero frames', () => {
  const p = join(fx.tmp.dir, 'zero.mkv');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x48', '-frames:v', '0', '-c:v', 'libx264', p]);
  return expectFailure((o) => [p, '-o', o, '--model', fx.models.logits], EXIT.input, /no frames|no video|not a readable/);
});

test('truncated file (cut at half) names the frame where decoding failed', () => {
  const full = makeClip(join(fx.tmp.dir, 'long.mp4'), {
    width: 320, height: 240, seconds: 4, fps: 25, gray: false, source: 'mandelbrot',
    extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
  });
  const bytes = readFileSync(full);
  const p = join(fx.tmp.dir, 'truncated.mp4');
  writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return expectFailure((o) => [p, '-o', o, '--model', fx.models.logits], EXIT.input, /(truncated|corrupt).*frame \d+/);
});

test('output directory not writable', () => expectFailure(() => [fx.good, '-o', '/nonexistent-dir/out.mp4', '--model', fx.models.logits], EXIT.output, /cannot write/));

test('read-only output directory', { skip: process.getuid?.() === 0 ? 'root ignores permissions' : false }, () => {
  const ro = join(fx.tmp.dir, 'ro');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  return expectFailure(() => [fx.good, '-o', join(ro, 'out.mp4'), '--model', fx.models.logits], EXIT.output, /cannot write/);
});

test('output equal to the input', async () => {
  const r = await runCli(['colorize', fx.good, '-o', fx.good, '-y', '--model', fx.models.logits, '--device', 'cpu']);
  assert.equal(r.code, EXIT.output);
  assert.match(r.stderr, /output is the input/);
  assert.ok(existsSync(fx.good));
});

test('unknown model', () => expectFailure((o) => [fx.good, '-o', o, '--model', 'no-such-model'], EXIT.model, /unknown model 'no-such-model'/));

test('a model whose output does not fit the contract', () =>
  expectFailure((o) => [fx.good, '-o', o, '--model', fx.models.bad], EXIT.model, /does not fit|contract/));

test('a file that is not an ONNX model', () => {
  const p = join(fx.tmp.dir, 'junk.onnx');
  writeFileSync(p, 'not a model at all');
  return expectFailure((o) => [fx.good, '-o', o, '--model', p], EXIT.model, /not an ONNX model|cannot load/);
});

test('an existing output is kept unless -y is given', async () => {
  const out = join(fx.tmp.dir, 'exists.mp4');
  writeFileSync(out, 'precious');
  const r = await runCli(['colorize', fx.good, '-o', out, '--model', fx.models.logits, '--device', 'cpu']);
  assert.equal(r.code, EXIT.output);
  assert.match(r.stderr, /exists/);
  assert.equal(readFileSync(out, 'utf8'), 'precious');
});

test('usage errors exit 2 and point at --help', async () => {
  const r = await runCli(['colorize', fx.good]);
  assert.equal(r.code, EXIT.usage);
  assert.match(r.stderr, /missing -o/);
  const r2 = await runCli(['colorize', fx.good, '-o', 'x.mp4', '--temperature', '7']);
  assert.equal(r2.code, EXIT.usage);
});

test('SIGINT stops the job, kills ffmpeg and removes the partial output', async () => {
  const input = makeClip(join(fx.tmp.dir, 'sig.mp4'), { width: 640, height: 480, seconds: 20, fps: 25 });
  const dir = join(fx.tmp.dir, 'sig');
  mkdirSync(dir);
  const out = join(dir, 'out.mp4');
  let sentAt = 0;
  const r = await runCli(['colorize', input, '-o', out, '--model', fx.models.logits, '--device', 'cpu', '--json'], {
    onSpawn: (child) => {
      child.stdout!.on('data', (c: Buffer) => {
        if (!sentAt && c.toString().includes('"progress"')) {
          sentAt = Date.now();
          child.kill('SIGINT');
        }
      });
    },
  });
  assert.ok(sentAt > 0, 'progress was reported before the signal');
  assert.equal(r.code, EXIT.interrupted, r.stderr);
  assert.ok(Date.now() - sentAt < 5000, 'stopped promptly');
  assert.deepEqual(strayFiles(dir, []), []);
  const ps = execFileSync('ps', ['-eo', 'args']).toString();
  assert.ok(!ps.includes(out), 'no ffmpeg child left writing the output');
});
