// The pixel pool (src/pool): extract L, resize and compose in bands on worker threads give the
// same bytes as the single-thread path on real clips with hints and smoothing on; frames keep
// their order; the threads end on success, error and abort; frame buffers are recycled within
// the flow gate's limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { lastValueFrom, tap, toArray, map } from 'rxjs';
import { tempDir, readRgbFrames, makeClip, REPO } from './helpers/media.js';
import { Colorizer } from '../src/index.js';
import { decodeFrames } from '../src/operators/decode-frames.js';
import { colorGraph } from '../src/graph/color-graph.js';
import { FlowGate } from '../src/core/flow-gate.js';
import { FrameBuffers } from '../src/core/frame-buffers.js';
import { probeMedia } from '../src/media/probe.js';
import { PixelPool, defaultPixelWorkers } from '../src/pool/pixel-pool.js';

// A real B&W archival clip (578 wide: rows not a multiple of 4 bytes) and a colour clip (the L path).
// The dev clips sit beside the checkout (../shared), or beside its worktree folder; where they are not
// (a clean CI clone), generated clips of the same shapes stand in, so the pool is tested everywhere.
const VIDEOS = [join(REPO, '..', 'shared', 'data', 'videos'), join(REPO, '..', '..', 'shared', 'data', 'videos')].find((d) => existsSync(d));
const clips = { bw: '', colour: '' };

let tmp: ReturnType<typeof tempDir>;
let colorizer: Colorizer;
before(async () => {
  tmp = tempDir('chroma-pool-');
  colorizer = await Colorizer.create({ device: 'cpu' });
  clips.bw = VIDEOS ? join(VIDEOS, 'bw', 'oldfilm_001.mp4') : makeClip(join(tmp.dir, 'bw.mp4'), { width: 578, height: 322, seconds: 1 });
  clips.colour = VIDEOS ? join(VIDEOS, 'davis_car-roundabout.mp4')
    // faststart: the index comes first, so the error test's first half is a file whose frames run out early
    : makeClip(join(tmp.dir, 'colour.mp4'), { width: 320, height: 240, seconds: 1.2, gray: false,
      extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'] });
});
after(async () => {
  await colorizer.close();
  tmp.cleanup();
});

async function colorizeWith(input: string, workers: number, name: string): Promise<string> {
  const output = join(tmp.dir, `${name}-w${workers}.mkv`);
  await colorizer.colorize(input, output, {
    workers, size: 128, smooth: 'medium', encode: { codec: 'ffv1' }, overwrite: true,
    hints: { hints: [{ id: 'coat', frame: 2, x: 200, y: 150, ab: [40, 30], size: 25 }] } as never,
  }).done;
  return output;
}

for (const name of ['bw', 'colour'] as const) {
  test(`${name} clip with hints and smoothing: --workers 3 gives the bytes of --workers 0`, async () => {
    const clip = clips[name];
    const info = await probeMedia(clip);
    const one = readRgbFrames(await colorizeWith(clip, 0, name), info.width, info.height);
    const pooled = readRgbFrames(await colorizeWith(clip, 3, name), info.width, info.height);
    assert.equal(pooled.length, one.length);
    assert.ok(one.length >= 20);
    for (let i = 0; i < one.length; i++) assert.ok(pooled[i].equals(one[i]), `frame ${i} differs`);
  });
}

test('frames keep their order and buffers are recycled within the gate', async () => {
  const COLOUR = clips.colour;
  const info = await probeMedia(COLOUR);
  const gate = new FlowGate(6);
  const buffers = new FrameBuffers(info.width * info.height * 3);
  const seen: number[] = [];
  const frames = decodeFrames({ input: COLOUR, width: info.width, height: info.height, gate, buffers });
  const n = await lastValueFrom(frames.pipe(
    colorGraph(colorizer.model, { workers: 2, size: 64, batch: 2 }),
    tap((f) => {
      seen.push(f.index);
      assert.ok(f.out.buffer instanceof SharedArrayBuffer, 'composed in the shared buffer');
      // What the encoder sink does once the pipe has taken a frame.
      buffers.give(f.out);
      gate.release();
    }),
    toArray(), map((a) => a.length),
  ));
  assert.equal(n, info.frames);
  assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
  // The gate's frames plus the one the decoder is filling.
  assert.ok(buffers.created <= gate.limit + 1, `${buffers.created} buffers for a gate of ${gate.limit}`);
});

test('a pool rejects tasks after close, and its default size leaves cores to the main thread and the model', async () => {
  const pool = new PixelPool(2);
  const rgb = Buffer.from(new SharedArrayBuffer(4 * 2 * 3)).fill(7);
  const r = await pool.run(pool.bands(2).map(([from, to]) => ({ kind: 'gray' as const, rgb, width: 4, from, to })));
  assert.deepEqual(r.values, [true, true]);
  await pool.close();
  await assert.rejects(pool.run([{ kind: 'gray', rgb, width: 4, from: 0, to: 1 }]), /closed/);
  assert.equal(defaultPixelWorkers(2), 1);
  assert.equal(defaultPixelWorkers(4), 2);
  assert.equal(defaultPixelWorkers(16), 8);
});

/** Runs a script in a fresh node; resolves with its exit code and how long it took to exit after its last line. */
function runScript(body: string): Promise<{ code: number | null; out: string; lingerMs: number }> {
  const file = join(tmp.dir, `script-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, body);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', lastAt = Date.now();
    child.stdout.on('data', (c) => { out += c; lastAt = Date.now(); });
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`script hung:\n${out}`)); }, 90_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, lingerMs: Date.now() - lastAt }); });
  });
}

for (const ending of ['success', 'error', 'abort'] as const) {
  test(`the pool's threads end with the job on ${ending}: the process exits by itself`, async () => {
    const COLOUR = clips.colour;
    const src = join(REPO, 'src/index.ts');
    const input = ending === 'error' ? join(tmp.dir, 'truncated.mp4') : COLOUR;
    if (ending === 'error') {
      // The first half of a real clip: the decoder fails part way.
      const whole = readFileSync(COLOUR);
      writeFileSync(input, whole.subarray(0, whole.length >> 1));
    }
    const r = await runScript(`
      import { Colorizer } from ${JSON.stringify(src)};
      const c = await Colorizer.create({ device: 'cpu' });
      const ac = new AbortController();
      const job = c.colorize(${JSON.stringify(input)}, ${JSON.stringify(join(tmp.dir, `end-${ending}.mp4`))}, { workers: 2, size: 64, overwrite: true, signal: ac.signal });
      ${ending === 'abort' ? 'job.progress$.subscribe({ next: (p) => { if (p.frames >= 3) setTimeout(() => ac.abort(), 0); }, error: () => {} });' : ''}
      try { await job.done; console.log('done'); } catch (e) { console.log('failed', e.message.split('\\n')[0]); }
      await c.close();
      console.log('closed');
    `);
    assert.match(r.out, /closed/);
    if (ending === 'success') assert.match(r.out, /done/);
    else assert.match(r.out, /failed/);
    assert.equal(r.code, 0, r.out);
    assert.ok(r.lingerMs < 5000, `exited ${r.lingerMs} ms after its last line`);
  });
}
