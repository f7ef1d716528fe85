// What a new user found, each kept true: a finished colorize says what it made even when stderr is
// a log, `cancel --help` and `models --help` teach their own commands, one rule for output names
// (exit 4, a directory named as such), a worker with no Redis leaves nothing behind, and a film
// cut into fewer farm segments than asked says why.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, cliFixtures, makeClip } from './helpers/media.js';
import { startRedis, skipWithoutRedis, type TestRedis } from './helpers/redis.js';
import { EXIT } from '../src/index.js';
import { CANCEL_HELP, STATUS_HELP } from '../src/cli/status-cli.js';
import { MODELS_HELP } from '../src/cli/models-cli.js';
import { MODEL_NAMES } from '../src/model/registry.js';
import { fewerSegmentsNote } from '../src/jobs/queue/submit.js';

const fx = cliFixtures();

test('a finished colorize prints its summary line on stderr when stderr is no terminal; -q and --json keep it quiet', async () => {
  const out = join(fx.tmp.dir, 'summary.mp4');
  const model = ['--model', fx.models.logits, '--device', 'cpu', '--smooth', 'off'];
  const r = await runCli(['colorize', fx.good, '-o', out, ...model]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /summary\.mp4: 10 frame\(s\) in \d+\.\d s \(\d+\.\d fps\)\n$/);
  const quiet = await runCli(['colorize', fx.good, '-o', out, '-y', '-q', ...model]);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
  const json = await runCli(['colorize', fx.good, '-o', out, '-y', '--json', ...model]);
  assert.equal(json.stderr, '');
});

test('chroma cancel --help is the help of cancel, not of status', async () => {
  const r = await runCli(['cancel', '--help']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, CANCEL_HELP);
  assert.notEqual(CANCEL_HELP, STATUS_HELP);
  assert.match(r.stdout, /^Usage: chroma cancel RUN/);
  assert.match(r.stdout, /running ones stop within a second/);
});

test('chroma models --help teaches: each subcommand, each model, where they go, examples', async () => {
  const r = await runCli(['models', '--help']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, MODELS_HELP);
  for (const word of ['list', 'pull NAME', 'convert FILE.pth', 'CHROMA_CACHE_DIR', 'SHA-256', 'Examples:', '--base-url URL', 'Exit codes']) {
    assert.ok(r.stdout.includes(word), word);
  }
  for (const name of MODEL_NAMES) assert.match(r.stdout, new RegExp(`^ +${name} +\\S`, 'm'), name);
  // A usage error points there instead of printing it all.
  const bad = await runCli(['models', 'pul']);
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.stderr, /chroma models --help says more/);
});

test('one rule for output names: unknown type, wrong kind for the input, a directory are all exit 4, before the model loads', async () => {
  const photo = join(fx.tmp.dir, 'photo.png');
  makeClip(photo, { width: 64, height: 48, seconds: 0.04, extra: ['-frames:v', '1'] });
  const dir = join(fx.tmp.dir, 'existing-dir');
  mkdirSync(dir, { recursive: true });
  // The model does not exist: reaching it would exit 5.
  const cases: [string, string, RegExp][] = [
    [fx.good, join(fx.tmp.dir, 'out.xyz'), /out\.xyz: unknown output type '\.xyz'/],
    [fx.good, join(fx.tmp.dir, 'frame.png'), /frame\.png: a video needs a video output/],
    [photo, join(fx.tmp.dir, 'photo.mp4'), /photo\.mp4: a still image needs an image output/],
    [photo, dir, /existing-dir: is a directory; give a file name \(-o .*existing-dir\/photo-colour\.png\), or a folder INPUT to fill it/],
  ];
  for (const [input, output, message] of cases) {
    const r = await runCli(['colorize', input, '-o', output, '--model', 'no-such-model']);
    assert.equal(r.code, EXIT.output, `${output}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.deepEqual(readdirSync(dir), []);
});

test('chroma worker with Redis unreachable exits 7 and creates no store folder', async () => {
  const store = join(fx.tmp.dir, 'never-made', 'store');
  const r = await runCli(['worker', '--queue', 'redis://127.0.0.1:1', '--store', store]);
  assert.equal(r.code, EXIT.queue, r.stderr);
  assert.equal(existsSync(join(fx.tmp.dir, 'never-made')), false);
});

test('fewer farm segments than --segment-seconds asks for: the note says why', () => {
  assert.match(fewerSegmentsNote('film.mp4', 1, 10, 3)!, /film\.mp4: 1 segment\(s\), not the 4 that --segment-seconds 3 asks for: segments start at the source's keyframes/);
  assert.equal(fewerSegmentsNote('film.mp4', 3, 10, 3), null, 'keyframes every 2 s: close enough');
  assert.equal(fewerSegmentsNote('film.mp4', 1, 2, 3), null, 'one segment asked, one given');
  assert.equal(fewerSegmentsNote('film.mp4', 1, null, 3), null, 'no duration, no claim');
});

let redis: TestRedis | null = null;
before(async () => {
  if (!skipWithoutRedis) redis = await startRedis(fx.tmp.dir);
});
after(async () => redis?.stop());

test('a queued film with one keyframe says why it is one segment', { skip: skipWithoutRedis }, async () => {
  const oneKey = makeClip(join(fx.tmp.dir, 'one-key.mp4'), {
    width: 160, height: 120, seconds: 8, fps: 10, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '1000', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'],
  });
  const r = await runCli(['colorize', oneKey, '-o', join(fx.tmp.dir, 'one-key-out.mp4'), '--queue', redis!.url, '--store', join(fx.tmp.dir, 'farm'),
    '--segment-seconds', '3', '--detach', '--model', fx.models.logits]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /one-key\.mp4: 1 segment\(s\), not the 3 that --segment-seconds 3 asks for/);
});
