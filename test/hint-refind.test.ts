// A hint that comes back after occlusion (src/hints/refind.ts through hint-tracks.ts), on a real
// archival clip (a still camera on a woman at her desk) with a plain gray box pasted over it by
// ffmpeg, crossing the picture on the wall that the hint is on: the hint is lost when the box
// arrives, painted nowhere while it covers the picture, found again when it has passed, and the
// report says the frames it was absent. With re-finding off it stays lost (what it was before).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planVideoHints, type VideoHintsPlan } from '../src/jobs/video-hints.js';
import { loadModel } from '../src/model/load-model.js';
import { probeMedia } from '../src/media/probe.js';
import { ChildGroup } from '../src/media/child.js';
import { validateHints } from '../src/hints/hints-file.js';
import type { HintTrackOptions } from '../src/hints/hint-tracks.js';
import { buildFilm, withOccluder, NO_CLIPS } from './helpers/films.js';
import { tempDir } from './helpers/media.js';
import { makeHintEchoFixture } from './helpers/model-fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let model: string;
let film: string;
before(() => {
  tmp = tempDir('chroma-refind-');
  model = join(tmp.dir, 'echo.onnx');
  writeFileSync(model, makeHintEchoFixture());
  if (NO_CLIPS) return;
  const clean = join(tmp.dir, 'desk.mp4');
  buildFilm(clean, [{ clip: 'bw/vsdeoldify_sample-bw.mp4', at: 0, seconds: 2 }]);
  // A 70 x 80 box from the top, its left edge at -100 + 8n: over x = 60 from frame 12 to 20.
  film = withOccluder(clean, join(tmp.dir, 'occluded.mp4'), { w: 70, h: 80, y: 0, x0: -100, speed: 8 });
});
after(() => tmp.cleanup());

const PICTURE = { x: 60, y: 30 };
const COVERED = { from: 12, to: 20 };

async function plan(tracking: HintTrackOptions): Promise<VideoHintsPlan> {
  const info = await probeMedia(film);
  const file = validateHints({ hints: [{ id: 'picture', ...PICTURE, frame: 2, ab: [40, 30], until: 'shot' }] },
    { width: info.width, height: info.height, media: 'video', source: 'hints' });
  const children = new ChildGroup();
  try {
    return await planVideoHints(await loadModel(model), info, file, { size: 144, children, tracking });
  } finally {
    await children.settled();
  }
}

const near = (p: { x: number; y: number } | undefined) => p !== undefined && Math.hypot(p.x - PICTURE.x, p.y - PICTURE.y) <= 3;

test('a hint lost to an occluder is found again when it has passed, and the absence is reported', { skip: NO_CLIPS }, async () => {
  const p = await plan({});
  const forward = p.losses.filter((l) => l.direction === 'forward');
  assert.equal(forward.length, 1, JSON.stringify(p.losses));
  const [loss] = forward;
  // Lost as the box reaches the patch (its edge is on the 17-px patch from frame 11), back once it has left it.
  assert.ok(loss.frame >= COVERED.from - 3 && loss.frame <= COVERED.from + 1, `lost at ${loss.frame}`);
  assert.ok(loss.back !== undefined && loss.back > COVERED.to && loss.back <= COVERED.to + 6, `back at ${loss.back}`);
  for (let t = loss.frame; t < loss.back!; t++) assert.deepEqual(p.provider(t) ?? [], [], `frame ${t}: painted while absent`);
  for (const t of [5, loss.back!, 35, 49]) assert.ok(near((p.provider(t) ?? [])[0]), `frame ${t}: ${JSON.stringify(p.provider(t))}`);
});

test('with re-finding off, the occluded hint stays lost for the rest of the shot', { skip: NO_CLIPS }, async () => {
  const p = await plan({ refind: false });
  const [loss] = p.losses.filter((l) => l.direction === 'forward');
  assert.equal(loss.back, undefined);
  for (const t of [COVERED.to + 5, 49]) assert.deepEqual(p.provider(t) ?? [], []);
});
