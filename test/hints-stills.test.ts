// Colour hints on stills, end to end through the real CLI and the library, with the hint-echo
// fixture (a model that paints exactly what the hint planes say): the hinted pixels take the hint's
// colour, the rest the fixture's own, and every bad hints file or unsuitable model is refused with
// one line before anything is written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, writeFileSync, readdirSync } from 'node:fs';
import sharp from 'sharp';
import { tempDir, writeFixtureModels, runCli } from './helpers/media.js';
import { ECHO_FALLBACK_AB, makeHintEchoFixture } from './helpers/model-fixtures.js';
import { EXIT } from '../src/core/errors.js';
import { srgbToLab } from '../src/color/lab.js';
import { hexToAb } from '../src/hints/hints-file.js';
import { Colorizer } from '../src/colorizer.js';
import { lastValueFrom, of, toArray } from 'rxjs';
import { colorGraph } from '../src/graph/color-graph.js';
import { loadModel } from '../src/model/load-model.js';

const W = 160, H = 120;
let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels> & { echo: string };
let photo: string;
before(async () => {
  tmp = tempDir();
  models = { ...writeFixtureModels(tmp.dir), echo: join(tmp.dir, 'echo.onnx') };
  writeFileSync(models.echo, makeHintEchoFixture());
  photo = join(tmp.dir, 'photo.png');
  await sharp(Buffer.alloc(W * H * 3, 128), { raw: { width: W, height: H, channels: 3 } }).png().toFile(photo);
});
after(() => tmp.cleanup());

async function abAt(path: string, points: [number, number][]): Promise<[number, number][]> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return points.map(([x, y]) => {
    const i = (y * info.width + x) * info.channels;
    const [, a, b] = srgbToLab(data[i], data[i + 1], data[i + 2]);
    return [a, b];
  });
}
const dist = (p: readonly number[], q: readonly number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

const HINTS = { hints: [{ x: 40, y: 30, color: '#b22222', size: 9 }, { x: 120, y: 90, ab: [20, -40], size: 5 }] };

test('CLI: each hinted patch takes its colour (hex or ab), the rest the model\'s own', async () => {
  const file = join(tmp.dir, 'hints.json');
  writeFileSync(file, JSON.stringify(HINTS));
  const out = join(tmp.dir, 'out.png');
  const r = await runCli(['colorize', photo, '-o', out, '--model', models.echo, '--device', 'cpu', '--hints', file]);
  assert.equal(r.code, 0, r.stderr);
  const [red, blue, away, near] = await abAt(out, [[40, 30], [120, 90], [80, 60], [46, 30]]);
  assert.ok(dist(red, hexToAb('#b22222')!) < 10, `hex hint: ${red}`);
  assert.ok(dist(blue, [20, -40]) < 3, `ab hint: ${blue}`);
  assert.ok(dist(away, ECHO_FALLBACK_AB) < 3, `unhinted, far from both: ${away}`);
  // Just outside the patch, on the same plain gray, the hint propagation stage spreads its colour.
  assert.ok(dist(near, hexToAb('#b22222')!) < dist(near, ECHO_FALLBACK_AB), `beside the patch: ${near}`);
});

test('library: Colorizer.colorize takes the parsed form too, with the same result', async () => {
  const c = await Colorizer.create({ model: models.echo, device: 'cpu' });
  try {
    const out = join(tmp.dir, 'lib.png');
    await c.colorize(photo, out, { hints: { hints: [{ x: 40, y: 30, ab: [50, 30], size: 9 }] } }).done;
    const [hinted, away] = await abAt(out, [[40, 30], [120, 90]]);
    assert.ok(dist(hinted, [50, 30]) < 3, `hinted: ${hinted}`);
    assert.ok(dist(away, ECHO_FALLBACK_AB) < 3, `unhinted: ${away}`);
    // A bad object is refused like a bad file: a usage error (exit 2) naming the key.
    await assert.rejects(c.colorize(photo, join(tmp.dir, 'lib2.png'), { hints: { hints: [{ x: 400, y: 30, ab: [50, 30] }] } }).done,
      (e: Error & { exitCode?: number }) => e.exitCode === EXIT.usage && /hints\[0\]\.x: 400 is outside the picture \(0\.\.159\)/.test(e.message));
    assert.equal(existsSync(join(tmp.dir, 'lib2.png')), false);
  } finally {
    await c.close();
  }
});

test('the unhinted pass: a net that carries one hint over the whole picture is held to the hint\'s region', async () => {
  // The spreading fixture paints every pixel with the frame's hint colour; unhinted, its fallback.
  const path = join(tmp.dir, 'spread.onnx');
  writeFileSync(path, makeHintEchoFixture({ spread: true }));
  const model = await loadModel(path, { device: 'cpu', threads: 1, log: () => {} });
  try {
    const run = async (unhintedPass: boolean) => {
      const raw = { index: 0, pts: 0, width: W, height: H, rgb: Buffer.alloc(W * H * 3, 128) };
      const hints = () => [{ x: 20, y: 20, ab: [50, 30] as const, size: 9 }];
      const [f] = await lastValueFrom(of(raw).pipe(colorGraph(model, { hints, unhintedPass, smooth: null }), toArray()));
      const at = (x: number, y: number): [number, number] => {
        const i = (y * W + x) * 3;
        const [, a, b] = srgbToLab(f.out[i], f.out[i + 1], f.out[i + 2]);
        return [a, b];
      };
      return { hinted: at(20, 20), far: at(150, 110) };
    };
    const off = await run(false), on = await run(true);
    assert.ok(dist(off.far, [50, 30]) < 5, `without the pass the net's spread reaches the far corner: ${off.far}`);
    assert.ok(dist(on.hinted, [50, 30]) < 5, `hinted: ${on.hinted}`);
    assert.ok(dist(on.far, ECHO_FALLBACK_AB) < 5, `with the pass the far corner keeps the unhinted colour: ${on.far}`);
  } finally {
    await model.release();
  }
});

const BAD: [string, string, RegExp][] = [
  ['not JSON', '{"hints": [', /not valid JSON/],
  ['unknown key', JSON.stringify({ hints: [{ x: 1, y: 1, color: '#fff', colour: 1 }] }), /hints\[0\]\.colour: unknown key/],
  ['point off the picture', JSON.stringify({ hints: [{ x: 1, y: 120, color: '#fff' }] }), /hints\[0\]\.y: 120 is outside the picture \(0\.\.119\)/],
  ['bad colour', JSON.stringify({ hints: [{ x: 1, y: 1, color: 'red' }] }), /hints\[0\]\.color: "red" is not an sRGB hex colour/],
  ['video key on a still', JSON.stringify({ hints: [{ x: 1, y: 1, color: '#fff', frame: 3 }] }), /applies to video only/],
];
for (const [name, text, message] of BAD) {
  test(`CLI: a hints file with ${name}: one line, exit 2, nothing written`, async () => {
    const file = join(tmp.dir, `bad-${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, text);
    const out = join(tmp.dir, `bad-${name.replace(/\W+/g, '-')}.png`);
    const r = await runCli(['colorize', photo, '-o', out, '--model', models.echo, '--device', 'cpu', '--hints', file]);
    assert.equal(r.code, EXIT.usage, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.includes('.tmp') || f.includes('partial')), []);
  });
}

test('CLI: a missing hints file is exit 2; hints for a model without the input are exit 5', async () => {
  const out = join(tmp.dir, 'never.png');
  let r = await runCli(['colorize', photo, '-o', out, '--model', models.echo, '--device', 'cpu', '--hints', join(tmp.dir, 'nope.json')]);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.match(r.stderr, /nope\.json: cannot read the hints file \(ENOENT\)/);
  const file = join(tmp.dir, 'ok.json');
  writeFileSync(file, JSON.stringify(HINTS));
  r = await runCli(['colorize', photo, '-o', out, '--model', models.logits, '--device', 'cpu', '--hints', file]);
  assert.equal(r.code, EXIT.model, r.stderr);
  assert.match(r.stderr, /takes no colour hints/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(existsSync(out), false);
});
