// `chroma train`: refusals before any work (table), and a real fine-tuning run with the system's PyTorch
// whose model then colorizes a photo (skipped, with the reason, where no Python has torch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli, tempDir } from './helpers/media.js';
import { TORCH_HINT, probePython, trainingImproved } from '../src/model/train.js';

const tmp = tempDir('chroma-train-');
const photos = join(tmp.dir, 'photos');
const empty = join(tmp.dir, 'empty');
mkdirSync(photos);
mkdirSync(empty);

/** Colour photos with structure: a sky-blue top, a green bottom and a red disc, shifted per photo. */
async function makePhotos(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const w = 200, h = 176;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
      <rect width="${w}" height="${h / 2}" fill="#6fa8dc"/><rect y="${h / 2}" width="${w}" height="${h / 2}" fill="#3c8d2f"/>
      <circle cx="${40 + 20 * i}" cy="${60 + 8 * i}" r="24" fill="#c0392b"/></svg>`;
    await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toFile(join(photos, `p${i}.jpg`));
  }
}

const torch = await probePython().then((p) => p.python, () => null);
await makePhotos(6);

test('chroma train refuses bad calls in one line, before any work, writing nothing', async () => {
  const cases: [string[], number, RegExp][] = [
    [['train'], 2, /expected exactly one PHOTOS_DIR/],
    [['train', photos], 2, /-o MODEL\.onnx is required/],
    [['train', photos, '-o', join(tmp.dir, 'm.onnx'), '--from', 'imagenet'], 2, /--from imagenet: expected default or scratch/],
    [['train', photos, '-o', join(tmp.dir, 'm.onnx'), '--minutes', '0'], 2, /--minutes/],
    [['train', empty, '-o', join(tmp.dir, 'm.onnx')], 3, /0 photo\(s\) found/],
    [['train', join(tmp.dir, 'nope'), '-o', join(tmp.dir, 'm.onnx')], 3, /not a readable folder/],
    [['train', photos, '-o', join(tmp.dir, 'm.txt')], 4, /must be written as \.onnx/],
    [['train', photos, '-o', join(tmp.dir, 'm.onnx'), '--python', join(tmp.dir, 'no-python')], 8, /needs Python 3 with torch/],
  ];
  for (const [args, code, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], re);
  }
  assert.ok(TORCH_HINT.includes('apt-get install python3-torch'));
  assert.ok(!existsSync(join(tmp.dir, 'm.onnx')));
});

test('a run counts as better only if a validation after the start beat the starting weights', () => {
  const cases: [string, { step: number; loss: number; best: boolean }[], boolean, number | null][] = [
    ['no validation at all', [], false, null],
    ['only the start', [{ step: 0, loss: 3.4, best: true }], false, 3.4],
    ['later ones all worse', [{ step: 0, loss: 3.4, best: true }, { step: 40, loss: 3.5, best: false }, { step: 80, loss: 3.45, best: false }], false, 3.4],
    ['one later is better', [{ step: 0, loss: 3.4, best: true }, { step: 40, loss: 3.3, best: true }, { step: 80, loss: 3.35, best: false }], true, 3.3],
    ['better in an earlier session (resumed)', [{ step: 0, loss: 3.4, best: true }, { step: 40, loss: 3.3, best: true }, { step: 90, loss: 3.31, best: false }], true, 3.3],
  ];
  for (const [name, records, improved, best] of cases) {
    const v = trainingImproved(records);
    assert.equal(v.improved, improved, name);
    assert.equal(v.best, best, name);
  }
});

test('chroma train from scratch writes a model named after its file and removes its work folder (or, not better yet, writes nothing), and the model colorizes', { skip: torch ? false : `no Python with torch (${TORCH_HINT})`, timeout: 600_000 }, async () => {
  const out = join(tmp.dir, 'mine.onnx');
  const work = join(tmp.dir, '.mine.onnx.chroma-train');
  // From random weights a few dozen steps beat the start; a starved machine may not get that many in 30 s.
  const r = await runCli(['train', photos, '-o', out, '--from', 'scratch', '--minutes', '0.5', '--json', '--threads', '1'], { timeoutMs: 540_000 });
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
  const start = events.find((e) => e.event === 'start');
  assert.ok(start && start.photos === 5 && start.validation === 1, JSON.stringify(start));
  assert.ok(events.some((e) => e.event === 'validation'), 'validation figures are reported');
  let model = out;
  if (r.code === 9) {
    const err = events.find((e) => e.event === 'error');
    assert.match(String(err?.message), /did not beat the starting model.*nothing written/);
    assert.ok(!existsSync(out) && !existsSync(`${out}.json`) && existsSync(join(work, 'last.pt')));
    model = join(work, 'model.onnx');
  } else {
    assert.equal(r.code, 0, r.stderr);
    const summary = events.find((e) => e.event === 'summary');
    assert.ok(summary && summary.output === out && summary.name === 'mine', JSON.stringify(summary));
    assert.ok(Number(summary.bestValidationLoss) < Number(summary.startValidationLoss), JSON.stringify(summary));
    assert.equal((JSON.parse(readFileSync(`${out}.json`, 'utf8')) as { name: string }).name, 'mine');
    assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp') || f.includes('chroma-train')), [], 'no temporary or work folder left');
  }
  const col = join(tmp.dir, 'col.png');
  const c = await runCli(['colorize', join(photos, 'p0.jpg'), '-o', col, '--model', model, '--device', 'cpu']);
  assert.equal(c.code, 0, c.stderr);
  const { width, height } = await sharp(col).metadata();
  assert.deepEqual([width, height], [200, 176]);
});

test('chroma train from the built-in model either writes a better model or says it is not better, writes nothing and keeps its work folder', { skip: torch ? false : `no Python with torch (${TORCH_HINT})`, timeout: 600_000 }, async () => {
  const out = join(tmp.dir, 'tuned.onnx');
  const r = await runCli(['train', photos, '-o', out, '--minutes', '0.2', '--threads', '1'], { timeoutMs: 540_000 });
  const work = join(tmp.dir, '.tuned.onnx.chroma-train');
  if (r.code === 9) {
    assert.match(r.stderr.trim().split('\n').pop()!, /did not beat the starting model.*nothing written/);
    assert.ok(!existsSync(out) && !existsSync(`${out}.json`), 'nothing under the user\'s name');
    assert.ok(existsSync(join(work, 'last.pt')), 'the work folder is kept so a longer rerun continues');
    // A rerun with more minutes continues from it.
    const again = await runCli(['train', photos, '-o', out, '--minutes', '0.4', '--threads', '1', '--json'], { timeoutMs: 540_000 });
    const s2 = again.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; resumed?: boolean }).find((e) => e.event === 'start');
    assert.equal(s2?.resumed, true);
  } else {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote .*tuned\.onnx \("tuned"/);
    assert.ok(existsSync(out) && !existsSync(work));
  }
});

test.after(() => tmp.cleanup());
