// --restore through the real CLI: a synthetic damaged clip (the generator on a moving scene,
// stored losslessly) is colorized with real ffmpeg and ONNX Runtime, and the output's L is compared
// with the clean scene; the preview and the bad-option paths are checked too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tempDir, writeFixtureModels, runCli, probeStreams, strayFiles } from './helpers/media.js';
import { movingScene } from './helpers/synthetic.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { GRAY_TO_L, labToSrgb, rgbToL } from '../src/color/lab.js';
import { FilmDamage } from '../src/restore/synthetic-damage.js';
import { psnrL } from '../src/metrics/image-quality.js';
import { EXIT } from '../src/core/errors.js';

const W = 160, H = 112, FRAMES = 30;
let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
let input: string;
const clean: Float32Array[] = [];

/** Gray codes of an L plane, and the L those codes stand for (what the clip really holds). */
function toCodes(L: Float32Array): Buffer {
  return Buffer.from(L.map((v) => Math.max(0, Math.min(255, Math.round(labToSrgb(Math.max(0, Math.min(100, v)), 0, 0)[0])))));
}

before(() => {
  tmp = tempDir('chroma-restore-');
  models = writeFixtureModels(tmp.dir);
  const gen = new FilmDamage(W, H, { seed: 8, dustPerFrame: 25 });
  const raw: Buffer[] = [];
  for (let t = 0; t < FRAMES; t++) {
    const L = movingScene(W, H, t);
    const codes = toCodes(L);
    clean.push(Float32Array.from(codes, (c) => GRAY_TO_L[c]));
    gen.apply(L);
    raw.push(toCodes(L));
  }
  input = join(tmp.dir, 'damaged.mkv');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${W}x${H}`, '-framerate', '25', '-i', '-', '-c:v', 'ffv1', input], { input: Buffer.concat(raw) });
});
after(() => tmp.cleanup());

function outputL(path: string): Float32Array[] {
  const rgb = execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 28 });
  const n = W * H, out: Float32Array[] = [];
  for (let k = 0; k + 3 * n <= rgb.length; k += 3 * n) {
    const L = new Float32Array(n);
    rgbToL(rgb.subarray(k, k + 3 * n), L, n);
    out.push(L);
  }
  return out;
}

const meanPsnr = (frames: Float32Array[]) => frames.reduce((s, L, t) => s + psnrL(L, clean[t]), 0) / frames.length;

test('colorize --restore auto: the output carries repaired L (>= 3 dB closer to clean than without), and --restore-debug writes the preview', async () => {
  const plain = join(tmp.dir, 'plain.mkv'), fixed = join(tmp.dir, 'fixed.mkv'), preview = join(tmp.dir, 'preview.mp4');
  const common = ['--model', models.ab, '--device', 'cpu', '--codec', 'ffv1', '--smooth', 'off', '-q'];
  const a = await runCli(['colorize', input, '-o', plain, ...common]);
  assert.equal(a.code, 0, a.stderr);
  const b = await runCli(['colorize', input, '-o', fixed, ...common, '--restore', 'auto', '--restore-debug', preview]);
  assert.equal(b.code, 0, b.stderr);
  const without = outputL(plain), withRestore = outputL(fixed);
  assert.equal(withRestore.length, FRAMES);
  const p0 = meanPsnr(without), p1 = meanPsnr(withRestore);
  assert.ok(p1 >= p0 + 3, `PSNR of L vs clean: ${p0.toFixed(2)} without, ${p1.toFixed(2)} with --restore auto`);
  const [v] = probeStreams(preview).filter((s) => s.codec_type === 'video');
  assert.equal(v.width, 3 * W);
  assert.equal(Number(v.nb_read_frames), FRAMES, 'a clip shorter than 5 s is previewed whole');
  assert.deepEqual(strayFiles(tmp.dir, ['damaged.mkv', 'plain.mkv', 'fixed.mkv', 'preview.mp4', 'fixture-logits.onnx', 'fixture-ab.onnx', 'fixture-bad.onnx']), []);
});

test('bad --restore options: one line, exit 2, nothing written', async () => {
  const cases: [string[], RegExp][] = [
    [['--restore', 'sparkle'], /--restore sparkle: expected auto, light, strong, off or a list of/],
    [['--restore-debug', 'p.mp4'], /--restore-debug needs --restore/],
    [['--restore', 'dust', '--restore-debug', 'p.mp4', '--resume'], /--restore-debug cannot be combined with --resume/],
  ];
  // A folder as INPUT: the preview is for one video.
  const folder = join(tmp.dir, 'folder-in');
  mkdirSync(folder);
  const r = await runCli(['colorize', folder, '-o', join(tmp.dir, 'folder-out'), '--restore', 'auto', '--restore-debug', join(tmp.dir, 'p.mp4'), '--device', 'cpu']);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.match(r.stderr, /--restore-debug previews one video; INPUT is a folder/);
  for (const [args, pattern] of cases) {
    const dir = join(tmp.dir, `bad-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(dir);
    const withDir = args.map((x) => (x === 'p.mp4' ? join(dir, x) : x));
    const r = await runCli(['colorize', input, '-o', join(dir, 'out.mkv'), '--model', models.ab, '--device', 'cpu', ...withDir]);
    assert.equal(r.code, EXIT.usage, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('chroma:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
    assert.equal(existsSync(join(dir, 'out.mkv')), false);
    assert.deepEqual(strayFiles(dir, []), []);
  }
});
