// "until": "setup" hints (src/jobs/setup-hints.ts) on a film cut from real archival clips, X1 Y1 X2
// Y2 X3 (X2 taken later in X and with the camera moved 5 px left and 3 down): hints on X1's
// still background are re-found in X2 and X3 where the background went, followed through those
// shots, never painted in Y's; a shot hint stays in X1; a setup hint on a film of one shot is
// refused with one line and nothing written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planVideoHints } from '../src/jobs/video-hints.js';
import { loadModel } from '../src/model/load-model.js';
import { probeMedia } from '../src/media/probe.js';
import { ChildGroup } from '../src/media/child.js';
import { validateHints, type HintsFile } from '../src/hints/hints-file.js';
import { buildFilm, NO_CLIPS } from './helpers/films.js';
import { runCli, tempDir } from './helpers/media.js';
import { makeHintEchoFixture } from './helpers/model-fixtures.js';

const DESK = 'bw/vsdeoldify_sample-bw.mp4', HORSE = 'bw/bistnet_bend-or.mp4';
const MOVE: [number, number] = [-5, 3];

let tmp: ReturnType<typeof tempDir>;
let model: string;
before(() => {
  tmp = tempDir('chroma-setup-hints-');
  model = join(tmp.dir, 'echo.onnx');
  writeFileSync(model, makeHintEchoFixture());
});
after(() => tmp.cleanup());

// Points on X's still background (the picture on the wall, the typewriter), placed on frame 5.
const POINTS: { id: string; x: number; y: number }[] = [{ id: 'picture', x: 60, y: 30 }, { id: 'typewriter', x: 35, y: 90 }];

test('setup hints: re-found in every shot of their setup where the view went, not in the other setup', { skip: NO_CLIPS }, async () => {
  const film = join(tmp.dir, 'x1y1x2y2x3.mp4');
  const pieces = buildFilm(film, [
    { clip: DESK, at: 0, seconds: 0.9 }, { clip: HORSE, at: 0, seconds: 1 }, { clip: DESK, at: 1.2, seconds: 0.9, move: MOVE },
    { clip: HORSE, at: 3, seconds: 1 }, { clip: DESK, at: 2.3, seconds: 0.9 },
  ]);
  const info = await probeMedia(film);
  const file: HintsFile = validateHints({
    hints: [
      ...POINTS.map((p) => ({ ...p, frame: 5, ab: [40, 30], until: 'setup' })),
      { id: 'shot-only', x: 60, y: 30, frame: 5, ab: [40, 30], until: 'shot' },
    ],
  }, { width: info.width, height: info.height, media: 'video', source: 'hints' });
  const children = new ChildGroup();
  const plan = await planVideoHints(await loadModel(model), info, file, { size: 144, children });
  await children.settled();
  assert.deepEqual(plan.shots.shots.map((s) => s.setup), [0, 1, 0, 1, 0]);
  assert.deepEqual(plan.reaches, [[0, 2, 4], [0, 2, 4], [0]]);
  const truth = (shot: number, p: { x: number; y: number }) => (shot === 2 ? { x: p.x - MOVE[0], y: p.y - MOVE[1] } : p);
  for (const shot of [0, 2, 4]) {
    const { start, frames } = pieces[shot];
    // Frames well inside the piece (its first and last may differ by one from the cut).
    for (const t of [start + 2, start + (frames >> 1), start + frames - 3]) {
      const at = plan.provider(t) ?? [];
      assert.equal(at.length, shot === 0 ? 3 : 2, `frame ${t} (shot ${shot}): ${JSON.stringify(at)}`);
      POINTS.forEach((p, k) => {
        const want = truth(shot, p);
        assert.ok(Math.hypot(at[k].x - want.x, at[k].y - want.y) <= 3, `${p.id} at frame ${t} (shot ${shot}): ${at[k].x}, ${at[k].y}; the background is at ${want.x}, ${want.y}`);
      });
    }
  }
  for (const shot of [1, 3]) for (let t = pieces[shot].start + 1; t < pieces[shot].start + pieces[shot].frames - 1; t++) assert.deepEqual(plan.provider(t) ?? [], [], `frame ${t} of Y`);
  assert.deepEqual(plan.losses.filter((l) => l.reason === 'not-found'), []);
});

test('setup hints: a film of one shot refuses a setup hint with one line and writes nothing', { skip: NO_CLIPS }, async () => {
  const film = join(tmp.dir, 'one-shot.mp4');
  buildFilm(film, [{ clip: DESK, at: 0, seconds: 0.8 }]);
  const hints = join(tmp.dir, 'one-shot.json');
  writeFileSync(hints, JSON.stringify({ hints: [{ id: 'picture', x: 60, y: 30, frame: 2, ab: [40, 30], until: 'setup' }] }));
  const out = join(tmp.dir, 'one-shot-colour.mp4');
  const r = await runCli(['colorize', film, '-o', out, '--model', model, '--hints', hints]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /picture: "until": "setup", but the film is one shot; .*use "until": "shot"/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(existsSync(out), false);
});
