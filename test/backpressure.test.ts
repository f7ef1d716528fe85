// The decoder's pipe is paused while the graph is full: a slow consumer keeps memory flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrames } from '../src/operators/decode-frames.js';
import { FlowGate } from '../src/core/flow-gate.js';

test('a slow consumer bounds frames in flight and keeps RSS flat', async () => {
  const width = 1280, height = 720, frames = 300; // 2.8 MB a frame: 830 MB if nothing held ffmpeg back
  const gate = new FlowGate(6);
  let maxPending = 0, seen = 0;
  const rss: number[] = [];
  global.gc?.();
  const before = process.memoryUsage().rss;
  await new Promise<void>((resolve, reject) => {
    decodeFrames({
      input: `testsrc2=size=${width}x${height}:rate=25`,
      inputArgs: ['-f', 'lavfi', '-t', String(frames / 25)],
      width, height, gate, fps: 25,
    }).subscribe({
      next: () => {
        seen++;
        maxPending = Math.max(maxPending, gate.pending);
        if (seen % 20 === 0) rss.push(process.memoryUsage().rss);
        // Release later, as a slow encoder would.
        setTimeout(() => gate.release(), 15);
      },
      error: reject,
      complete: () => resolve(),
    });
  });
  assert.equal(seen, frames);
  assert.ok(maxPending <= 6 + 2, `frames in flight stayed bounded (max ${maxPending})`);
  const growth = (Math.max(...rss) - before) / 2 ** 20;
  assert.ok(growth < 200, `RSS grew ${growth.toFixed(0)} MB`);
  const late = rss.slice(Math.floor(rss.length / 2));
  const spread = (Math.max(...late) - Math.min(...late)) / 2 ** 20;
  assert.ok(spread < 120, `RSS flat over the second half (spread ${spread.toFixed(0)} MB)`);
});
