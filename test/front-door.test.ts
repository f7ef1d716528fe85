// What a new user meets first: the one-call API, typos, unknown options and output types, bad
// options given to the library, and the lines printed before any work starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { runCli, REPO, cliFixtures } from './helpers/media.js';
import { Colorizer, colorize, ChromaError, EXIT } from '../src/index.js';
import { nearestCommand } from '../src/cli/main.js';
import { cudaProviderInstalled } from '../src/model/load-model.js';
import { COLORIZE_HELP } from '../src/cli/colorize-cli.js';

const fx = cliFixtures();

test('colorize() is a promise that rejects when the job fails, and still carries progress$', async () => {
  const job = colorize(join(fx.tmp.dir, 'missing.mp4'), join(fx.tmp.dir, 'o.mp4'), { model: fx.models.logits, device: 'cpu' });
  assert.equal(typeof job.progress$.subscribe, 'function');
  let progressErr: unknown = null;
  job.progress$.subscribe({ error: (e) => (progressErr = e) });
  await assert.rejects(job, (e: unknown) => e instanceof ChromaError && e.kind === 'input' && /no such file/.test(e.message));
  assert.ok(progressErr instanceof ChromaError, 'progress$ errors too');
  const ok = colorize(fx.good, join(fx.tmp.dir, 'ok.mp4'), { model: fx.models.logits, device: 'cpu', smooth: 'off' });
  const frames: number[] = [];
  ok.progress$.subscribe((p) => frames.push(p.frames));
  const r = await ok;
  assert.equal(r.frames, 10);
  assert.equal(frames.at(-1), 10);
});

test('the library refuses bad options with the CLI\'s one-line message', async () => {
  const c = await Colorizer.create({ model: fx.models.logits, device: 'cpu' });
  try {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ temperature: 0 }, /^temperature 0: expected a number in \[0\.01, 1\]$/],
      [{ temperature: 1.5 }, /^temperature 1\.5: expected a number in \[0\.01, 1\]$/],
      [{ batch: 0 }, /^batch 0: expected an integer in \[1, 256\]$/],
      [{ batch: 2.5 }, /^batch 2\.5: expected an integer/],
      [{ size: 8 }, /^size 8: expected an integer in \[32, 4096\]$/],
      [{ smooth: 2 }, /^smooth 2: expected a number in \[0, 1\]$/],
      [{ smooth: 'max' }, /^smooth max: expected 'off', 'low', 'medium', 'high'/],
    ];
    for (const [opts, pattern] of cases) {
      const out = join(fx.tmp.dir, 'never.mp4');
      await assert.rejects(c.colorize(fx.good, out, opts).done, (e: unknown) => e instanceof ChromaError && e.kind === 'usage' && pattern.test(e.message), JSON.stringify(opts));
      assert.equal(existsSync(out), false);
    }
  } finally {
    await c.close();
  }
});

test('an unknown output type is refused up front (exit 4, before the model loads)', async () => {
  // The model does not exist: reaching it would exit 5.
  const r = await runCli(['colorize', fx.good, '-o', join(fx.tmp.dir, 'out.txt'), '--model', 'no-such-model']);
  assert.equal(r.code, EXIT.output, r.stderr);
  assert.match(r.stderr, /out\.txt: unknown output type '\.txt'/);
});

test('a mistyped command suggests the nearest one', async () => {
  const table: [string, string | null][] = [['colourise', 'colorize'], ['colorise', 'colorize'], ['serv', 'serve'], ['model', 'models'], ['metric', 'metrics'], ['film.mp4', null], ['xyz', null]];
  for (const [word, want] of table) assert.equal(nearestCommand(word, ['colorize', 'serve', 'models', 'metrics', 'bench']), want, word);
  const r = await runCli(['colourise', 'x.mp4']);
  assert.equal(r.code, EXIT.usage);
  assert.equal(r.stderr.trim(), "chroma: unknown command 'colourise' (did you mean 'colorize'? see chroma --help)");
});

test('an unknown option is one line of ours, for every subcommand', async () => {
  for (const cmd of ['colorize', 'serve', 'metrics']) {
    const r = await runCli([cmd, '--no-such-flag']);
    assert.equal(r.code, EXIT.usage, cmd);
    assert.equal(r.stderr.trim(), `chroma ${cmd}: unknown option --no-such-flag (see chroma ${cmd} --help)`);
  }
});

test('no CUDA line on a machine without the CUDA provider, and a missing input is said before the model loads', async (t) => {
  if (cudaProviderInstalled()) return t.skip('the CUDA provider is installed here');
  const r = await runCli(['colorize', join(fx.tmp.dir, 'nothing.mp4'), '-o', join(fx.tmp.dir, 'n.mp4'), '--model', 'no-such-model']);
  assert.equal(r.code, EXIT.input);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /CUDA/);
});

test('the README states the limits the CLI enforces', () => {
  // The option table is generated from the schema the CLI parses with (npm run docs:api).
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const row = (flag: string) => readme.split('\n').find((l) => l.startsWith(`| \`${flag}`)) ?? '';
  assert.match(row('--temperature'), /\| 0\.01\.\.1 \| 0\.38 \|$/);
  assert.match(COLORIZE_HELP, /--temperature T\s+annealed-mean temperature; lower = more vivid \(0\.01\.\.1; default 0\.38\)/);
  assert.match(row('--size'), /\| 32\.\.4096 \|/);
  assert.match(row('--batch'), /\| 1\.\.256 \| 4 \|$/);
  assert.match(row('--smooth'), /\| medium \(stills: off\) \|$/);
  assert.match(readme, /\| 129 \/ 130 \/ 143 \|/);
  // The --json events moved with the rest of the colorize manual.
  const manual = readFileSync(join(REPO, 'docs', 'colorize.md'), 'utf8');
  assert.match(manual, /`log` \(a notice such as the CUDA fallback\)/);
  assert.ok(readme.split('\n').length <= 300, 'the README stays a front door');
});
