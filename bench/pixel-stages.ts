// `node --import tsx bench/pixel-stages.ts`: the per-pixel stage kernels alone, CPU milliseconds per
// frame on one thread (what a pixel-pool thread spends on a whole frame), for a gray source decoded
// as yuv420p and composed to yuv420p (the one-pass h264/h265 path). Each stage runs in its variants
// ("before" / "after" where a change is measured), interleaved round by round so every variant
// sees the same load; the lowest and the median chunk are printed, the lowest being the least
// disturbed on a loaded machine. Ratios within one run are what count.
//   --sizes 640x480,1920x1080  --rounds 9  --frames 4 (per chunk)  --stages l,ltint,resize,compose
// (ltint: L* of a faintly tinted source, chroma 125-129, as archival files often are)
import { parseArgs } from 'node:util';
import { makeUpsampleMap, lOfLuma, rgbToL } from '../src/color/lab.js';
import { newSimdComposer } from '../src/color/compose-simd.js';
import { composeBand } from '../src/color/compose-band.js';
import { neutralChroma, yuv420ToRgbRows } from '../src/color/yuv.js';
import { YuvToL } from '../src/color/yuv-to-l.js';
import { PlaneResampler, modelSize } from '../src/color/resample.js';
import { parseSize } from './lib/clips.js';

const { values: v } = parseArgs({
  options: {
    sizes: { type: 'string', default: '640x480,1920x1080' },
    rounds: { type: 'string', default: '9' },
    frames: { type: 'string', default: '4' },
    stages: { type: 'string', default: 'l,ltint,resize,compose' },
  },
});
const rounds = Number(v.rounds), frames = Number(v.frames), stages = new Set(v.stages.split(','));

interface Variant { stage: string; variant: string; run: () => void }

/** A gray yuv420p frame with some texture: Y a slanted ramp with noise, chroma neutral. */
function grayYuv(width: number, height: number): Uint8Array {
  const yuv = new Uint8Array((width * height * 3) / 2).fill(128);
  let seed = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      yuv[y * width + x] = 16 + ((x + 2 * y + (seed >> 27)) % 220);
    }
  }
  return yuv;
}

function variants(width: number, height: number): Variant[] {
  const n = width * height;
  const yuv = grayYuv(width, height);
  // ffmpeg's Y -> code table is close to (Y - 16) x 255 / 219; the exact values do not change the cost.
  const codes = Uint8Array.from({ length: 256 }, (_, y) => Math.max(0, Math.min(255, Math.round(((y - 16) * 255) / 219))));
  const plane = yuv.subarray(0, n);
  const model = modelSize(width, height, 144, 16);
  const resampler = new PlaneResampler(width, height, model.width, model.height);
  const modelL = new Float32Array(model.width * model.height), modelInput = new Float32Array(modelL.length);
  const aw = model.width >> 2, ah = model.height >> 2;
  const ab = new Float32Array(2 * aw * ah).map((_, i) => 60 * Math.sin(i / 7));
  const map = makeUpsampleMap(width, height, aw, ah);
  const out = new Uint8Array((n * 3) / 2);
  const jsYuv = newSimdComposer({ yuvKernel: false }), simdYuv = newSimdComposer();
  const list: Variant[] = [];
  if (stages.has('l')) {
    // What L extraction did before: the chroma test byte by byte, then Y rewritten in place as
    // codes (on a copy of the frame, so that the other variants keep reading luma).
    const old = yuv.slice();
    list.push({ stage: 'l', variant: 'before (byte test, Y -> code pass)', run: () => {
      let diff = 0;
      for (let i = n; i < old.length; i++) diff |= old[i] ^ 128;
      if (diff) throw new Error('not gray');
      for (let i = 0; i < n; i++) old[i] = codes[old[i]];
    } });
    list.push({ stage: 'l', variant: 'after (word test; Y read through the tables)', run: () => {
      if (!neutralChroma(yuv, width, height, 0, height)) throw new Error('not gray');
    } });
  }
  if (stages.has('ltint')) {
    // The same frame with a faint tint that drifts across it (chroma 125-129).
    const tint = yuv.slice();
    const cw = width >> 1, ch = height >> 1;
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) {
      tint[n + y * cw + x] = 125 + ((x * 5) / cw | 0);
      tint[n + cw * ch + y * cw + x] = 125 + ((y * 5) / ch | 0);
    }
    const rgb = new Uint8Array(n * 3), L = new Float32Array(n), tables = new YuvToL();
    list.push({ stage: 'ltint', variant: 'before (rgb24 rows, then rgbToL)', run: () => {
      yuv420ToRgbRows(tint, width, height, 'bt709', 0, height, rgb);
      rgbToL(rgb, L, n);
    } });
    list.push({ stage: 'ltint', variant: 'after (a table of L* by Y\' per chroma pair)', run: () => {
      tables.rows(tint, width, height, 'bt709', 0, height, L);
    } });
  }
  if (stages.has('resize')) {
    list.push({ stage: 'resize', variant: 'now', run: () => {
      resampler.runCodes(plane, 1, lOfLuma(codes), modelL);
      for (let i = 0; i < modelL.length; i++) modelInput[i] = (modelL[i] - 50) * 0.02;
    } });
  }
  if (stages.has('compose')) {
    list.push({ stage: 'compose', variant: 'before (JS yuv)', run: () => composeBand(jsYuv, null, plane, 1, ab, aw, ah, width, height, map, out, 'yuv420p', 0, height, codes) });
    list.push({ stage: 'compose', variant: 'after (SIMD yuv)', run: () => composeBand(simdYuv, null, plane, 1, ab, aw, ah, width, height, map, out, 'yuv420p', 0, height, codes) });
  }
  return list;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(`| size | stage | variant | lowest ms/frame | median ms/frame | vs first variant (lowest) |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const size of v.sizes.split(',')) {
  const { width, height } = parseSize(size);
  const list = variants(width, height);
  for (const x of list) for (let i = 0; i < 2; i++) x.run(); // warm up (tier-up, tables, memory growth)
  const chunks = list.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    list.forEach((x, i) => {
      const t0 = cpuMs();
      for (let f = 0; f < frames; f++) x.run();
      chunks[i].push((cpuMs() - t0) / frames);
    });
  }
  const firstOf = new Map<string, number>();
  list.forEach((x, i) => {
    const low = Math.min(...chunks[i]);
    if (!firstOf.has(x.stage)) firstOf.set(x.stage, low);
    const ratio = low / firstOf.get(x.stage)!;
    console.log(`| ${size} | ${x.stage} | ${x.variant} | ${low.toFixed(2)} | ${median(chunks[i]).toFixed(2)} | ${ratio.toFixed(2)} |`);
  });
}
