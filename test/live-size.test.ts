// The live size (issue 22, item 4): the model input `chroma serve` uses when --size is not given.
// A model may say it (chroma.live_size / the sidecar's liveSize); otherwise it is the training size.
// The built-in model says 120 so that a 640x480 camera keeps 15 fps on 2 cores (docs/models.md).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/model/load-model.js';
import { DEFAULT_MODEL_PATH } from '../src/model/registry.js';
import { LiveGraph, type LiveColorFrame } from '../src/server/live-graph.js';
import type { RawFrame } from '../src/core/frames.js';
import { makeLogitsFixture } from './helpers/model-fixtures.js';
import { tempDir } from './helpers/media.js';
import { until } from './helpers/until.js';

const tmp = tempDir('chroma-live-size-');
after(() => tmp.cleanup());

const ROWS: { name: string; sidecar: object | null; train: number; live: number }[] = [
  { name: 'no metadata', sidecar: null, train: 256, live: 256 },
  { name: 'a training size only', sidecar: { trainSize: 96 }, train: 96, live: 96 },
  { name: 'a live size', sidecar: { trainSize: 96, liveSize: 48 }, train: 96, live: 48 },
];

test('loadModel reads the live size, else takes the training size; the built-in model runs live at 120', async () => {
  for (const [i, r] of ROWS.entries()) {
    const path = join(tmp.dir, `m${i}.onnx`);
    writeFileSync(path, makeLogitsFixture());
    if (r.sidecar) writeFileSync(`${path}.json`, JSON.stringify(r.sidecar));
    const m = await loadModel(path, { device: 'cpu' });
    try {
      assert.deepEqual([m.info.trainSize, m.info.liveSize], [r.train, r.live], r.name);
    } finally {
      await m.release();
    }
  }
  const builtIn = await loadModel(DEFAULT_MODEL_PATH, { device: 'cpu' });
  try {
    assert.deepEqual([builtIn.info.trainSize, builtIn.info.liveSize], [144, 120]);
  } finally {
    await builtIn.release();
  }
});

test('the live graph runs the model at its live size unless told a size', async () => {
  const path = join(tmp.dir, 'live.onnx');
  writeFileSync(path, makeLogitsFixture());
  writeFileSync(`${path}.json`, JSON.stringify({ trainSize: 96, liveSize: 48 }));
  const model = await loadModel(path, { device: 'cpu' });
  try {
    for (const [size, want] of [[undefined, [64, 48]], [96, [128, 96]]] as const) {
      const out: LiveColorFrame[] = [];
      const g = new LiveGraph(model, {
        ...(size === undefined ? {} : { size }), temperature: () => 0.38, paused: () => false, release: () => {},
        onOutput: (f) => out.push(f),
      });
      const frame: RawFrame = { index: 0, pts: 0, width: 320, height: 240, rgb: Buffer.alloc(320 * 240 * 3, 128) };
      g.push(frame, 0, Date.now());
      await until('a frame out', () => out.length > 0);
      g.stop();
      assert.deepEqual([out[0].modelWidth, out[0].modelHeight], want, `size ${size}`);
    }
  } finally {
    await model.release();
  }
});
