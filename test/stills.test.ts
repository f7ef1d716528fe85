// Stills through sharp and folders in one process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import sharp from 'sharp';
import { tempDir, makeClip, writeFixtureModels, runCli } from './helpers/media.js';
import { EXIT } from '../src/core/errors.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
before(() => {
  tmp = tempDir();
  models = writeFixtureModels(tmp.dir);
});
after(() => tmp.cleanup());

/** A gray gradient: left half dark, right half bright. */
async function grayImage(path: string, width: number, height: number, opts: { alpha?: boolean; cmyk?: boolean } = {}) {
  const ch = opts.alpha ? 4 : 3;
  const px = Buffer.alloc(width * height * ch);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const v = x < width / 2 ? 30 : 220;
    const i = (y * width + x) * ch;
    px.fill(v, i, i + 3);
    if (opts.alpha) px[i + 3] = y < height / 2 ? 255 : 128;
  }
  let img = sharp(px, { raw: { width, height, channels: ch } });
  if (opts.cmyk) img = img.toColourspace('cmyk');
  await img.toFile(path);
  return path;
}

test('a JPEG is colorized: bright areas take the fixture colour, dark stay gray, size kept', async () => {
  const input = await grayImage(join(tmp.dir, 'photo.jpg'), 201, 133);
  const output = join(tmp.dir, 'photo-colour.jpg');
  const r = await runCli(['colorize', input, '-o', output, '--model', models.logits, '--device', 'cpu', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { data, info } = await sharp(output).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 201);
  assert.equal(info.height, 133);
  const at = (x: number, y: number) => Array.from(data.subarray((y * 201 + x) * 3, (y * 201 + x) * 3 + 3));
  const [rb, gb, bb] = at(180, 60);
  assert.ok(rb - gb > 30 && rb - bb > 20, `bright pixel red: ${rb},${gb},${bb}`);
  const [rd, gd, bd] = at(20, 60);
  assert.ok(Math.abs(rd - gd) < 10 && Math.abs(gd - bd) < 10, `dark pixel gray: ${rd},${gd},${bd}`);
});

test('PNG with alpha keeps its alpha; CMYK JPEG is converted to sRGB first', async () => {
  const png = await grayImage(join(tmp.dir, 'alpha.png'), 64, 48, { alpha: true });
  const pngOut = join(tmp.dir, 'alpha-out.png');
  let r = await runCli(['colorize', png, '-o', pngOut, '--model', models.logits, '--device', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const meta = await sharp(pngOut).metadata();
  assert.equal(meta.hasAlpha, true);
  const { data } = await sharp(pngOut).raw().toBuffer({ resolveWithObject: true });
  assert.equal(data[(40 * 64 + 60) * 4 + 3], 128);

  const cmyk = await grayImage(join(tmp.dir, 'cmyk.jpg'), 64, 48, { cmyk: true });
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  r = await runCli(['colorize', cmyk, '-o', join(tmp.dir, 'cmyk-out.webp'), '--model', models.logits, '--device', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
});

test('a folder: every image and video colorized with one model load, names kept, failures reported', async () => {
  const inDir = join(tmp.dir, 'album');
  mkdirSync(join(inDir, 'sub'), { recursive: true });
  await grayImage(join(inDir, 'a.jpg'), 80, 60);
  await grayImage(join(inDir, 'sub', 'b.png'), 80, 60);
  await grayImage(join(inDir, 'c.tiff'), 80, 60);
  makeClip(join(inDir, 'clip.mp4'), { width: 96, height: 64, seconds: 0.5, fps: 10 });
  writeFileSync(join(inDir, 'notes.txt'), 'ignored');
  const outDir = join(tmp.dir, 'album-out');
  const r = await runCli(['colorize', inDir, '-o', outDir, '--model', models.logits, '--device', 'cpu', '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['a.jpg', 'sub/b.png', 'c.tiff', 'clip.mp4']) assert.ok(existsSync(join(outDir, f)), f);
  assert.equal(existsSync(join(outDir, 'notes.txt')), false);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
  assert.equal(events.filter((e) => e.event === 'model').length, 1, 'one model load');

  writeFileSync(join(inDir, 'broken.jpg'), 'not a jpeg');
  const r2 = await runCli(['colorize', inDir, '-o', join(tmp.dir, 'album-out2'), '--model', models.logits, '--device', 'cpu']);
  assert.equal(r2.code, EXIT.input);
  assert.match(r2.stderr, /FAIL .*broken\.jpg/);
  assert.ok(existsSync(join(tmp.dir, 'album-out2', 'a.jpg')), 'the good files still done');
  assert.equal(existsSync(join(tmp.dir, 'album-out2', 'broken.jpg')), false);
});
