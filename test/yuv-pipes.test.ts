// The yuv420p pipes (issue 25): a gray source decoded as yuv420p gives the L plane and model input
// of the rgb24 decoder, bit for bit; frames composed to yuv420p are the same on the pool's threads
// as on the calling thread; a known Lab frame composed to yuv420p, encoded and decoded back keeps
// its colours; the encoder's command converts nothing when it is fed yuv420p.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { lastValueFrom, toArray, map, tap } from 'rxjs';
import { tempDir, makeClip, REPO } from './helpers/media.js';
import { Colorizer } from '../src/index.js';
import { decodeFrames } from '../src/operators/decode-frames.js';
import { extractL } from '../src/operators/extract-l.js';
import { resizeForModel } from '../src/operators/resize-for-model.js';
import { colorGraph } from '../src/graph/color-graph.js';
import { FlowGate } from '../src/core/flow-gate.js';
import { FrameBuffers } from '../src/core/frame-buffers.js';
import { frameBytes } from '../src/core/frames.js';
import { probeMedia } from '../src/media/probe.js';
import { yuvGrayCodes } from '../src/media/gray-codes.js';
import { FrameEncoder } from '../src/media/frame-encoder.js';
import { encodeArgs, DEFAULT_ENCODE, type EncodeSettings } from '../src/media/encode-args.js';
import { pipeFormats } from '../src/jobs/video-plan.js';
import type { MediaInfo } from '../src/media/probe.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { PixelPool } from '../src/pool/pixel-pool.js';
import { makeUpsampleMap, srgbToLab } from '../src/color/lab.js';
import { simdComposer } from '../src/color/compose-simd.js';
import { composeBand } from '../src/color/compose-band.js';

const VIDEOS = [join(REPO, '..', 'shared', 'data', 'videos'), join(REPO, '..', '..', 'shared', 'data', 'videos')].find((d) => existsSync(d));
let tmp: ReturnType<typeof tempDir>;
let colorizer: Colorizer;
let bw = '', colour = '';
before(async () => {
  tmp = tempDir('chroma-yuv-');
  colorizer = await Colorizer.create({ device: 'cpu' });
  // A real B&W clip with neutral chroma (cmnet2: 640x464, tagged BT.709), else a generated gray clip.
  bw = VIDEOS ? join(VIDEOS, 'bw', 'cmnet2_sample-bw.mp4') : makeClip(join(tmp.dir, 'bw.mp4'), { width: 320, height: 240, seconds: 1 });
  colour = makeClip(join(tmp.dir, 'colour.mp4'), { width: 320, height: 240, seconds: 1, gray: false });
});
after(async () => {
  await colorizer.close();
  tmp.cleanup();
});

/** The first `frames` frames of `clip` through extract L and resize, rgb24 or yuv420p decoder, with or without a pool. */
async function prepared(clip: string, yuv: boolean, workers: number, frames = 12) {
  const info = await probeMedia(clip);
  const codes = await yuvGrayCodes();
  assert.ok(codes, 'ffmpeg gives one gray code per Y');
  const pool = workers ? new PixelPool(workers) : null;
  const gate = new FlowGate(4);
  const buffers = workers ? new FrameBuffers(frameBytes(yuv ? 'yuv420p' : 'rgb24', info.width, info.height)) : null;
  try {
    return await lastValueFrom(decodeFrames({
      input: clip, width: info.width, height: info.height, gate, buffers, inputArgs: ['-t', String(frames / (info.fps ?? 25))],
      yuv: yuv ? { codes, matrix: info.colorSpace === 'bt709' ? 'bt709' : 'bt601' } : null,
    }).pipe(
      extractL(undefined, pool),
      resizeForModel({ shortSide: 128, multiple: 8, lOffset: 50, lScale: 0.02 }, undefined, pool),
      map((f) => ({ gray: f.gray, L: Float32Array.from(f.L), input: Float32Array.from(f.modelInput) })),
      tap(() => gate.release()),
      toArray(),
    ));
  } finally {
    await pool?.close();
  }
}

test('a gray source decoded as yuv420p: the L plane and the model input of the rgb24 decoder, bit for bit', async () => {
  const old = await prepared(bw, false, 0);
  assert.ok(old.length >= 10 && old.every((f) => f.gray), 'the clip is gray');
  for (const workers of [0, 2]) {
    const now = await prepared(bw, true, workers);
    assert.equal(now.length, old.length);
    now.forEach((f, i) => {
      assert.ok(f.gray, `frame ${i} seen as gray`);
      assert.deepEqual(Buffer.from(f.L.buffer), Buffer.from(old[i].L.buffer), `L of frame ${i} (workers ${workers})`);
      assert.deepEqual(Buffer.from(f.input.buffer), Buffer.from(old[i].input.buffer), `model input of frame ${i} (workers ${workers})`);
    });
  }
});

test('a colour source decoded as yuv420p: L within a fraction of a unit of the rgb24 decoder', async () => {
  const old = await prepared(colour, false, 0, 5);
  const now = await prepared(colour, true, 2, 5);
  assert.ok(now.every((f) => !f.gray));
  let worst = 0, sum = 0, n = 0;
  now.forEach((f, i) => f.L.forEach((v, k) => { const d = Math.abs(v - old[i].L[k]); worst = Math.max(worst, d); sum += d; n++; }));
  assert.ok(sum / n < 0.5, `mean |dL| ${sum / n}`);
  assert.ok(worst < 6, `worst |dL| ${worst}`);
});

/** Composed frames as yuv420p (yuv420p decoder too, unless `decodeYuv` is false), copied out. */
async function composedYuv(clip: string, workers: number, decodeYuv = true): Promise<Buffer[]> {
  const info = await probeMedia(clip);
  const codes = (await yuvGrayCodes())!;
  const gate = new FlowGate(6);
  const yuvBytes = frameBytes('yuv420p', info.width, info.height);
  const inBytes = decodeYuv ? yuvBytes : frameBytes('rgb24', info.width, info.height);
  const buffers = workers ? new FrameBuffers(inBytes) : null, outBuffers = workers ? new FrameBuffers(yuvBytes) : null;
  const yuv = decodeYuv ? { codes, matrix: 'bt601' as const } : null;
  return lastValueFrom(decodeFrames({ input: clip, width: info.width, height: info.height, gate, buffers, inputArgs: ['-t', '0.6'], yuv }).pipe(
    colorGraph(colorizer.model, { workers, size: 96, batch: 2, output: { format: 'yuv420p', buffers: outBuffers } }),
    map((f) => {
      assert.equal(f.outFormat, 'yuv420p');
      assert.equal(f.out.length, yuvBytes);
      const copy = Buffer.from(f.out);
      buffers?.give(f.yuv ? f.yuv.planes : f.rgb);
      outBuffers?.give(f.out);
      gate.release();
      return copy;
    }),
    toArray(),
  ));
}

for (const [name, clip] of [['gray', () => bw], ['colour', () => colour]] as const) {
  test(`${name} clip composed to yuv420p: --workers 2 gives the bytes of --workers 0`, async () => {
    const one = await composedYuv(clip(), 0);
    const pooled = await composedYuv(clip(), 2);
    assert.ok(one.length >= 10);
    assert.equal(pooled.length, one.length);
    one.forEach((b, i) => assert.ok(pooled[i].equals(b), `frame ${i} differs`));
  });
}

test('gray clip composed to yuv420p: the yuv420p decoder gives the bytes of the rgb24 decoder (pool and calling thread)', async () => {
  for (const workers of [0, 2]) {
    const fromRgb = await composedYuv(bw, workers, false);
    const fromYuv = await composedYuv(bw, workers);
    assert.ok(fromRgb.length >= 10);
    assert.equal(fromYuv.length, fromRgb.length);
    fromRgb.forEach((b, i) => assert.ok(fromYuv[i].equals(b), `frame ${i} differs (workers ${workers})`));
  }
});

test('a known Lab frame composed to yuv420p, encoded and decoded back keeps its colours', async () => {
  const width = 256, height = 128, abW = 8, abH = 4;
  // Patches of 32x32 pixels, one ab cell each (in the sRGB gamut): L from the patch row, ab from the cell.
  const L = new Float32Array(width * height), ab = new Float32Array(2 * abW * abH);
  const patchL = (y: number) => 50 + 10 * Math.floor(y / 32);
  const patchAb = (x: number, y: number): [number, number] => [[-20, 0, 15, 20, -10, 12, 0, 18][x], [15, -20, 20, -10, 25, -15, 0, 10][(x + y) % 8]];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) L[y * width + x] = patchL(y);
  for (let y = 0; y < abH; y++) for (let x = 0; x < abW; x++) [ab[y * abW + x], ab[abW * abH + y * abW + x]] = patchAb(x, y);
  const out = Buffer.alloc(frameBytes('yuv420p', width, height));
  // ab is upsampled bilinearly: at a cell's centre pixel it is the cell's value (to half a pixel).
  composeBand(simdComposer(), L, null, 3, ab, abW, abH, width, height, makeUpsampleMap(width, height, abW, abH), out, 'yuv420p');
  const file = join(tmp.dir, 'lab.mkv');
  const settings = { ...DEFAULT_ENCODE, crf: 0, preset: 'ultrafast' };
  const enc = new FrameEncoder({ width, height, frameDuration: 0.04, pixFmt: 'yuv420p', args: encodeArgs(file, file, null, settings, 'yuv420p').args, label: 'lab.mkv' });
  await enc.write({ index: 0, pts: 0, width, height, out, outFormat: 'yuv420p' } as never);
  await enc.finish();
  const rgb = execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-vf', 'scale=in_color_matrix=bt709:in_range=tv', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  let worst = 0;
  for (let py = 0; py < 4; py++) for (let px = 0; px < 8; px++) {
    const x = px * 32 + 16, y = py * 32 + 16, q = 3 * (y * width + x);
    const [l, a, b] = srgbToLab(rgb[q], rgb[q + 1], rgb[q + 2]);
    const [wa, wb] = patchAb(px, py);
    worst = Math.max(worst, Math.hypot(a - wa, b - wb));
    assert.ok(Math.abs(l - patchL(y)) < 1.5, `L ${l} for ${patchL(y)}`);
  }
  assert.ok(worst < 3, `worst ab error ${worst.toFixed(2)}`);
});

test('fed yuv420p, the encoder converts nothing: no scale filter, the BT.709 tv tags kept', () => {
  const rgbArgs = encodeArgs('o.mp4', 'o.mp4', null, DEFAULT_ENCODE).args;
  const yuvArgs = encodeArgs('o.mp4', 'o.mp4', null, DEFAULT_ENCODE, 'yuv420p').args;
  assert.ok(rgbArgs.some((a) => a.startsWith('scale=')));
  assert.ok(!yuvArgs.includes('-vf'));
  for (const tag of ['-colorspace', '-color_range', '-color_primaries']) assert.ok(yuvArgs.includes(tag), tag);
});

test('pipeFormats: which pipes a run uses (the bench times the same decoder command line)', () => {
  const gray = { width: 640, height: 480, pixFmt: 'yuv420p', colorRange: 'tv' } as MediaInfo;
  const rows: { name: string; info: MediaInfo; encode?: EncodeSettings; yuvOut?: boolean; env?: string; want: [string, string] }[] = [
    { name: 'x264 of a tv-range 4:2:0 source', info: gray, want: ['yuv420p', 'yuv420p'] },
    { name: 'full-range source', info: { ...gray, colorRange: 'pc' }, want: ['rgb24', 'yuv420p'] },
    { name: 'rgb source', info: { ...gray, pixFmt: 'rgb24' }, want: ['rgb24', 'yuv420p'] },
    { name: 'odd size', info: { ...gray, width: 641 }, want: ['rgb24', 'rgb24'] },
    { name: 'segment sinks (no one encoder)', info: gray, yuvOut: false, want: ['rgb24', 'rgb24'] },
    { name: 'ProRes', info: gray, encode: { ...DEFAULT_ENCODE, codec: 'prores' }, want: ['rgb24', 'rgb24'] },
    { name: 'CHROMA_YUV_PIPES=0', info: gray, env: '0', want: ['rgb24', 'rgb24'] },
    { name: 'CHROMA_YUV_PIPES=encode', info: gray, env: 'encode', want: ['rgb24', 'yuv420p'] },
  ];
  const saved = process.env.CHROMA_YUV_PIPES;
  try {
    for (const r of rows) {
      if (r.env === undefined) delete process.env.CHROMA_YUV_PIPES; else process.env.CHROMA_YUV_PIPES = r.env;
      const p = pipeFormats(r.info, r.encode ?? DEFAULT_ENCODE, r.yuvOut ?? true);
      assert.deepEqual([p.decode, p.encode], r.want, r.name);
    }
  } finally {
    if (saved === undefined) delete process.env.CHROMA_YUV_PIPES; else process.env.CHROMA_YUV_PIPES = saved;
  }
});
