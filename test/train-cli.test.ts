// `chroma train`: refusals before any work (table), and a real fine-tuning run with the system's PyTorch
// whose model then colorizes a photo (skipped, with the reason, where no Python has torch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli, tempDir } from './helpers/media.js';
import { TORCH_HINT, probePython } from '../src/model/train.js';

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
    [['train', photos, '-o', join(tmp.dir, 'm.onnx'), '--from', 'imagenet'], 2, /--from must be default or scratch/],
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

test('chroma train fine-tunes the built-in model on a folder, and the result colorizes', { skip: torch ? false : `no Python with torch (${TORCH_HINT})`, timeout: 600_000 }, async () => {
  const out = join(tmp.dir, 'mine.onnx');
  const r = await runCli(['train', photos, '-o', out, '--minutes', '0.2', '--json', '--threads', '1'], { timeoutMs: 540_000 });
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
  const start = events.find((e) => e.event === 'start');
  assert.ok(start && start.photos === 5 && start.validation === 1, JSON.stringify(start));
  assert.ok(events.some((e) => e.event === 'validation'), 'validation figures are reported');
  const summary = events.find((e) => e.event === 'summary');
  assert.ok(summary && summary.output === out);
  assert.ok(existsSync(out) && existsSync(`${out}.json`));
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary left');

  const col = join(tmp.dir, 'col.png');
  const c = await runCli(['colorize', join(photos, 'p0.jpg'), '-o', col, '--model', out, '--device', 'cpu']);
  assert.equal(c.code, 0, c.stderr);
  const { width, height } = await sharp(col).metadata();
  assert.deepEqual([width, height], [200, 176]);

  // A rerun of a finished run continues from the work folder instead of starting over.
  const again = await runCli(['train', photos, '-o', out, '--minutes', '0.2', '--json', '-y', '--threads', '1'], { timeoutMs: 540_000 });
  assert.equal(again.code, 0, again.stderr);
  const s2 = again.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; resumed?: boolean }).find((e) => e.event === 'start');
  assert.equal(s2?.resumed, true);
});

test.after(() => tmp.cleanup());
