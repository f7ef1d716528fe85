// Shots and camera setups (src/shots/) on films cut from real clips with real ffmpeg: the cuts fall
// where the pieces join, and the setups group a view with itself moved a few pixels or seen later,
// never with another view. Plus the parts on known pictures, and `chroma shots`' table, JSON and
// refusals.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findShots } from '../src/shots/index.js';
import { bestShift } from '../src/motion/align.js';
import { thumbnail } from '../src/shots/thumbnail.js';
import { buildFilm, NO_CLIPS, type Piece } from './helpers/films.js';
import { makeClip, runCli, tempDir } from './helpers/media.js';
import { fractalNoise } from './helpers/synthetic.js';

const tmp = tempDir('chroma-shots-');
after(() => tmp.cleanup());

const DOG = 'sam2_dog.mp4', JUGGLE = 'sam2_juggle.mp4', HORSE = 'bw/bistnet_bend-or.mp4', DESK = 'bw/vsdeoldify_sample-bw.mp4';

const FILMS: { name: string; pieces: Piece[]; setups: number[] }[] = [
  {
    name: 'A B A-moved B-later (colour clips in gray)',
    pieces: [
      { clip: DOG, at: 0, seconds: 1.2 }, { clip: JUGGLE, at: 0, seconds: 1.2 },
      { clip: DOG, at: 0.4, seconds: 1.2, move: [6, 4] }, { clip: JUGGLE, at: 3, seconds: 1.2 },
    ],
    setups: [0, 1, 0, 1],
  },
  {
    name: 'X1 Y1 X2 Y2 X3 (archival B&W, X2 and X3 later in X)',
    pieces: [
      // (The desk's first shot ends at 3.3 s.)
      { clip: DESK, at: 0, seconds: 0.9 }, { clip: HORSE, at: 0, seconds: 1 }, { clip: DESK, at: 1.2, seconds: 0.9, move: [-5, 3] },
      { clip: HORSE, at: 3, seconds: 1 }, { clip: DESK, at: 2.3, seconds: 0.9 },
    ],
    setups: [0, 1, 0, 1, 0],
  },
];

for (const f of FILMS) {
  test(`findShots: ${f.name}`, { skip: NO_CLIPS }, async () => {
    const path = join(tmp.dir, `${f.name.replace(/\W+/g, '-')}.mp4`);
    const pieces = buildFilm(path, f.pieces);
    const progress: number[] = [];
    const map = await findShots(path, { onProgress: (done) => progress.push(done) });
    assert.equal(map.shots.length, f.pieces.length, JSON.stringify(map.shots));
    map.shots.forEach((s, i) => {
      assert.ok(Math.abs(s.start - pieces[i].start) <= 2, `shot ${i} starts at ${s.start}, its piece at ${pieces[i].start}`);
      assert.ok(s.posterFrame >= s.start && s.posterFrame < s.end);
      assert.ok(Math.abs(s.posterTime - s.posterFrame / map.fps) < 0.05);
    });
    assert.deepEqual(map.shots.map((s) => s.setup), f.setups, `setups ${JSON.stringify(map.shots.map((s) => [s.setup, s.setupConfidence]))}`);
    for (const st of map.setups) {
      assert.equal(map.shots[st.shots[0]].setupConfidence, 1);
      for (const i of st.shots.slice(1)) assert.ok(map.shots[i].setupConfidence >= 0.5 && map.shots[i].setupConfidence <= 1);
    }
    assert.deepEqual([map.width, map.height, map.frames], [320, 180, map.shots.at(-1)!.end]);
    assert.equal(progress.at(-1), map.frames);
  });
}

test('bestShift finds a known translation of a textured picture and scores a different one low', () => {
  const W = 64, H = 40;
  const pic = (ox: number, oy: number, seed: number) => Float32Array.from({ length: W * H }, (_, k) => 100 * fractalNoise((k % W) + ox + seed, ((k / W) | 0) + oy, 4));
  const a = thumbnail(pic(0, 0, 0), W, H, W), moved = thumbnail(pic(3, -2, 0), W, H, W), other = thumbnail(pic(0, 0, 500), W, H, W);
  const s = bestShift(a, moved);
  assert.deepEqual([s.dx, s.dy], [-3, 2]);
  assert.ok(s.score > 0.95, `score ${s.score}`);
  assert.ok(bestShift(a, other).score < 0.5);
});

test('chroma shots: the table and --json', { skip: NO_CLIPS }, async () => {
  const path = join(tmp.dir, 'cli.mp4');
  buildFilm(path, [{ clip: DOG, at: 0, seconds: 0.8 }, { clip: JUGGLE, at: 0, seconds: 0.8 }, { clip: DOG, at: 1, seconds: 0.8 }]);
  const table = await runCli(['shots', path]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /3 shots in 2 camera setups/);
  assert.match(table.stdout, /setup 0: shots 0, 2/);
  const json = await runCli(['shots', path, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const map = JSON.parse(json.stdout) as { shots: { setup: number }[]; setups: { shots: number[] }[] };
  assert.deepEqual(map.setups.map((s) => s.shots), [[0, 2], [1]]);
});

const REFUSALS: { name: string; args: (still: string) => string[]; code: number; line: RegExp }[] = [
  { name: 'no film', args: () => ['shots'], code: 2, line: /expected exactly one FILM/ },
  { name: 'a missing file', args: () => ['shots', join(tmp.dir, 'nothing.mp4')], code: 3, line: /not a readable media file/ },
  { name: 'a still', args: (still) => ['shots', still], code: 2, line: /a still has no shots/ },
  { name: 'a setup threshold out of range', args: (still) => ['shots', still, '--setup-threshold', '2'], code: 2, line: /--setup-threshold 2: expected a number in \[0.05, 1\]/ },
  { name: 'an unknown option', args: (still) => ['shots', still, '--colour'], code: 2, line: /unknown option --colour/ },
];

for (const r of REFUSALS) {
  test(`chroma shots refuses ${r.name} with one line`, async () => {
    const still = join(tmp.dir, 'still.png');
    makeClip(still, { seconds: 0.04, extra: ['-frames:v', '1'] });
    const res = await runCli(r.args(still));
    assert.equal(res.code, r.code, res.stderr);
    assert.match(res.stderr, r.line);
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.equal(res.stdout, '');
  });
}
