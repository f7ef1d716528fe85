// A queue worker's unit of work: one segment of a file, colorized on its own, by the segment sink
// --resume uses. Segments made separately join (media/join.ts) into the whole video.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { tempDir, makeClip, writeFixtureModels } from './helpers/media.js';
import { videoFrames } from './helpers/hardening.js';
import { colorizeSegment } from '../src/jobs/segment-job.js';
import { joinSegments } from '../src/media/join.js';
import { ChildGroup } from '../src/media/child.js';
import { probeMedia } from '../src/media/probe.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';

let tmp: ReturnType<typeof tempDir>;
let model: LoadedModel;
let input: string;
before(async () => {
  tmp = tempDir('chroma-segment-');
  model = await loadModel(writeFixtureModels(tmp.dir).logits, { device: 'cpu' });
  input = makeClip(join(tmp.dir, 'film.mp4'), { width: 160, height: 120, seconds: 3, fps: 10, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-pix_fmt', 'yuv420p'] });
});
after(async () => {
  await model.release();
  tmp.cleanup();
});

test('one segment in, one segment file out: its frames, its range and its checksum', async () => {
  const info = await probeMedia(input);
  const ranges: [number | null, number | null, number][] = [[null, 1, 0], [1, 2, 10], [2, null, 20]];
  const segments = [];
  for (const [i, [startPts, endPts, firstFrame]] of ranges.entries()) {
    const output = join(tmp.dir, `part-${i}.nut`);
    const r = await colorizeSegment(model, { info, startPts, endPts, firstFrame, output, smooth: 'off' });
    assert.equal(r.frames, 10, `segment ${i}`);
    assert.equal(r.firstFrame, firstFrame);
    assert.ok(Math.abs(r.startPts - (startPts ?? 0)) < 1e-3, `starts at ${r.startPts}`);
    assert.equal(r.sha256, createHash('sha256').update(readFileSync(output)).digest('hex'));
    assert.equal(videoFrames(output).length, 10);
    segments.push({ ...r, file: `part-${i}.nut` });
  }
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.includes('chroma-segment-')), [], 'no work folders left');
  const joined = join(tmp.dir, 'joined.mp4');
  await joinSegments(tmp.dir, segments, joined, joined, info, new ChildGroup());
  const frames = videoFrames(joined);
  assert.equal(frames.length, 30);
  for (let i = 0; i < 30; i++) assert.ok(Math.abs(frames[i].pts - i / 10) < 1e-3, `frame ${i} at ${frames[i].pts}`);
});

test('a range with no frames is refused', async () => {
  const info = await probeMedia(input);
  await assert.rejects(colorizeSegment(model, { info, startPts: null, endPts: 0, output: join(tmp.dir, 'empty.nut') }), /no frames in the range/);
});
