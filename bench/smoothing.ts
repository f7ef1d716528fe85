// Temporal smoothing: before/after figures on the dev clips.
//
//   node --import tsx bench/smoothing.ts [--model PATH] [--frames N] [--size N] [--clips a,b] [--e2e] [--json]
//                                        [--variants '[{"name": "x", "opts": {...SmoothOptions}}, ...]']
//
// For each colour clip in /work/shared/data/videos: a gray version (ffmpeg format=gray, area-scaled
// to --size, lossless FFV1 in /tmp) is colorized ONCE with the model (the real graph: decode, L,
// resize, batch, infer, annealed mean); its ab predictions are kept, then every smoothing variant
// (off, each strength, causal / look-ahead, flow / gate / no motion handling) is applied to a copy
// and composed, and all variants are measured in one pass against the colour original, sharing one
// optical flow per frame pair. Printed per clip and averaged: flicker and its ratio to the
// original's own flicker, warping error, CDC, AuC, class-balanced AuC (and its change vs off),
// PSNR, colourfulness ratio, and the smoothing stage's cost per frame.
// --e2e also runs the default through Colorizer.colorize (encode included) and measures the file.
import { parseArgs } from 'node:util';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tap } from 'rxjs';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { probeMedia } from '../src/media/probe.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { decodeFrames } from '../src/operators/decode-frames.js';
import { FlowGate } from '../src/core/flow-gate.js';
import { colorGraph } from '../src/graph/color-graph.js';
import { Colorizer } from '../src/colorizer.js';
import { composeLab, makeUpsampleMap } from '../src/color/lab.js';
import type { AbFrame } from '../src/core/frames.js';
import { AbSmoother } from '../src/smoothing/smoother.js';
import type { SmoothOptions } from '../src/smoothing/options.js';
import { measureStreams, measureVideo, metricSize, readRgbFrames, type TemporalMetrics, type AccuracyMetrics } from '../src/metrics/index.js';

const run = promisify(execFile);
const CLIP_DIR = '/work/shared/data/videos';

interface Variant {
  name: string;
  opts: SmoothOptions | null;
}

const VARIANTS: Variant[] = [
  { name: 'off', opts: null },
  { name: 'causal flow low', opts: { mode: 'causal', motion: 'flow', strength: 'low' } },
  { name: 'causal flow medium', opts: { mode: 'causal', motion: 'flow', strength: 'medium' } },
  { name: 'causal flow high', opts: { mode: 'causal', motion: 'flow', strength: 'high' } },
  { name: 'causal gate medium', opts: { mode: 'causal', motion: 'gate', strength: 'medium' } },
  // A plain per-pixel EMA (no motion handling, no colour test): what the motion handling buys.
  { name: 'causal plain-EMA medium', opts: { mode: 'causal', motion: 'none', colorThreshold: 0, strength: 'medium' } },
  { name: 'lookahead flow low', opts: { mode: 'lookahead', motion: 'flow', strength: 'low' } },
  { name: 'lookahead flow medium', opts: { mode: 'lookahead', motion: 'flow', strength: 'medium' } },
  { name: 'lookahead flow high', opts: { mode: 'lookahead', motion: 'flow', strength: 'high' } },
  { name: 'lookahead gate medium', opts: { mode: 'lookahead', motion: 'gate', strength: 'medium' } },
];

/** The frames the model saw: L at the working size, modelL, and the raw ab prediction (a private copy). */
interface Captured {
  frame: AbFrame;
  rawAb: Float32Array;
}

async function makeGray(clip: string, out: string, width: number, height: number, frames: number): Promise<void> {
  await run(FFMPEG, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', clip,
    '-vf', `scale=${width}:${height}:flags=area,format=gray`, '-frames:v', String(frames),
    '-c:v', 'ffv1', out,
  ]);
}

/** Run the model over the gray clip through the real graph, keeping every frame's predictions. */
async function predict(model: LoadedModel, gray: string): Promise<Captured[]> {
  const info = await probeMedia(gray);
  const gate = new FlowGate(64);
  const captured: Captured[] = [];
  const capture = tap<AbFrame>((f) => captured.push({ frame: f, rawAb: Float32Array.from(f.ab) }));
  await new Promise<void>((resolve, reject) => {
    decodeFrames({ input: gray, width: info.width, height: info.height, gate, fps: info.fps })
      .pipe(colorGraph(model, { smooth: capture, batch: 4 }))
      .subscribe({ next: () => gate.release(), error: reject, complete: resolve });
  });
  return captured;
}

/** A variant's composed frames, produced lazily in order (two alternating output buffers). */
function* variantFrames(frames: Captured[], opts: SmoothOptions | null, cost: { ms: number; frames: number }): Generator<Uint8Array> {
  if (!frames.length) return;
  const { width, height, abWidth, abHeight } = frames[0].frame;
  const map = makeUpsampleMap(width, height, abWidth, abHeight);
  const bufs = [new Uint8Array(width * height * 3), new Uint8Array(width * height * 3)];
  let which = 0;
  const compose = (f: AbFrame) => {
    const out = bufs[which];
    which ^= 1;
    composeLab(f.L, f.ab, f.abWidth, f.abHeight, f.width, f.height, map, out);
    return out;
  };
  const smoother = opts ? new AbSmoother(opts) : null;
  const ready: AbFrame[] = [];
  for (const c of frames) {
    // A shallow copy of the record with its own ab: every variant starts from the raw prediction.
    const f: AbFrame = { ...c.frame, ab: Float32Array.from(c.rawAb) };
    if (smoother) {
      const t0 = performance.now();
      smoother.push(f, (o) => ready.push(o));
      cost.ms += performance.now() - t0;
      cost.frames++;
    } else {
      ready.push(f);
    }
    while (ready.length) yield compose(ready.shift()!);
  }
  if (smoother) {
    const t0 = performance.now();
    smoother.flush((o) => ready.push(o));
    cost.ms += performance.now() - t0;
  }
  while (ready.length) yield compose(ready.shift()!);
}

interface Row {
  clip: string;
  variant: string;
  video: TemporalMetrics;
  /** Null for the real black-and-white film (no colour original). */
  reference: TemporalMetrics | null;
  accuracy: AccuracyMetrics | null;
  msPerFrame: number;
}

const f = (x: number | null | undefined, d: number) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

function printTable(title: string, rows: Row[], offBalanced: Map<string, number>): void {
  console.log(`\n${title}`);
  console.log(
    `${'variant'.padEnd(24)}${'flicker'.padStart(8)}${'ratio'.padStart(7)}${'warp'.padStart(9)}${'CDC'.padStart(9)}` +
    `${'AuC'.padStart(7)}${'cbAuC'.padStart(7)}${'dcb'.padStart(7)}${'PSNR'.padStart(7)}${'colour'.padStart(8)}${'ms/f'.padStart(7)}`,
  );
  for (const r of rows) {
    const off = offBalanced.get(r.clip);
    const a = r.accuracy;
    console.log(
      `${r.variant.padEnd(24)}${f(r.video.flicker, 3).padStart(8)}${f(a?.flickerRatio, 2).padStart(7)}` +
      `${f(r.video.warpingError, 5).padStart(9)}${f(r.video.cdc, 5).padStart(9)}${f(a?.auc, 2).padStart(7)}` +
      `${f(a?.aucBalanced, 2).padStart(7)}${f(off === undefined || !a ? null : a.aucBalanced - off, 2).padStart(7)}` +
      `${f(a?.psnr, 2).padStart(7)}${f(a?.colorfulnessRatio, 2).padStart(8)}${f(r.msPerFrame, 2).padStart(7)}`,
    );
  }
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      model: { type: 'string' },
      frames: { type: 'string' },
      size: { type: 'string' },
      clips: { type: 'string' },
      threads: { type: 'string' },
      e2e: { type: 'boolean' },
      json: { type: 'boolean' },
      variants: { type: 'string' },
    },
  });
  const variants: Variant[] = v.variants ? [{ name: 'off', opts: null }, ...(JSON.parse(v.variants) as Variant[])] : VARIANTS;
  const modelPath = v.model ?? 'models/chroma-default.onnx';
  if (!existsSync(modelPath)) {
    console.log(`${modelPath} not found: the default model is not there yet; pass --model PATH to bench another one.`);
    process.exitCode = 5;
    return;
  }
  const maxFrames = Number(v.frames ?? 60);
  const longSide = Number(v.size ?? 320);
  const wanted = v.clips ? v.clips.split(',') : null;
  // The colour clips (measured against their originals) and the real black-and-white film (no
  // ground truth: temporal figures only).
  const clips = [...readdirSync(CLIP_DIR).filter((n) => n.endsWith('.mp4')).sort(), ...readdirSync(join(CLIP_DIR, 'bw')).filter((n) => n.endsWith('.mp4')).sort().map((n) => `bw/${n}`)]
    .filter((n) => !wanted || wanted.some((w) => n.includes(w)));
  const model = await loadModel(modelPath, { device: 'cpu', threads: Number(v.threads ?? 2), log: (l) => console.log(l) });
  console.log(`model ${modelPath} (${model.info.name ?? model.info.kind}), ${maxFrames} frames per clip at long side ${longSide}`);
  const work = join(tmpdir(), `chroma-smoothing-bench-${process.pid}`);
  const rows: Row[] = [];
  const offBalanced = new Map<string, number>();
  try {
    for (const name of clips) {
      const clip = join(CLIP_DIR, name);
      const info = await probeMedia(clip);
      const size = metricSize(info.width, info.height, longSide);
      const bw = name.startsWith('bw/');
      const gray = join(work, name.replace(/^bw\//, '').replace(/\.mp4$/, '-gray.mkv'));
      rmSync(work, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(work, { recursive: true }));
      await makeGray(clip, gray, size.width, size.height, maxFrames);
      const t0 = performance.now();
      const frames = await predict(model, gray);
      const tPredict = (performance.now() - t0) / 1000;
      const costs = variants.map(() => ({ ms: 0, frames: 0 }));
      const colorized: Record<string, Iterable<Uint8Array>> = {};
      variants.forEach((va, i) => (colorized[va.name] = variantFrames(frames, va.opts, costs[i])));
      const t1 = performance.now();
      const r = await measureStreams({
        ...size,
        original: bw ? null : readRgbFrames(clip, { ...size, maxFrames: frames.length }),
        colorized,
        maxFrames: frames.length,
      });
      const clipName = name.replace(/^bw\//, '').replace(/\.mp4$/, '');
      console.log(`\n${clipName}: ${r.frames} frames ${size.width}x${size.height}, model ab ${frames[0].frame.abWidth}x${frames[0].frame.abHeight}; ` +
        `predict ${tPredict.toFixed(1)} s, measure ${((performance.now() - t1) / 1000).toFixed(1)} s; ` +
        `${bw ? 'black-and-white film, no colour original' : `original flicker ${f(r.reference!.flicker, 3)}`}, ${Math.round(100 * (r.nonOccluded ?? 0))}% non-occluded`);
      const clipRows: Row[] = variants.map((va, i) => ({
        clip: clipName,
        variant: va.name,
        video: r.videos[va.name].video,
        reference: r.reference,
        accuracy: r.videos[va.name].accuracy,
        msPerFrame: costs[i].frames ? costs[i].ms / costs[i].frames : 0,
      }));
      if (clipRows[0].accuracy) offBalanced.set(clipName, clipRows[0].accuracy.aucBalanced);
      printTable(clipName, clipRows, offBalanced);
      rows.push(...clipRows);
    }
    // Mean over clips per variant.
    const mean = (xs: (number | null)[]) => {
      const ok = xs.filter((x): x is number => x !== null && Number.isFinite(x));
      return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
    };
    const colourClips = clips.filter((n) => !n.startsWith('bw/'));
    const avg: Row[] = variants.map((va) => {
      const rs = rows.filter((r) => r.variant === va.name && r.accuracy) as (Row & { accuracy: AccuracyMetrics })[];
      return {
        clip: 'mean',
        variant: va.name,
        video: {
          flicker: mean(rs.map((r) => r.video.flicker)), warpingError: mean(rs.map((r) => r.video.warpingError)),
          cdc: mean(rs.map((r) => r.video.cdc)), colorfulness: mean(rs.map((r) => r.video.colorfulness)) ?? 0,
        },
        reference: rs[0]?.reference ?? null,
        accuracy: {
          auc: mean(rs.map((r) => r.accuracy.auc)) ?? 0, aucBalanced: mean(rs.map((r) => r.accuracy.aucBalanced)) ?? 0,
          psnr: mean(rs.map((r) => r.accuracy.psnr)) ?? 0, colorfulnessRatio: mean(rs.map((r) => r.accuracy.colorfulnessRatio)),
          flickerRatio: mean(rs.map((r) => r.accuracy.flickerRatio)),
        },
        msPerFrame: mean(rs.map((r) => r.msPerFrame)) ?? 0,
      };
    });
    if (colourClips.length) {
      offBalanced.set('mean', avg[0].accuracy!.aucBalanced);
      printTable(`mean over the ${colourClips.length} colour clips (flicker ratio = mean of per-clip ratios)`, avg, offBalanced);
    }

    if (v.e2e) {
      // The default (look-ahead, flow, medium) through the real file path: encode included.
      console.log('\nend to end (Colorizer.colorize, look-ahead flow medium vs off, h264 output):');
      const colorizer = await Colorizer.create({ model: modelPath, device: 'cpu', threads: Number(v.threads ?? 2) });
      try {
        for (const name of colourClips) {
          const clip = join(CLIP_DIR, name);
          const info = await probeMedia(clip);
          const size = metricSize(info.width, info.height, longSide);
          await import('node:fs/promises').then((fs) => fs.mkdir(work, { recursive: true }));
          const gray = join(work, name.replace(/\.mp4$/, '-gray.mkv'));
          await makeGray(clip, gray, size.width, size.height, maxFrames);
          for (const [label, smooth] of [['off', 'off'], ['lookahead flow medium', { mode: 'lookahead' }]] as const) {
            const out = join(work, `${name.replace(/\.mp4$/, '')}-${label.replace(/ /g, '-')}.mp4`);
            await colorizer.colorize(gray, out, { smooth, overwrite: true }).done;
            const m = await measureVideo(out, clip, { longSide, maxFrames });
            console.log(`  ${name.replace(/\.mp4$/, '').padEnd(22)}${label.padEnd(24)} flicker ${f(m.video.flicker, 3)} ratio ${f(m.accuracy?.flickerRatio, 2)} ` +
              `warp ${f(m.video.warpingError, 5)} CDC ${f(m.video.cdc, 5)} cbAuC ${f(m.accuracy?.aucBalanced, 2)} PSNR ${f(m.accuracy?.psnr, 2)}`);
          }
        }
      } finally {
        await colorizer.close();
      }
    }
    if (v.json) console.log(JSON.stringify({ rows, mean: avg }));
  } finally {
    rmSync(work, { recursive: true, force: true });
    await model.release();
  }
}

await main();
