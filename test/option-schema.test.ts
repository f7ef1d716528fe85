// The option schema is the one place an option is declared: the library's checks, the flag
// parsers, --help and the docs' tables all come from it. These tests keep them agreeing, and keep
// the few lists that live elsewhere (presets, live control ranges) equal to the schema's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli, cliFixtures } from './helpers/media.js';
import { ChromaError, Colorizer } from '../src/index.js';
import { checkOption, readFlag, type OptionSpec } from '../src/core/options.js';
import * as specs from '../src/core/option-specs.js';
import { loadModel } from '../src/model/load-model.js';
import { flagName, optionLines } from '../src/cli/flags.js';
import { COLORIZE_FLAGS, COLORIZE_HELP } from '../src/cli/colorize-cli.js';
import { SERVE_FLAGS, SERVE_HELP, serveOptionsFromArgv } from '../src/cli/serve-cli.js';
import { EDIT_FLAGS, EDIT_HELP } from '../src/cli/edit-cli.js';
import { WORKER_FLAGS, WORKER_HELP } from '../src/cli/worker-cli.js';
import { TRAIN_FLAGS, TRAIN_HELP } from '../src/cli/train-cli.js';
import { CHECKED_BY, fillOptionTables, optionTableFiles, publicOptions } from '../scripts/api-docs.js';
import { SMOOTH_PRESETS } from '../src/smoothing/options.js';
import { LIVE_TEMPERATURE_RANGE, SMOOTH_RANGE } from '../src/server/control.js';
import { RTSP_TRANSPORTS } from '../src/server/sources/rtsp.js';
import { LOG_FORMATS } from '../src/server/log.js';
import { TEMPERATURE_RANGE } from '../src/core/defaults.js';

const fx = cliFixtures();

const HELPS: [string, readonly OptionSpec[], string][] = [
  ['colorize', COLORIZE_FLAGS, COLORIZE_HELP], ['serve', SERVE_FLAGS, SERVE_HELP], ['serve --edit', EDIT_FLAGS, EDIT_HELP],
  ['worker', WORKER_FLAGS, WORKER_HELP], ['train', TRAIN_FLAGS, TRAIN_HELP],
];

test('every flag a command parses is in its --help, with the line the schema writes', () => {
  for (const [cmd, flags, help] of HELPS) {
    const flagsSeen = new Set<string>();
    for (const s of flags) {
      assert.ok(!flagsSeen.has(s.flag), `${cmd}: --${s.flag} declared twice`);
      flagsSeen.add(s.flag);
      assert.ok(help.includes(optionLines([s])), `${cmd} --help has the schema's line for ${flagName(s)}`);
    }
    // And no flag in the help that the parser does not take.
    for (const m of help.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)) {
      assert.ok(flagsSeen.has(m[1]) || (cmd === 'serve' && m[1] === 'edit'), `${cmd} --help lists --${m[1]}, which it does not parse`);
    }
  }
});

test('the docs\' option tables are the ones the schema generates (npm run docs:api)', () => {
  let tables = 0;
  for (const f of optionTableFiles()) {
    const text = readFileSync(join(REPO, f), 'utf8');
    tables += (text.match(/<!-- options: /g) ?? []).length;
    assert.equal(text, fillOptionTables(text), `${f} is stale: run npm run docs:api`);
  }
  assert.ok(tables >= 4, `found ${tables} generated tables`);
});

test('every option the library checks is a documented member of an options interface it checks', () => {
  const members = new Set(publicOptions().map((o) => `${o.owner}.${o.name}`));
  for (const group of new Set(Object.values(CHECKED_BY).map((c) => c.specs))) {
    const owners = Object.entries(CHECKED_BY).filter(([, c]) => c.specs === group).map(([o]) => o);
    for (const s of group) {
      if (s.key) assert.ok(owners.some((o) => members.has(`${o}.${s.key}`)), `${s.key} in ${owners.join(' or ')}`);
    }
  }
});

test('library and CLI refuse the same values with the same line, the library by its name, the CLI by its flag', () => {
  const cases: [OptionSpec, unknown, string][] = [
    [specs.SIZE, 8, 'an integer in [32, 4096]'], [specs.BATCH, 300, 'an integer in [1, 256]'], [specs.THREADS, 0, 'an integer in [1, 1024]'],
    [specs.DEVICE, 'tpu', 'auto, cpu or cuda'], [specs.TEMPERATURE, 0, 'a number in [0.01, 1]'],
    [specs.SMOOTH, 'max', "'off', 'low', 'medium', 'high' or a number in [0, 1]"], [specs.SMOOTH, 2, 'a number in [0, 1]'],
    [specs.LIVE_BATCH, 65, 'an integer in [1, 64]'], [specs.RTSP_TRANSPORT, 'quic', 'tcp, udp or auto'],
  ];
  for (const [s, value, expected] of cases) {
    assert.throws(() => checkOption(s, value), (e: unknown) => e instanceof ChromaError && e.kind === 'usage' && e.message === `${s.key} ${value}: expected ${expected}`, `${s.key} ${value}`);
    assert.throws(() => readFlag(s, String(value)), (e: unknown) => e instanceof ChromaError && e.message === `--${s.flag} ${value}: expected ${expected}`, `--${s.flag} ${value}`);
  }
  assert.equal(readFlag(specs.SMOOTH, 'low'), 'low');
  assert.equal(readFlag(specs.SIZE, '256'), 256);
  assert.throws(() => readFlag(specs.WIDTH, 'wide'), /^ChromaError: --width wide: expected a number \(an integer in \[16, 8192\]\)$/);
});

test('the library itself refuses a bad device (it used to mean CPU), a bad thread count, and the server its options', async () => {
  await assert.rejects(loadModel(fx.models.logits, { device: 'tpu' as 'cpu' }), /^ChromaError: device tpu: expected auto, cpu or cuda$/);
  await assert.rejects(Colorizer.create({ model: fx.models.logits, device: 'gpu' as 'cuda' }), /device gpu: expected auto, cpu or cuda/);
  await assert.rejects(loadModel(fx.models.logits, { threads: 0 }), /^ChromaError: threads 0: expected an integer in \[1, 1024\]$/);
  const { startServer } = await import('../src/server/index.js');
  await assert.rejects(startServer({ input: 'x.mp4', maxWaitMs: -1, log: () => {} }), /^ChromaError: maxWaitMs -1: expected a number in \[0, 10000\]$/);
  await assert.rejects(startServer({ input: 'x.mp4', rtspTransport: 'quic' as 'tcp', log: () => {} }), /^ChromaError: rtspTransport quic: expected tcp, udp or auto$/);
});

test('the CLIs say the same line for the same bad value (one rule, four commands)', async () => {
  for (const cmd of [['colorize', fx.good, '-o', join(fx.tmp.dir, 'o.mp4')], ['serve', '--input', 'x.mp4'], ['serve', '--input', 'x.mp4', '--edit'], ['worker', '--queue', 'redis://127.0.0.1:1', '--store', fx.tmp.dir]]) {
    const r = await runCli([...cmd, '--device', 'tpu']);
    assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
    assert.match(r.stderr.trim(), /^chroma( serve| worker)?: --device tpu: expected auto, cpu or cuda$/, cmd.join(' '));
  }
  assert.throws(() => serveOptionsFromArgv(['--input', 'x', '--threads', '2000']), /--threads 2000: expected an integer in \[1, 1024\]/);
});

test('lists kept beside the code they drive equal the schema\'s', () => {
  assert.deepEqual(specs.SMOOTH.words, Object.keys(SMOOTH_PRESETS));
  assert.deepEqual([specs.LIVE_TEMPERATURE.min, specs.LIVE_TEMPERATURE.max], [...LIVE_TEMPERATURE_RANGE]);
  assert.deepEqual([specs.TEMPERATURE.min, specs.TEMPERATURE.max], [...TEMPERATURE_RANGE]);
  assert.deepEqual([specs.LIVE_SMOOTH.min, specs.LIVE_SMOOTH.max], [...SMOOTH_RANGE]);
  assert.deepEqual(specs.RTSP_TRANSPORT.choices, RTSP_TRANSPORTS);
  assert.deepEqual(specs.LOG_FORMAT.choices, LOG_FORMATS);
});

test('one stop-signal helper: no CLI listens for signals by itself', () => {
  const dir = join(REPO, 'src', 'cli');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'stop-signal.ts')) {
    assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /process\.(on|once)\('SIG/, f);
  }
});
