// "until": "setup" hints (src/jobs/setup-hints.ts) through the two segmented paths, --resume and
// --queue. Neither colorizes the film in one process: a resumed job plans again from the film, and
// each worker plans from the store's copy of it (planVideo with the hints, the shots pass
// included). So a hint placed in its setup's first shot must still reach the setup's later shot
// when another process colorizes that shot's segments. The film is X1 Y1 X2 cut from real archival
// clips (X2 a second later in X, the camera moved 5 px left and 3 down), colorized with the
// hint-echo fixture (the hint's colour exactly where the hint planes say, its green elsewhere):
// at the hint's place in every shot the colour of a resumed and of a queued run is the direct
// run's, and the direct run has the hint's colour there in X2 and not in Y1.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFilm, FILM, NO_CLIPS, type Piece } from './helpers/films.js';
import { readRgbFrames, runCli, tempDir } from './helpers/media.js';
import { makeHintEchoFixture } from './helpers/model-fixtures.js';
import { spawnCli } from './helpers/hardening.js';
import { startRedis, skipWithoutRedis, type TestRedis } from './helpers/redis.js';
import { assertSameOutput, eventsOf, killStrayWorkers, startWorker, stopWorker, subDir } from './helpers/farm.js';
import { srgbToLab } from '../src/color/lab.js';

const DESK = 'bw/vsdeoldify_sample-bw.mp4', HORSE = 'bw/bistnet_bend-or.mp4';
const MOVE: [number, number] = [-5, 3];
const PIECES: Piece[] = [{ clip: DESK, at: 0, seconds: 0.9 }, { clip: HORSE, at: 0, seconds: 1 }, { clip: DESK, at: 1.2, seconds: 0.9, move: MOVE }];
// On X's still background (the picture on the wall), placed on frame 5 of X1.
const HINT = { id: 'picture', x: 60, y: 30, frame: 5, ab: [40, 30] as [number, number], size: 15, until: 'setup' };
/** Where the hint's point is in each shot (X2's camera moved, so the background went the other way). */
const POINT = [{ x: HINT.x, y: HINT.y }, { x: HINT.x, y: HINT.y }, { x: HINT.x - MOVE[0], y: HINT.y - MOVE[1] }];

let tmp: ReturnType<typeof tempDir>;
let echo: string;
let film: string;
let hints: string;
let pieces: { start: number; frames: number }[];
let direct: string;
let redis: TestRedis | null = null;

// Model size 144 (as setup-hints.test.ts plans at): a third of the default's work, and each run
// here plans the whole film's hints again.
const colour = () => ['--model', echo, '--size', '144', '--smooth', 'off', '--codec', 'ffv1', '--threads', '1', '--hints', hints, '--json'];
/** Each run plans and colorizes the whole film: minutes on a loaded machine. */
const LONG = { timeoutMs: 400_000 };

before(async () => {
  if (NO_CLIPS) return;
  tmp = tempDir('chroma-setup-hints-segments-');
  echo = join(tmp.dir, 'echo.onnx');
  writeFileSync(echo, makeHintEchoFixture());
  film = join(tmp.dir, 'x1y1x2.mp4');
  pieces = buildFilm(film, PIECES);
  hints = join(tmp.dir, 'hints.json');
  writeFileSync(hints, JSON.stringify({ hints: [HINT] }));
  direct = join(subDir(tmp.dir, 'direct'), 'film.mkv');
  const r = await runCli(['colorize', film, '-o', direct, ...colour()], LONG);
  assert.equal(r.code, 0, r.stderr);
  if (!skipWithoutRedis) redis = await startRedis(tmp.dir);
});
afterEach(killStrayWorkers);
after(async () => {
  if (NO_CLIPS) return;
  await redis?.stop();
  tmp.cleanup();
});

const deltaAb = (p: readonly number[], q: readonly number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]);

/** Mean ab of the 3x3 pixels round (x, y) of an rgb24 frame of the film's size. */
function abAt(rgb: Buffer, x: number, y: number): [number, number] {
  let a = 0, b = 0;
  for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) {
    const k = ((y + j) * FILM.width + x + i) * 3;
    const lab = srgbToLab(rgb[k], rgb[k + 1], rgb[k + 2]);
    a += lab[1] / 9;
    b += lab[2] / 9;
  }
  return [a, b];
}

/** The colour at the hint's place in frames well inside each shot (a piece's first and last may differ by one from the cut). */
function hintPlaceColours(video: string): { shot: number; frame: number; ab: [number, number] }[] {
  const frames = readRgbFrames(video, FILM.width, FILM.height);
  return pieces.flatMap(({ start, frames: n }, shot) => [start + 2, start + (n >> 1), start + n - 3].map((frame) => (
    { shot, frame, ab: abAt(frames[frame], POINT[shot].x, POINT[shot].y) })));
}

/** `video` has the direct run's colour at the hint's place in every shot, and the direct run the hint's colour in X1 and X2 only. */
function assertSameHintColour(video: string): void {
  assertSameOutput(direct, video, false);
  const want = hintPlaceColours(direct), got = hintPlaceColours(video);
  for (const w of want) {
    const hinted = deltaAb(w.ab, HINT.ab) <= 10;
    assert.equal(hinted, w.shot !== 1, `direct run, frame ${w.frame} (shot ${w.shot}): ab ${w.ab.map((v) => v.toFixed(1))} at the hint's place`);
  }
  got.forEach((g, i) => {
    const d = deltaAb(g.ab, want[i].ab);
    assert.ok(d <= 3, `frame ${g.frame} (shot ${g.shot}): ab ${g.ab.map((v) => v.toFixed(1))} against the direct run's ${want[i].ab.map((v) => v.toFixed(1))} (ΔE_ab ${d.toFixed(1)})`);
  });
}

test('--resume: killed in the setup\'s first shot and resumed, the hint still reaches the setup\'s other shot', { skip: NO_CLIPS }, async () => {
  const dir = subDir(tmp.dir, 'resumed');
  const out = join(dir, 'film.mkv');
  const resumeDir = join(dir, '.film.mkv.chroma-resume');
  const args = ['colorize', film, '-o', out, ...colour(), '--resume', '--segment-seconds', '0.5'];
  const first = spawnCli(args, LONG);
  await first.waitFor((e) => e.event === 'segment', LONG.timeoutMs);
  first.child.kill('SIGKILL');
  await first.done;
  assert.equal(existsSync(out), false, 'nothing under the output name after the kill');
  const kept = (JSON.parse(readFileSync(join(resumeDir, 'manifest.json'), 'utf8')) as { segments: { frames: number }[] }).segments;
  const doneBefore = kept.reduce((n, s) => n + s.frames, 0);
  assert.ok(kept.length >= 1 && doneBefore < pieces[2].start, `killed before X2 (frame ${pieces[2].start}): ${kept.length} segment(s), ${doneBefore} frames kept`);

  const second = await runCli(args, LONG);
  assert.equal(second.code, 0, second.stderr);
  const summary = eventsOf(second.stdout).find((e) => e.event === 'summary')!;
  assert.equal((summary.resumedFrom as { segments: number }).segments, kept.length, 'the kept segments were reused');
  assertSameHintColour(out);
});

test('--queue with a worker: the worker\'s plan carries the hint to the setup\'s other shot', { skip: NO_CLIPS || skipWithoutRedis }, async () => {
  const store = subDir(tmp.dir, 'store');
  const worker = startWorker(redis!.url, store, [], false); // default locks: nothing here should look like a dead worker
  const out = join(subDir(tmp.dir, 'queued'), 'film.mkv');
  const r = await runCli(['colorize', film, '-o', out, ...colour(), '--queue', redis!.url, '--store', store, '--segment-seconds', '1'], LONG);
  assert.equal(r.code, 0, r.stderr);
  const ev = eventsOf(r.stdout);
  // The source has a keyframe where each piece starts, so X2 is a segment of its own.
  assert.ok(Number(ev.find((e) => e.event === 'submitted')?.segments) >= 2, r.stdout);
  assert.equal(ev.at(-1)?.exitCode, 0);
  assertSameHintColour(out);
  assert.equal(await stopWorker(worker), 0);
  const done = eventsOf((await worker.done).stdout).filter((e) => e.event === 'segment');
  assert.ok(done.some((e) => Object.keys(e.stages as object).includes('hints')), 'the worker painted the hint');
});
