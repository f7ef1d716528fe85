// The queue worker on its own (src/jobs/queue/worker.ts), with a real Redis: a QueueWorker started
// in this process takes a run submitted through the library, reports each segment (with its stage
// times) and the join, refuses for good what another attempt cannot fix, and stops gracefully.
// Then the farm end to end with real `chroma worker` processes: `colorize --queue` with --hints and
// --restore gives, frame for frame, what `colorize` gives without the queue.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, makeClip, writeFixtureModels, runCli } from './helpers/media.js';
import { startRedis, skipWithoutRedis, type TestRedis } from './helpers/redis.js';
import { eventsOf, killStrayWorkers, startWorker, stopWorker, subDir } from './helpers/farm.js';
import { until } from './helpers/until.js';
import { makeHintEchoFixture } from './helpers/model-fixtures.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { QueueWorker, describeWorkerEvent, type WorkerEvent } from '../src/jobs/queue/worker.js';
import { connectQueue } from '../src/jobs/queue/connection.js';
import { openStore, type Store } from '../src/jobs/queue/store.js';
import { submitRun } from '../src/jobs/queue/submit.js';
import { DEFAULT_ENCODE } from '../src/media/encode-args.js';
import { EXIT } from '../src/core/errors.js';
import type { ColourSettings } from '../src/jobs/queue/types.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
let echo: string;
let redis: TestRedis;
let film: string;

before(async () => {
  if (skipWithoutRedis) return;
  tmp = tempDir('chroma-queue-worker-');
  models = writeFixtureModels(tmp.dir);
  echo = join(tmp.dir, 'echo.onnx');
  writeFileSync(echo, makeHintEchoFixture());
  redis = await startRedis(tmp.dir);
  // 3 s at 10 fps, a keyframe every 10 frames: three 1 s segments.
  film = makeClip(join(tmp.dir, 'film.mkv'), { width: 160, height: 120, seconds: 3, fps: 10, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-bf', '0', '-pix_fmt', 'yuv420p'] });
});
afterEach(killStrayWorkers);
after(() => skipWithoutRedis || redis.stop().then(() => tmp.cleanup()));

const fresh = (name: string) => subDir(tmp.dir, name);
const settings = (model: string): ColourSettings => ({ model, smooth: 0, deinterlace: 'auto', encode: { ...DEFAULT_ENCODE }, batch: 2 });

/** Submit `film` through the library: one run, three segments. */
async function submit(store: Store, name: string, model: string) {
  const conn = await connectQueue(redis.url);
  try {
    return await submitRun({ redis: conn, store, films: [{ input: film, output: join(fresh(`out-${name}`), 'film.mkv') }], settings: settings(model), segmentSeconds: 1 });
  } finally {
    conn.disconnect();
  }
}

/** A worker in this process, its events collected. */
async function inProcessWorker(store: Store): Promise<{ worker: QueueWorker; events: WorkerEvent[] }> {
  const events: WorkerEvent[] = [];
  const worker = await QueueWorker.start({ queue: redis.url, store, device: 'cpu', threads: 1, lockSeconds: 5, stallSeconds: 5, log: (e) => events.push(e) });
  return { worker, events };
}

test('a worker in this process: one event per segment with its stage times, then the join; a graceful stop exits 0', { skip: skipWithoutRedis }, async () => {
  const store = await openStore(fresh('store-events'));
  const { worker, events } = await inProcessWorker(store);
  const { run } = await submit(store, 'events', models.logits);
  await until('the join', () => events.some((e) => e.event === 'join'), 120_000);
  const segments = events.filter((e): e is Extract<WorkerEvent, { event: 'segment' }> => e.event === 'segment');
  assert.deepEqual(segments.map((e) => e.index).sort(), [0, 1, 2]);
  for (const e of segments) {
    assert.equal(e.run, run);
    assert.equal(e.frames, 10);
    assert.ok(e.stages.infer > 0 && e.stages.encode > 0, `stage times: ${JSON.stringify(e.stages)}`);
    assert.match(describeWorkerEvent(e), new RegExp(`^segment ${run} film\\.mkv ${e.index + 1}/3: 10 frames in [\\d.]+ s \\([\\d.]+ fps; colour [\\d.]+ s\\) by ${worker.name.replace('/', '\\/')}$`));
  }
  const joined = events.find((e) => e.event === 'join')!;
  assert.deepEqual({ ...joined, seconds: 0 }, { event: 'join', run, film: 'film.mkv', frames: 30, seconds: 0, worker: worker.name });
  await worker.stop(true);
  assert.equal(await worker.done, EXIT.ok);
  assert.equal(events[0].event, 'worker');
});

test('hints for a model without the hints input: the segment fails for good at its first attempt, with the colorize line', { skip: skipWithoutRedis }, async () => {
  const store = await openStore(fresh('store-model'));
  const { worker, events } = await inProcessWorker(store);
  const conn = await connectQueue(redis.url);
  const hints = join(tmp.dir, 'one.hints.json');
  writeFileSync(hints, JSON.stringify({ hints: [{ frame: 0, x: 80, y: 60, ab: [30, 20] }] }));
  try {
    await submitRun({ redis: conn, store, films: [{ input: film, output: join(fresh('out-model'), 'film.mkv') }], settings: settings(models.logits), hints, segmentSeconds: 1 });
  } finally {
    conn.disconnect();
  }
  await until('a failure', () => events.some((e) => e.event === 'failed'), 120_000);
  await worker.stop(true);
  const failed = events.filter((e): e is Extract<WorkerEvent, { event: 'failed' }> => e.event === 'failed');
  assert.ok(failed.length >= 1);
  for (const f of failed) {
    assert.equal(f.final, true, 'no retries: another attempt cannot fix the model');
    assert.match(f.message, /this model takes no colour hints/);
  }
  assert.equal(events.filter((e) => e.event === 'segment').length, 0);
});

test('submitting hints checks them first: a hint outside the film is refused before anything is queued', { skip: skipWithoutRedis }, async () => {
  const store = await openStore(fresh('store-bad-hints'));
  const conn = await connectQueue(redis.url);
  try {
    await assert.rejects(
      submitRun({ redis: conn, store, films: [{ input: film, output: join(fresh('out-bad'), 'film.mkv') }], settings: settings(echo), hints: { hints: [{ frame: 0, x: 500, y: 60, ab: [30, 20] }] } as never }),
      /hints\[0\]\.x: 500 is outside the picture \(0\.\.159\)/,
    );
    assert.deepEqual(readdirSync(join(tmp.dir, 'store-bad-hints')), [], 'nothing in the store');
  } finally {
    conn.disconnect();
  }
});

/** Every frame of a video as raw rgb24 bytes. */
const rgbOf = (path: string) => execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 26 });

test('colorize --queue --hints --restore with two real workers: the same frames as colorize without the queue (lossless)', { skip: skipWithoutRedis }, async () => {
  const hints = join(tmp.dir, 'film.hints.json');
  writeFileSync(hints, JSON.stringify({ hints: [{ frame: 0, x: 80, y: 60, ab: [30, 20], size: 15 }] }));
  const common = ['--model', echo, '--smooth', 'off', '--codec', 'ffv1', '--threads', '1', '--hints', hints, '--restore', 'scratches'];
  const inProcess = join(fresh('ref-farm'), 'film.mkv');
  const plain = await runCli(['colorize', film, '-o', inProcess, ...common]);
  assert.equal(plain.code, 0, plain.stderr);

  const store = fresh('store-farm');
  const w1 = startWorker(redis.url, store), w2 = startWorker(redis.url, store);
  const out = join(fresh('out-farm'), 'film.mkv');
  const r = await runCli(['colorize', film, '-o', out, ...common, '--queue', redis.url, '--store', store, '--segment-seconds', '1', '--json'], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(eventsOf(r.stdout).at(-1)?.exitCode, 0);
  const a = rgbOf(inProcess), b = rgbOf(out);
  assert.equal(b.length, a.length, 'frame count');
  assert.ok(a.equals(b), 'every pixel of every frame');

  assert.deepEqual(await Promise.all([stopWorker(w1), stopWorker(w2)]), [0, 0]);
  const logged = (await Promise.all([w1, w2].map(async (w) => eventsOf((await w.done).stdout)))).flat().filter((e) => e.event === 'segment');
  assert.equal(logged.length, 3);
  for (const e of logged) {
    const stages = Object.keys(e.stages as object);
    assert.ok(stages.includes('restore-scratches'), `the worker ran the restore stage: ${stages}`);
  }
  assert.ok(logged.some((e) => Object.keys(e.stages as object).includes('hints')), 'and painted the hint');
});

test('colorize --queue: --restore-debug and --reference are refused with one line (exit 2), nothing queued', { skip: skipWithoutRedis }, async () => {
  const store = fresh('store-refused');
  const out = join(fresh('out-refused'), 'film.mkv');
  for (const extra of [['--restore', 'auto', '--restore-debug', join(tmp.dir, 'p.mp4')], ['--reference', film]]) {
    const r = await runCli(['colorize', film, '-o', out, '--queue', redis.url, '--store', store, ...extra]);
    assert.equal(r.code, EXIT.usage, r.stderr);
    assert.match(r.stderr, /^chroma: --(restore-debug|reference) does not work with --queue/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
