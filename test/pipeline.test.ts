// End to end through the real CLI: ffmpeg decode, ONNX Runtime with a fixture model, encode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { tempDir, makeClip, probeStreams, grabFrame, writeFixtureModels, runCli, strayFiles, frameTimes } from './helpers/media.js';
import { Colorizer } from '../src/index.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
before(() => {
  tmp = tempDir();
  models = writeFixtureModels(tmp.dir);
});
after(() => tmp.cleanup());

test('a 10 s 640x480 gray clip with audio keeps frame count, duration, size and audio, and gains colour', async () => {
  const input = makeClip(join(tmp.dir, 'film.mp4'), { width: 640, height: 480, seconds: 10, fps: 25, audio: true });
  const output = join(tmp.dir, 'film-colour.mp4');
  const r = await runCli(['colorize', input, '-o', output, '--model', models.logits, '--device', 'cpu', '--json', '--smooth', 'off']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; frames?: number });
  assert.ok(lines.some((l) => l.event === 'progress'), 'NDJSON progress events');
  const summary = lines.find((l) => l.event === 'summary');
  assert.equal(summary?.frames, 250);

  const inS = probeStreams(input), outS = probeStreams(output);
  const vin = inS.find((s) => s.codec_type === 'video')!, vout = outS.find((s) => s.codec_type === 'video')!;
  assert.equal(vout.nb_read_frames, vin.nb_read_frames);
  assert.equal(vout.width, 640);
  assert.equal(vout.height, 480);
  assert.ok(Math.abs(Number(vout.duration) - Number(vin.duration)) <= 1 / 25 + 1e-6, `duration ${vout.duration} vs ${vin.duration}`);
  const aout = outS.find((s) => s.codec_type === 'audio');
  assert.ok(aout, 'audio stream present');
  assert.equal(aout.codec_name, 'aac');
  assert.ok(Math.abs(Number(aout.duration) - 10) < 0.1);

  // The fixture paints bright pixels (L > 50) red (a 50, b 30) and leaves dark ones gray.
  const frame = grabFrame(output, 5, 640, 480);
  let redBright = 0, bright = 0, grayDark = 0, dark = 0;
  for (let i = 0; i < 640 * 480; i++) {
    const r0 = frame[3 * i], g = frame[3 * i + 1], b = frame[3 * i + 2];
    const lum = (r0 + g + b) / 3;
    if (lum > 170) {
      bright++;
      if (r0 - g > 40 && r0 - b > 30) redBright++;
    } else if (lum < 50) {
      dark++;
      if (Math.abs(r0 - g) < 12 && Math.abs(g - b) < 12) grayDark++;
    }
  }
  assert.ok(bright > 1000 && redBright / bright > 0.8, `bright pixels red: ${redBright}/${bright}`);
  assert.ok(dark > 1000 && grayDark / dark > 0.8, `dark pixels gray: ${grayDark}/${dark}`);
  assert.deepEqual(strayFiles(tmp.dir, ['film.mp4', 'film-colour.mp4', 'fixture-logits.onnx', 'fixture-ab.onnx', 'fixture-bad.onnx']), []);
});

test('a model that outputs ab directly skips the annealed mean; the library API reports progress', async () => {
  const input = makeClip(join(tmp.dir, 'short.mkv'), { width: 322, height: 240, seconds: 1, fps: 10 });
  const output = join(tmp.dir, 'short-out.mkv');
  const c = await Colorizer.create({ model: models.ab, device: 'cpu' });
  try {
    assert.equal(c.model.info.kind, 'ab');
    assert.equal(c.model.annealer, null);
    const job = c.colorize(input, output, { batch: 3 });
    const seen: number[] = [];
    job.progress$.subscribe((p) => seen.push(p.frames));
    const r = await job.done;
    assert.equal(r.frames, 10);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(existsSync(output));
    assert.ok(r.stages.infer > 0 && r.stages.compose > 0);
  } finally {
    await c.close();
  }
});

test('variable frame rate timestamps survive', async () => {
  // Frames at irregular times: select drops frames unevenly, passthrough keeps their timestamps.
  const input = join(tmp.dir, 'vfr.mkv');
  makeClip(input, {
    width: 160, height: 120, seconds: 2, fps: 25,
    extra: ['-vf', "select='not(mod(n\\,3))+eq(n\\,4)+eq(n\\,5)'", '-vsync', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast'],
  });
  const output = join(tmp.dir, 'vfr-out.mkv');
  const r = await runCli(['colorize', input, '-o', output, '--model', models.logits, '--device', 'cpu', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const a = frameTimes(input), b = frameTimes(output);
  assert.ok(new Set(a.slice(1).map((t, i) => Math.round((t - a[i]) * 1000))).size > 1, 'the source is really VFR');
  assert.equal(b.length, a.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 0.002, `frame ${i}: ${a[i]} vs ${b[i]}`);
});
