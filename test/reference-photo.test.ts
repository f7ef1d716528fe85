// The reference photo end to end: a broad-distribution model (the hint-echo fixture at a low gain)
// is pulled towards the photograph's colours, more with more strength; the hints file's `reference`
// is found relative to the file; models without a distribution and unreadable photos are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { tempDir, writeFixtureModels, runCli } from './helpers/media.js';
import { ECHO_FALLBACK_AB, makeHintEchoFixture } from './helpers/model-fixtures.js';
import { EXIT } from '../src/core/errors.js';
import { srgbToLab } from '../src/color/lab.js';
import { trainingPrior } from '../src/jobs/job-reference.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels> & { broad: string };
let photo: string, ochre: string;
// An ochre (a* 7, b* 42): near the model's own green-yellow (-20, 40), as a period photograph's
// colours are near a plausible guess; the tilt moves the distribution's mass between such bins.
const OCHRE: [number, number, number] = [180, 140, 70];
before(async () => {
  tmp = tempDir();
  models = { ...writeFixtureModels(tmp.dir), broad: join(tmp.dir, 'broad.onnx') };
  // Broad enough (annealed spread about 14 ab units) for a tilt that only raises the photograph's
  // hues, lowering nothing (TILT_LACK 0), to move it: at gain 0.01 the model was too sure of its
  // own colour for strength 0.3 to show.
  writeFileSync(models.broad, makeHintEchoFixture({ gain: 0.002 }));
  photo = join(tmp.dir, 'photo.png');
  await sharp(Buffer.alloc(64 * 48 * 3, 128), { raw: { width: 64, height: 48, channels: 3 } }).png().toFile(photo);
  mkdirSync(join(tmp.dir, 'refs'));
  ochre = join(tmp.dir, 'refs', 'ochre.png');
  await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: OCHRE[0], g: OCHRE[1], b: OCHRE[2] } } }).png().toFile(ochre);
});
after(() => tmp.cleanup());

async function centreAb(path: string): Promise<[number, number]> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const i = (24 * info.width + 32) * info.channels;
  const [, a, b] = srgbToLab(data[i], data[i + 1], data[i + 2]);
  return [a, b];
}
const dist = (p: readonly number[], q: readonly number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

test('the training prior ships with the package: 313 bins summing to 1', () => {
  const p = trainingPrior();
  assert.equal(p.length, 313);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.ok(p.every((v) => v > 0), 'smoothed: no empty bin');
});

test('--reference pulls the colours towards the photograph, more with more strength; the hints file\'s reference is relative to it', async () => {
  const [, ba, bb] = srgbToLab(...OCHRE);
  const run = async (name: string, extra: string[]) => {
    const out = join(tmp.dir, `${name}.png`);
    const r = await runCli(['colorize', photo, '-o', out, '--model', models.broad, '--device', 'cpu', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return centreAb(out);
  };
  const none = await run('none', []);
  const weak = await run('weak', ['--reference', ochre, '--reference-strength', '0.3']);
  const strong = await run('strong', ['--reference', ochre, '--reference-strength', '1']);
  assert.ok(dist(none, ECHO_FALLBACK_AB) < 15, `no reference: the model's own colour ${none}`);
  assert.ok(dist(weak, [ba, bb]) < dist(none, [ba, bb]) - 5, `weak ${weak} nearer the ochre than ${none}`);
  assert.ok(dist(strong, [ba, bb]) < dist(weak, [ba, bb]) - 5, `strong ${strong} nearer the ochre than ${weak}`);
  // The same through the hints file's "reference" key, its image relative to the file.
  const file = join(tmp.dir, 'refs', 'hints.json');
  writeFileSync(file, JSON.stringify({ hints: [], reference: { image: 'ochre.png', strength: 1 } }));
  const viaFile = await run('via-file', ['--hints', file]);
  assert.ok(dist(viaFile, strong) < 1, `${viaFile} vs ${strong}`);
});

test('a reference for an ab model is exit 5; an unreadable photograph exit 2; nothing written', async () => {
  const out = join(tmp.dir, 'never.png');
  let r = await runCli(['colorize', photo, '-o', out, '--model', models.ab, '--device', 'cpu', '--reference', ochre]);
  assert.equal(r.code, EXIT.model, r.stderr);
  assert.match(r.stderr, /outputs ab directly/);
  r = await runCli(['colorize', photo, '-o', out, '--model', models.broad, '--device', 'cpu', '--reference', join(tmp.dir, 'nope.jpg')]);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.match(r.stderr, /reference .*nope\.jpg: cannot read the photograph/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  r = await runCli(['colorize', photo, '-o', out, '--model', models.broad, '--device', 'cpu', '--reference', ochre, '--reference-strength', '1.5']);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.equal(existsSync(out), false);
});
