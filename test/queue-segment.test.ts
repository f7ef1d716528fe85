// A queue worker's unit of work on its own, without Redis: a film cut into pieces in a real
// directory store, each segment colorized by colorizeQueuedSegment (the path `chroma worker` runs),
// by the segment sink --resume uses. Segments made separately join into the whole video; the job
// data carries restoration and hints like any other path's options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tempDir, makeClip, writeFixtureModels, readRgbFrames } from './helpers/media.js';
import { srgbToLab } from '../src/color/lab.js';
import { videoFrames } from './helpers/hardening.js';
import { makeHintEchoFixture } from './helpers/model-fixtures.js';
import { colorizeQueuedSegment, segmentKey } from '../src/jobs/queue/segment.js';
import { carryFrames, splitFilm } from '../src/jobs/queue/submit.js';
import { joinFilm } from '../src/jobs/queue/join.js';
import { openStore, type Store } from '../src/jobs/queue/store.js';
import { probeMedia, type MediaInfo } from '../src/media/probe.js';
import { DEFAULT_ENCODE } from '../src/media/encode-args.js';
import { RESTORE_PRESETS } from '../src/restore/options.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import type { ColourSettings, SegmentJobData, SegmentResult } from '../src/jobs/queue/types.js';
import type { VideoPlan } from '../src/jobs/video-plan.js';

let tmp: ReturnType<typeof tempDir>;
let model: LoadedModel;
let echo: LoadedModel;
let store: Store;
let input: string;
let info: MediaInfo;
let work: string;
before(async () => {
  tmp = tempDir('chroma-segment-');
  model = await loadModel(writeFixtureModels(tmp.dir).logits, { device: 'cpu' });
  writeFileSync(join(tmp.dir, 'echo.onnx'), makeHintEchoFixture());
  echo = await loadModel(join(tmp.dir, 'echo.onnx'), { device: 'cpu' });
  input = makeClip(join(tmp.dir, 'film.mp4'), { width: 160, height: 120, seconds: 3, fps: 10, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-pix_fmt', 'yuv420p'] });
  info = await probeMedia(input);
  mkdirSync(join(tmp.dir, 'store'));
  store = await openStore(join(tmp.dir, 'store'));
  // The segment's work folder goes under TMPDIR: here, so that what it leaves behind can be seen.
  work = join(tmp.dir, 'work');
  mkdirSync(work);
  process.env.TMPDIR = work;
});
after(async () => {
  await model.release();
  await echo.release();
  store.close();
  tmp.cleanup();
});

const settings = (extra: Partial<ColourSettings> = {}): ColourSettings => ({ model: 'fixture', smooth: 0, deinterlace: 'auto', encode: { ...DEFAULT_ENCODE }, ...extra });

/** The segment jobs a submitter would queue for `input` cut into 1 s pieces (no smoothing: no carry). */
async function segmentJobs(run: string, extra: Partial<SegmentJobData> = {}): Promise<SegmentJobData[]> {
  const split = await splitFilm(store, run, 0, input, info, 1);
  return split.pieces.map((piece, index) => ({
    run, film: 0, label: 'film.mp4', index, count: split.pieces.length, piece,
    previous: split.pieces[index - 1] ?? null, next: split.pieces[index + 1] ?? null, carry: 0, lookahead: 0,
    info, output: join(tmp.dir, 'film-out.mp4'), settings: settings(), ...extra,
  }));
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('one segment in, one segment file out: its frames, its place and its checksum; the segments join into the whole video', async () => {
  const jobs = await segmentJobs('r-join');
  assert.equal(jobs.length, 3);
  const results: SegmentResult[] = [];
  for (const d of jobs) {
    const r = await colorizeQueuedSegment(d, { store, model, worker: 'test/1' });
    assert.equal(r.frames, 10, `segment ${d.index}`);
    assert.equal(r.key, segmentKey(d));
    assert.equal(r.duplicate, false);
    const file = join(tmp.dir, 'store', r.key);
    assert.equal(r.sha256, sha(file));
    assert.equal(videoFrames(file).length, 10);
    assert.ok(r.stages && r.stages.infer > 0, `the segment's stage timer: ${JSON.stringify(r.stages)}`);
    results.push(r);
  }
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('chroma-')), [], 'no work folders left');
  // A second delivery of a finished segment changes nothing: the first result is kept.
  const again = await colorizeQueuedSegment(jobs[1], { store, model, worker: 'test/2' });
  assert.equal(again.duplicate, true);
  assert.equal(again.sha256, results[1].sha256);

  const sourceKey = 'runs/r-join/f0/source.mp4';
  await store.put(sourceKey, input);
  const joined = await joinFilm({
    run: 'r-join', film: 0, input, output: join(tmp.dir, 'joined.mp4'), sourceKey, outputKey: 'runs/r-join/f0/output.mp4',
    segments: 3, frames: 30, info, submittedAt: Date.now(), films: 1, overwrite: true,
  }, results, { store, worker: 'test/1' });
  assert.equal(joined.frames, 30);
  const frames = videoFrames(join(tmp.dir, 'store', joined.outputKey));
  assert.equal(frames.length, 30);
  for (let i = 0; i < 30; i++) assert.ok(Math.abs(frames[i].pts - i / 10) < 1e-3, `frame ${i} at ${frames[i].pts}`);
});

test('a piece with fewer frames than the cut said is refused: the film, the frame and the segment in one line', async () => {
  const [d] = await segmentJobs('r-short');
  const short = { ...d, piece: { ...d.piece, frames: d.piece.frames + 5 } };
  await assert.rejects(colorizeQueuedSegment(short, { store, model, worker: 'test/1' }), /^ChromaError: film\.mp4: damaged at frame 10 \(segment 1 of 3\): 10 of its 15 frames decode/);
});

test('restoration and hints travel in the job: the segment runs the restore stage and paints the tracked hint', async () => {
  const sourceKey = 'runs/r-hints/f0/source.mp4';
  await store.put(sourceKey, input);
  const hints = { file: { hints: [{ frame: 0, x: 80, y: 60, ab: [30, 20], size: 15 }] }, sourceKey };
  const jobs = await segmentJobs('r-hints', { settings: settings({ restore: RESTORE_PRESETS.light }), hints });
  const plans = new Map<string, Promise<VideoPlan>>();
  for (const d of jobs) {
    const r = await colorizeQueuedSegment(d, { store, model: echo, worker: 'test/1', plans });
    assert.equal(r.frames, 10);
    const stages = Object.keys(r.stages ?? {});
    assert.ok(stages.some((s) => s.startsWith('restore-')), `restore stages: ${stages}`);
    if (d.index > 0) continue;
    assert.ok(stages.includes('hints'), `hints stage: ${stages}`);
    // The echo model paints the hint's colour exactly where the hint is: frame 0, at the hint.
    const [first] = readRgbFrames(join(tmp.dir, 'store', r.key), 160, 120);
    const i = (60 * 160 + 80) * 3;
    const [, a, b] = srgbToLab(first[i], first[i + 1], first[i + 2]);
    assert.ok(Math.hypot(a - 30, b - 20) <= 10, `ab at the hint: ${a.toFixed(1)}, ${b.toFixed(1)}`);
  }
  assert.equal(plans.size, 1, "the film's plan (its tracking pass) is made once and kept for its segments");
  // A model without the hints input: refused with the colorize line (a model error, exit 5).
  const [d] = await segmentJobs('r-hints-model', { hints });
  await assert.rejects(colorizeQueuedSegment(d, { store, model, worker: 'test/1' }), /this model takes no colour hints/);
});

test('with smoothing, a segment also colorizes its neighbours\' carry and look-ahead frames, and writes only its own', async () => {
  const { carry, lookahead } = carryFrames(0.5);
  assert.ok(carry > 0 && lookahead > 0);
  const jobs = await segmentJobs('r-smooth', { carry, lookahead, settings: settings({ smooth: 0.5 }) });
  const r = await colorizeQueuedSegment(jobs[1], { store, model, worker: 'test/1' });
  assert.equal(r.frames, 10);
  const frames = videoFrames(join(tmp.dir, 'store', r.key));
  assert.equal(frames.length, 10);
  assert.ok(Math.abs(frames[0].pts - 1) < 1e-3, `its first frame is its own: ${frames[0].pts}`);
  assert.ok(r.stages && r.stages.smooth > 0, `the smoothing ran: ${JSON.stringify(r.stages)}`);
});
