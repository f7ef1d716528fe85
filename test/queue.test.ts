// The queue end to end: a real Redis (redis-server on a free loopback port), real `chroma worker`
// processes and the real CLI. A queued run's output equals the in-process one (frame count, every
// timestamp within 1 ms, audio packets), and each fault of issue 14 is survived as stated.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tempDir, makeClip, writeFixtureModels, runCli } from './helpers/media.js';
import { spawnCli, waitForChild } from './helpers/hardening.js';
import { startRedis, freePort, skipWithoutRedis, type TestRedis } from './helpers/redis.js';
import { assertSameOutput, eventsOf, killStrayWorkers, startWorker, stopWorker, subDir } from './helpers/farm.js';
import { EXIT } from '../src/core/errors.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
let redis: TestRedis;
let film: string;
let reference: string;

// The fixture model, no smoothing (its optical flow is the slow part on a loaded CI machine)
// except where the seams are under test; 2 s segments of a 6 s clip with a keyframe every 12 frames.
const colour = (smooth = 'off') => ['--model', models.logits, '--smooth', smooth, '--threads', '1'];
const queued = (store: string) => ['--queue', redis.url, '--store', store, '--segment-seconds', '2'];

before(async () => {
  if (skipWithoutRedis) return;
  tmp = tempDir('chroma-queue-');
  models = writeFixtureModels(tmp.dir);
  redis = await startRedis(tmp.dir);
  film = makeClip(join(tmp.dir, 'film.mp4'), {
    width: 160, height: 120, seconds: 6, fps: 25, audio: true,
    extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-bf', '2', '-pix_fmt', 'yuv420p'],
  });
  mkdirSync(join(tmp.dir, 'ref'));
  reference = join(tmp.dir, 'ref', 'film.mp4');
  const r = await runCli(['colorize', film, '-o', reference, ...colour()]);
  assert.equal(r.code, 0, r.stderr);
});
afterEach(killStrayWorkers);
after(async () => {
  if (skipWithoutRedis) return;
  await redis.stop();
  tmp.cleanup();
});

const fresh = (name: string) => subDir(tmp.dir, name);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Submit the clip with --detach (workers come later): its store, output folder and name, and run id. */
async function submitDetached(name: string): Promise<{ store: string; outDir: string; out: string; run: string }> {
  const store = fresh(`store-${name}`);
  const outDir = fresh(`out-${name}`);
  const out = join(outDir, 'film.mp4');
  const sub = await runCli(['colorize', film, '-o', out, ...colour(), ...queued(store), '--detach']);
  assert.equal(sub.code, 0, sub.stderr);
  return { store, outDir, out, run: sub.stdout.trim() };
}

/** Re-attach to a run with chroma status and follow it to its end. */
const follow = (run: string, store: string, json = true) =>
  runCli(['status', run, '--queue', redis.url, '--store', store, ...(json ? ['--json'] : [])], { timeoutMs: 180_000 });

test('a folder of two films over 2 workers: one run, outputs equal to in-process ones; /metrics; a log line per segment; status lists it', { skip: skipWithoutRedis }, async () => {
  const films = fresh('films');
  makeClip(join(films, 'a.mp4'), { width: 128, height: 96, seconds: 4, fps: 25, audio: true, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p'] });
  // (No B-frames in Matroska: this ffmpeg writes them with irregular millisecond timestamps that
  // even the in-process run maps onto duplicate output timestamps.)
  makeClip(join(films, 'b.mkv'), { width: 128, height: 96, seconds: 3, fps: 24, audio: true, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '8', '-bf', '0', '-pix_fmt', 'yuv420p'] });
  const ref = join(fresh('films-ref'), 'out');
  const inProcess = await runCli(['colorize', films, '-o', ref, ...colour('low')]);
  assert.equal(inProcess.code, 0, inProcess.stderr);

  const store = fresh('store-folder');
  const metricsPort = await freePort();
  // Default lock and stall intervals: nothing here should look like a dead worker.
  const w1 = startWorker(redis.url, store, ['--metrics-port', String(metricsPort)], false);
  const w2 = startWorker(redis.url, store, [], false);
  const out = join(tmp.dir, 'films-out');
  const r = await runCli(['colorize', films, '-o', out, ...colour('low'), '--queue', redis.url, '--store', store, '--segment-seconds', '1', '--json'], { timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stderr);
  const ev = eventsOf(r.stdout);
  const submitted = ev.find((e) => e.event === 'submitted')!;
  const run = String(submitted.run);
  assert.ok(!run.includes(':'), 'run ids carry no ":"');
  assert.equal((submitted.films as unknown[]).length, 2, 'both films in one run');
  const segments = Number(submitted.segments);
  assert.ok(segments >= 6, `segments: ${segments}`);
  assert.equal(ev.filter((e) => e.event === 'segment').length, segments, 'one segment event per segment');
  const progress = ev.filter((e) => e.event === 'progress');
  assert.ok(progress.some((p) => typeof p.etaSeconds === 'number' && Number(p.fps) > 0), 'progress carries fps and an ETA');
  assert.deepEqual({ ...ev.at(-1), frames: 0 }, { event: 'summary', run, films: 2, failed: 0, frames: 0, exitCode: 0 });
  for (const name of ['a.mp4', 'b.mkv']) assertSameOutput(join(ref, name), join(out, name));
  assert.deepEqual(readdirSync(out).sort(), ['a.mp4', 'b.mkv'], 'nothing but the outputs');
  assert.deepEqual(readdirSync(join(store, 'runs')), [], "the run's files left the store");

  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.match(metrics, /chroma_worker_segments_total\{outcome="done"\} \d+/);
  assert.match(metrics, /chroma_queue_depth\{state="completed"\} \d+/);
  const status = await runCli(['status', '--queue', redis.url]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`${run}\\s+done .* films 2/2 +segments ${segments} done, 0 running, 0 failed`));

  await Promise.all([stopWorker(w1), stopWorker(w2)]).then((codes) => assert.deepEqual(codes, [0, 0], 'SIGTERM: workers exit 0'));
  const all = (await Promise.all([w1, w2].map(async (w) => eventsOf((await w.done).stdout)))).flat();
  assert.equal(all.filter((e) => e.event === 'segment').length, segments, 'each worker logs one line per segment it did');
  assert.equal(all.filter((e) => e.event === 'join').length, 2, 'one join per film');
});

test('submitter killed: the run goes on, and chroma status re-attaches and delivers the film', { skip: skipWithoutRedis }, async () => {
  const store = fresh('store-submitter');
  const out = join(fresh('out-submitter'), 'film.mp4');
  const submitter = spawnCli(['colorize', film, '-o', out, ...colour(), ...queued(store), '--json']);
  const { run } = await submitter.waitFor((e) => e.event === 'submitted');
  submitter.child.kill('SIGKILL');
  await submitter.done;
  const w = startWorker(redis.url, store);
  const r = await follow(String(run), store);
  assert.equal(r.code, 0, r.stderr);
  assertSameOutput(reference, out);
  assert.equal(await stopWorker(w), 0);
});

test('a worker SIGKILLed mid-segment: another one redoes that segment, and the result is frame-exact', { skip: skipWithoutRedis }, async () => {
  const { store, out, run } = await submitDetached('kill');
  const victim = startWorker(redis.url, store);
  await waitForChild(victim.child.pid!, /-f nut/); // a segment encoder: mid-segment
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  await victim.done;
  const rescuer = startWorker(redis.url, store);
  const r = await follow(run, store);
  assert.equal(r.code, 0, r.stderr);
  assertSameOutput(reference, out);
  const segs = eventsOf(r.stdout).filter((e) => e.event === 'segment');
  assert.equal(segs.length, 3);
  assert.ok(segs.every((e) => !String(e.worker).endsWith(`/${victim.child.pid}`)), 'no segment was credited to the killed worker');
  process.stdout.write(`# recovery after SIGKILL: run finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill\n`);
  assert.equal(await stopWorker(rescuer), 0);
});

test('SIGTERM twice mid-segment: the worker gives its segment back and exits 0; another finishes the run', { skip: skipWithoutRedis }, async () => {
  const { store, out, run } = await submitDetached('return');
  // Default (long) locks: the segment can only come back quickly by being returned.
  const leaving = startWorker(redis.url, store, [], false);
  await waitForChild(leaving.child.pid!, /-f nut/);
  leaving.child.kill('SIGTERM');
  await leaving.waitFor((e) => e.event === 'stopping'); // two signals at once would merge into one
  leaving.child.kill('SIGTERM');
  const left = await leaving.done;
  assert.equal(left.code, 0, left.stderr);
  const returned = eventsOf(left.stdout).filter((e) => e.event === 'returned');
  assert.equal(returned.length, 1, left.stdout);
  const other = startWorker(redis.url, store, [], false);
  const r = await follow(run, store);
  assert.equal(r.code, 0, r.stderr);
  assertSameOutput(reference, out);
  assert.equal(await stopWorker(other), 0);
});

test('a worker stopped past its lock (SIGSTOP) while another finishes its segment, then resumed: its late result changes nothing', { skip: skipWithoutRedis }, async () => {
  const { store, out, run } = await submitDetached('stop');
  const sleeper = startWorker(redis.url, store);
  await waitForChild(sleeper.child.pid!, /-f nut/);
  sleeper.child.kill('SIGSTOP');
  const stoppedAt = Date.now();
  const other = startWorker(redis.url, store);
  const r = await follow(run, store);
  assert.equal(r.code, 0, r.stderr);
  process.stdout.write(`# recovery after SIGSTOP: run finished ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after the stop (a fresh worker started)\n`);
  const before = sha(out);
  sleeper.child.kill('SIGCONT');
  // The resumed worker finds its lock gone when it tries to commit, and drops its result.
  const dropped = await sleeper.waitFor((e) => e.event === 'notice' && /handed to another worker|lost the lock/.test(String(e.message)), 60_000);
  assert.ok(dropped);
  assert.equal(sha(out), before, 'the output is unchanged');
  assertSameOutput(reference, out);
  assert.equal(existsSync(join(store, 'runs', run)), false, 'the late worker left nothing in the store');
  assert.deepEqual(await Promise.all([stopWorker(sleeper), stopWorker(other)]), [0, 0]);
});

test('Redis restarted mid-run: workers reconnect and the run completes; a worker that cannot reconnect exits 7', { skip: skipWithoutRedis }, async () => {
  const store = fresh('store-redis');
  const out = join(fresh('out-redis'), 'film.mp4');
  const w = startWorker(redis.url, store, ['--reconnect-seconds', '60']);
  const follower = spawnCli(['colorize', film, '-o', out, ...colour(), ...queued(store), '--json']);
  await w.waitFor((e) => e.event === 'segment');
  await redis.stop();
  await new Promise((r) => setTimeout(r, 1000));
  await redis.start(); // same port and folder: the AOF brings the run back
  const restartedAt = Date.now();
  const r = await follower.done;
  process.stdout.write(`# after the Redis restart the run finished in ${((r.endedAt - restartedAt) / 1000).toFixed(1)} s\n`);
  if (r.code !== 0) w.child.kill('SIGTERM');
  assert.equal(r.code, 0, `${r.stderr}\n${r.code === 0 ? '' : (await w.done).stdout}`);
  assertSameOutput(reference, out);

  const doomed = startWorker(redis.url, store, ['--reconnect-seconds', '1']);
  await doomed.waitFor((e) => e.event === 'worker');
  await redis.stop();
  const lostAt = Date.now();
  const gone = await doomed.done;
  process.stdout.write(`# a worker with --reconnect-seconds 1 exited ${((gone.endedAt - lostAt) / 1000).toFixed(1)} s after Redis went away\n`);
  await redis.start();
  assert.equal(gone.code, EXIT.queue, gone.stderr);
  assert.ok(eventsOf(gone.stdout).some((e) => /lost the queue/.test(String(e.message))));
  assert.equal(await stopWorker(w), 0);
});

test('a damaged segment fails the run at once: one line naming the film and the frame, no retries, nothing at the output', { skip: skipWithoutRedis }, async () => {
  const { store, outDir, run } = await submitDetached('corrupt');
  const piece = join(store, 'runs', run, 'f0', 'piece-000001.nut');
  truncateSync(piece, Math.floor(statSync(piece).size / 2));
  const w = startWorker(redis.url, store);
  const r = await follow(run, store, false);
  assert.equal(r.code, EXIT.input, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^chroma: film\.mp4: damaged at frame (\d+) \(segment 2 of 3\)/);
  const frame = Number(/frame (\d+)/.exec(lines[0])![1]);
  assert.ok(frame >= 60 && frame < 108, `the frame is inside segment 2: ${frame}`);
  assert.deepEqual(readdirSync(outDir), [], 'nothing at the output name');
  assert.equal(await stopWorker(w), 0);
  const failures = eventsOf((await w.done).stdout).filter((e) => e.event === 'failed' && e.index === 1);
  assert.equal(failures.length, 1, 'the damaged segment was tried once');
  assert.equal(failures[0].final, true);
});

test('a missing Redis: one clear line and exit code 7 (colorize, worker and status)', { skip: skipWithoutRedis }, async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const store = fresh('store-none');
  const out = join(fresh('out-none'), 'film.mp4');
  for (const args of [
    ['colorize', film, '-o', out, '--queue', url, '--store', store],
    ['worker', '--queue', url, '--store', store],
    ['status', '--queue', url],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, EXIT.queue, `${args[0]}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`${url}: cannot reach the queue's Redis \\(.*ECONNREFUSED`));
  }
  assert.equal(existsSync(out), false);
});

test('chroma cancel: the run stops, its files leave the store, and following it says so (exit 7)', { skip: skipWithoutRedis }, async () => {
  const { store, out, run } = await submitDetached('cancel');
  assert.ok(existsSync(join(store, 'runs', run)));
  const c = await runCli(['cancel', run, '--queue', redis.url, '--store', store]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(existsSync(join(store, 'runs', run)), false);
  const r = await follow(run, store, false);
  assert.equal(r.code, EXIT.queue, r.stderr);
  assert.match(r.stderr, new RegExp(`run ${run} was cancelled`));
  assert.equal(existsSync(out), false);
});
