// The resumable job on its own (src/jobs/resumable-job.ts), through the library below the
// Colorizer: a plan, segments checkpointed as they finish (the manifest carries the plan's
// fingerprint), an aborted job that keeps what it finished, a rerun that takes over from there,
// and a rerun with other settings that starts over. (test/resume.test.ts kills the CLI for real.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, makeClip, writeFixtureModels } from './helpers/media.js';
import { videoFrames } from './helpers/hardening.js';
import { colorizeVideoResumable, type ResumeOptions } from '../src/jobs/resumable-job.js';
import { planVideo, type VideoPlanOptions } from '../src/jobs/video-plan.js';
import { resumeDirFor, type Manifest } from '../src/jobs/checkpoint.js';
import { probeMedia, type MediaInfo } from '../src/media/probe.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';

let tmp: ReturnType<typeof tempDir>;
let model: LoadedModel;
let info: MediaInfo;
before(async () => {
  tmp = tempDir('chroma-resumable-');
  model = await loadModel(writeFixtureModels(tmp.dir).logits, { device: 'cpu' });
  // 4 s at 10 fps, a keyframe every 10 frames: four 1 s segments, each starting on a keyframe.
  const input = makeClip(join(tmp.dir, 'film.mp4'), { width: 160, height: 120, seconds: 4, fps: 10, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p'] });
  info = await probeMedia(input);
});
after(async () => {
  await model.release();
  tmp.cleanup();
});

/** Run the resumable job into `dir/out.mp4` (under a temporary name, as the Colorizer does). */
async function run(dir: string, opts: VideoPlanOptions, resume: ResumeOptions, signal?: AbortSignal) {
  const notes: string[] = [];
  const plan = await planVideo(model, info, { smooth: 'off', ...opts, onNote: (n) => notes.push(n) });
  const final = join(dir, 'out.mp4'), temp = join(dir, '.out.partial.mp4');
  const job = colorizeVideoResumable(plan, temp, final, { segmentSeconds: 1, ...resume }, signal);
  job.progress$.subscribe({ error: () => {} });
  return { plan, temp, final, notes, done: job.done };
}

const manifestOf = (final: string) => JSON.parse(readFileSync(join(resumeDirFor(final), 'manifest.json'), 'utf8')) as Manifest;

test('segments are checkpointed as they finish, under the plan\'s fingerprint, and joined into every frame', async () => {
  const dir = join(tmp.dir, 'whole');
  mkdirSync(dir);
  const seen: number[] = [];
  const r = await run(dir, {}, { onSegment: (s) => seen.push(s.index) });
  const result = await r.done;
  assert.equal(result.frames, 40);
  assert.equal(result.resumedFrom, undefined);
  assert.deepEqual(seen, [0, 1, 2, 3]);
  const m = manifestOf(r.final);
  assert.equal(m.complete, true);
  assert.deepEqual(m.segments.map((s) => s.frames), [10, 10, 10, 10]);
  assert.deepEqual(m.settings, JSON.parse(JSON.stringify(r.plan.fingerprint('mp4'))));
  const frames = videoFrames(r.temp);
  assert.equal(frames.length, 40);
  for (let i = 0; i < 40; i++) assert.ok(Math.abs(frames[i].pts - i / 10) < 1e-3, `frame ${i} at ${frames[i].pts}`);
});

test('an aborted job keeps its finished segments; the next run takes over from them and says where', async () => {
  const dir = join(tmp.dir, 'aborted');
  mkdirSync(dir);
  const stop = new AbortController();
  const first = await run(dir, {}, { onSegment: (s) => s.index >= 1 && stop.abort(new Error('stopped by the test')) }, stop.signal);
  await assert.rejects(first.done, /stopped by the test/);
  const kept = manifestOf(first.final).segments.length;
  assert.ok(kept >= 2 && kept < 4, `segments kept: ${kept}`);
  const left = readdirSync(resumeDirFor(first.final));
  assert.deepEqual(left.filter((f) => f.includes('.partial-')), [], `the segment being written is dropped: ${left}`);
  assert.equal(existsSync(first.temp), false, 'no joined output');

  const again = await run(dir, {}, {});
  const result = await again.done;
  assert.equal(result.frames, 40);
  assert.deepEqual(result.resumedFrom, { frame: kept * 10, seconds: result.resumedFrom!.seconds, segments: kept });
  assert.ok(Math.abs(result.resumedFrom!.seconds - kept) < 1e-3, `resumed at ${result.resumedFrom!.seconds} s`);
  assert.ok(again.notes.some((n) => n.startsWith(`resuming at frame ${kept * 10} `)), again.notes.join('\n'));
  assert.equal(videoFrames(again.temp).length, 40);
});

test('a rerun with other settings does not reuse the segments: it says so and starts over', async () => {
  const dir = join(tmp.dir, 'changed');
  mkdirSync(dir);
  const stop = new AbortController();
  const first = await run(dir, { temperature: 0.38 }, { onSegment: () => stop.abort(new Error('stopped')) }, stop.signal);
  await assert.rejects(first.done);
  assert.ok(manifestOf(first.final).segments.length >= 1);

  const other = await run(dir, { temperature: 0.2 }, {});
  const result = await other.done;
  assert.equal(result.resumedFrom, undefined);
  assert.ok(other.notes.some((n) => /was for a different input or settings; starting over/.test(n)), other.notes.join('\n'));
  assert.equal(manifestOf(other.final).settings.temperature, 0.2);
  assert.equal(result.frames, 40);
});
