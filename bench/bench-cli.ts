// `chroma bench` / `npm run bench`: model-only throughput, end-to-end runs with a stage table,
// codec baselines, pipeline efficiency, a PNG-sequence peer and a memory run. One run writes
// <out>/<machine>-<date>.json, .md and .svg.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Colorizer } from '../src/colorizer.js';
import { modelSize } from '../src/color/resample.js';
import { packageRoot } from '../src/core/package-root.js';
import type { Device } from '../src/model/load-model.js';
import { machineInfo, trainingJobRunning, dateStamp } from './lib/machine.js';
import { makeClip, parseSize, clipLabel, type ClipSpec } from './lib/clips.js';
import { resolveBenchModels, type BenchModel } from './lib/models.js';
import { modelFpsGrid, openModel, timePoint, type ModelFpsPoint, type Provider } from './lib/model-fps.js';
import { runE2e, runTranscode, runDecodeOnly, runDecodeNative, runRgbToYuv, type E2eResult, type CodecResult } from './lib/e2e.js';
import { predictionGrid, stageCosts, type StageCosts } from './lib/predict.js';
import { NULL_MODEL } from '../src/onnx/null-model.js';
import { pipeFormats } from '../src/jobs/video-plan.js';
import { probeMedia } from '../src/media/probe.js';
import { DEFAULT_ENCODE } from '../src/media/encode-args.js';
import { runPeer } from './lib/peer.js';
import { runMemory } from './lib/memory.js';
import { efficiency, targets, type BenchResult, type ProviderStatus, type Efficiency } from './lib/result.js';
import { reportMarkdown } from './lib/report-md.js';
import { fpsChartSvg } from './lib/chart-svg.js';
import { round } from './lib/stats.js';

const f1 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(1));
const f2 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(2));
const stageLine = (r: E2eResult) => Object.entries(r.stages).map(([k, x]) => `${k} ${x.toFixed(1)}`).join(', ');

const HELP = `chroma bench [options]

Measures model-only fps; per clip, end-to-end fps with the model and with the null model (a
per-stage table, main-thread CPU), the colour and gray transcode and decode-only fps, the pipeline
efficiency (null e2e / colour transcode) and the model overlap; a prediction for a 16-core machine
with a GPU; a PNG-sequence peer (DeOldify-style) and resident memory over a long clip. Writes
<out>/<machine>-<date>.json, .md (tables) and .svg (fps vs batch size).

  --quick               small grid, short clips (about a minute on 2 cores)
  --models LIST         default, eccv16, null, fixture or .onnx paths (default: default,eccv16).
                        default = models/chroma-default.onnx, or a random-weights stand-in of its
                        architecture while it is missing; eccv16 = the pulled weights, or the
                        full-size architecture with random weights (built in a temp dir)
  --default-stand-in F  an .onnx to use as 'default' while models/chroma-default.onnx is missing
                        (labelled a stand-in; e.g. an export of a training checkpoint)
  --batches LIST        model-only batch sizes (default 1,2,4,8; quick 1,4)
  --sizes LIST          model-only input sizes, square (default 224,256,320; quick 256)
  --device D            cpu | cuda | auto (default auto: CPU always, CUDA too when it loads)
  --threads N           ONNX Runtime intra-op threads (default: ORT's choice)
  --clips LIST          end-to-end clip sizes (default 640x480,1920x1080)
  --seconds N           end-to-end clip length (default 20; quick 2). Shorter clips flatter the
                        efficiency and scatter it: ffmpeg's start and x264's look-ahead flush are a
                        large part of a short transcode (480p null, one machine: 0.70-0.83 over
                        three 4 s runs, 0.66-0.67 over two 20 s runs)
  --fps N               clip frame rate (default 25)
  --batch N             end-to-end batch size (default 4)
  --size N              end-to-end model short side (default: the model's training size)
  --memory-seconds N    long clip for the memory run (default 30; quick 4), 640x480 at 15 fps
  --skip LIST           any of models, e2e, null (the null-model runs), peer, memory
  --baseline DIR        also run each end-to-end clip with the chroma checkout in DIR (another
                        commit, e.g. 'git worktree add /tmp/before main', with node_modules or a
                        symlink to this one's), in the same session, and report this / that
  --min-time S          seconds timed per model-only point (default 2; quick 0.5)
  --budget S            seconds per model and provider for the grid (default 90; quick 20)
  --out DIR             results directory (default bench/results)
  --machine NAME        machine label in file names (default: host name)
  --json                print the result JSON on stdout
  -h, --help`;

function list(s: string | undefined, fallback: string[]): string[] {
  return s === undefined ? fallback : s.split(',').map((x) => x.trim()).filter(Boolean);
}

function ints(s: string | undefined, fallback: number[], what: string): number[] {
  const v = list(s, fallback.map(String)).map(Number);
  if (!v.length || v.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${what}: expected positive integers, got '${s}'`);
  return v;
}

function num(s: string | undefined, fallback: number, what: string, min = 0): number {
  if (s === undefined) return fallback;
  const v = Number(s);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${what}: expected a number >= ${min}, got '${s}'`);
  return v;
}

export interface BenchRun {
  result: BenchResult;
  files: { json: string; md: string; svg: string | null };
}

/** Run the benchmark; returns the process exit code (0 when it ran, whatever the targets say). */
export async function runBenchCommand(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' }, models: { type: 'string' }, batches: { type: 'string' }, sizes: { type: 'string' },
        device: { type: 'string' }, threads: { type: 'string' }, clips: { type: 'string' }, seconds: { type: 'string' },
        fps: { type: 'string' }, batch: { type: 'string' }, size: { type: 'string' }, 'memory-seconds': { type: 'string' },
        skip: { type: 'string' }, 'min-time': { type: 'string' }, budget: { type: 'string' }, out: { type: 'string' },
        machine: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        'default-stand-in': { type: 'string' }, baseline: { type: 'string' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`chroma bench: ${(err as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    const run = await runBench(v);
    if (v.json) process.stdout.write(`${JSON.stringify(run.result, null, 2)}\n`);
    else {
      process.stdout.write(`wrote ${run.files.json}\n      ${run.files.md}\n${run.files.svg ? `      ${run.files.svg}\n` : ''}`);
      for (const t of run.result.targets) {
        const val = typeof t.value === 'number' ? t.value.toFixed(2) : String(t.value ?? '–');
        process.stdout.write(`  ${t.name.padEnd(12)} ${val.padStart(6)}  (target ${t.target}) ${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met'}\n`);
      }
    }
    return 0;
  } catch (err) {
    process.stderr.write(`chroma bench: ${(err as Error).message}\n`);
    return 1;
  }
}

type Values = Record<string, string | boolean | undefined>;

/**
 * Colorizers of another chroma checkout (its own src/, loaded beside ours: tsx compiles it, and its
 * inference worker starts from its own folder), for before/after figures in one session.
 */
async function openBaseline(
  dir: string, model: string, o: { device: Device; threads?: number; nullModel: boolean },
): Promise<{ dir: string; commit: string; colorizer: Colorizer; nullColorizer: Colorizer | null }> {
  const entry = join(dir, 'src', 'colorizer.ts');
  if (!existsSync(entry)) throw new Error(`--baseline: ${dir} is not a chroma checkout (no src/colorizer.ts)`);
  if (!existsSync(join(dir, 'node_modules'))) throw new Error(`--baseline: ${dir} has no node_modules (a symlink to this checkout's will do)`);
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    // not a git checkout: the folder names it
  }
  const mod = (await import(pathToFileURL(entry).href)) as { Colorizer: typeof Colorizer };
  const colorizer = await mod.Colorizer.create({ model, device: o.device, threads: o.threads });
  let nullColorizer: Colorizer | null = null;
  if (o.nullModel) {
    try {
      nullColorizer = await mod.Colorizer.create({ model: NULL_MODEL, device: 'cpu', threads: 1 });
    } catch {
      // a checkout from before the null model
    }
  }
  return { dir, commit, colorizer, nullColorizer };
}

export async function runBench(v: Values): Promise<BenchRun> {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const quick = v.quick === true;
  const device = (s('device') ?? 'auto') as Device;
  if (!['cpu', 'cuda', 'auto'].includes(device)) throw new Error(`--device: expected cpu, cuda or auto, got '${device}'`);
  const threads = s('threads') === undefined ? undefined : ints(s('threads'), [], 'threads')[0];
  const modelNames = list(s('models'), ['default', 'eccv16']);
  const batches = ints(s('batches'), quick ? [1, 4] : [1, 2, 4, 8], 'batches');
  const sizes = ints(s('sizes'), quick ? [256] : [224, 256, 320], 'sizes');
  const clipSizes = list(s('clips'), ['640x480', '1920x1080']).map(parseSize);
  const seconds = num(s('seconds'), quick ? 2 : 20, 'seconds', 0.1);
  const fps = num(s('fps'), 25, 'fps', 1);
  const e2eBatch = ints(s('batch'), [4], 'batch')[0];
  const e2eSize = s('size') === undefined ? undefined : ints(s('size'), [], 'size')[0];
  const memorySeconds = num(s('memory-seconds'), quick ? 4 : 30, 'memory-seconds', 0);
  const skip = new Set(list(s('skip'), []));
  for (const k of skip) if (!['models', 'e2e', 'null', 'peer', 'memory'].includes(k)) throw new Error(`--skip: unknown part '${k}'`);
  const minSeconds = num(s('min-time'), quick ? 0.5 : 2, 'min-time');
  const budget = num(s('budget'), quick ? 20 : 90, 'budget');
  const outDir = resolve(s('out') ?? join(packageRoot(), 'bench', 'results'));
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const machine = machineInfo(s('machine'));
  const startedAt = new Date();
  const t0 = performance.now();
  const trainingAtStart = trainingJobRunning();
  if (trainingAtStart) log('note: training/train.py is running and shares the CPU: absolute numbers will be low and noisy');
  const work = mkdtempSync(join(tmpdir(), 'chroma-bench-'));
  const notes: string[] = [];
  try {
    const models = resolveBenchModels(modelNames, work, s('default-stand-in'));
    for (const m of models) log(`model ${m.name}: ${m.source}`);
    const pipeline: BenchModel = models[0];
    if (!pipeline) throw new Error('--models: no model given');

    // Which providers run: CPU always (unless --device cuda), CUDA when asked or available.
    const providers: Provider[] = device === 'cpu' ? ['cpu'] : device === 'cuda' ? ['cuda'] : ['cpu', 'cuda'];
    const status: ProviderStatus[] = providers.map((p) => ({ provider: p, models: [] }));
    let e2eProvider: Provider = device === 'cuda' ? 'cuda' : 'cpu';
    let cudaMissing: string | null = null;
    if (device === 'auto') {
      const probe = await openModel(pipeline, 'cuda', threads);
      if ('model' in probe) {
        e2eProvider = 'cuda';
        await probe.model.release();
      } else {
        cudaMissing = probe.skipped;
        log(`CUDA skipped: ${probe.skipped}`);
      }
    }

    // The e2e runs' tensor shapes: model fps is needed exactly there for E.
    const clips: ClipSpec[] = clipSizes.map(({ width, height }) => ({ label: clipLabel(width, height), width, height, seconds, fps }));
    const modelFps: ModelFpsPoint[] = [];
    if (!skip.has('models')) {
      for (const st of status) {
        for (const m of models) {
          if (st.provider === 'cuda' && cudaMissing) {
            st.models.push({ model: m.name, ran: false, reason: cudaMissing });
            continue;
          }
          log(`model-only: ${m.name} on ${st.provider}`);
          const r = await modelFpsGrid(m, sizes, batches, [], { provider: st.provider, threads, minSeconds, minRuns: 2, budgetSeconds: budget, log });
          if ('unavailable' in r) {
            st.models.push({ model: m.name, ran: false, reason: r.unavailable });
            log(`  ${st.provider} skipped: ${r.unavailable}`);
          } else {
            st.models.push({ model: m.name, ran: true, skippedPoints: r.skipped });
            modelFps.push(...r.points);
          }
        }
      }
    }

    const e2e: E2eResult[] = [];
    const e2eNull: E2eResult[] = [];
    const transcode: CodecResult[] = [];
    const colourTranscode: CodecResult[] = [];
    const decodeOnly: CodecResult[] = [];
    const eff: Efficiency[] = [];
    const costs: StageCosts[] = [];
    let colorizer: Colorizer | null = null;
    let nullColorizer: Colorizer | null = null;
    const needColorizer = !skip.has('e2e') || !skip.has('memory');
    const warm = async (c: Colorizer) => {
      // Warm-up: starts the inference worker and ORT's kernels, so the timed runs show steady state.
      const clip = await makeClip(work, { label: 'warm-up', width: 320, height: 240, seconds: 1, fps });
      await c.colorize(clip, join(work, 'warm-up.mp4'), { batch: e2eBatch, size: e2eSize, overwrite: true }).done;
    };
    if (needColorizer) {
      colorizer = await Colorizer.create({ model: pipeline.path, device: e2eProvider, threads });
      await warm(colorizer);
    }
    if (!skip.has('e2e') && !skip.has('null')) {
      nullColorizer = await Colorizer.create({ model: NULL_MODEL, device: 'cpu', threads: 1 });
      await warm(nullColorizer);
    }
    const baseline = s('baseline') !== undefined && !skip.has('e2e')
      ? await openBaseline(resolve(s('baseline')!), pipeline.path, { device: e2eProvider, threads, nullModel: !skip.has('null') })
      : null;
    if (baseline) {
      log(`baseline: ${baseline.dir} at ${baseline.commit}${baseline.nullColorizer ? '' : ' (it has no null model)'}`);
      await warm(baseline.colorizer);
      if (baseline.nullColorizer) await warm(baseline.nullColorizer);
    }
    const baselineRuns: { e2e: E2eResult[]; e2eNull: E2eResult[] } = { e2e: [], e2eNull: [] };
    try {
      if (!skip.has('e2e')) {
        const opened = await openModel(pipeline, e2eProvider, threads);
        if ('skipped' in opened) throw new Error(`${pipeline.name} on ${e2eProvider}: ${opened.skipped}`);
        try {
          for (const c of clips) {
            const path = await makeClip(work, c);
            const colourPath = await makeClip(work, c, true);
            log(`end-to-end ${c.label}: ${c.width}x${c.height}, ${c.seconds} s at ${c.fps} fps`);
            const r = await runE2e(colorizer!, path, c.label, work, { batch: e2eBatch, size: e2eSize, model: pipeline.name });
            log(`  ${pipeline.name}: ${r.fps.toFixed(2)} fps, main thread ${f1(r.cpuMsPerFrame?.main)} ms/frame; stages ms/frame ${stageLine(r)}`);
            const n = nullColorizer ? await runE2e(nullColorizer, path, c.label, work, { batch: e2eBatch, size: e2eSize, model: NULL_MODEL }) : null;
            if (n) log(`  null: ${n.fps.toFixed(2)} fps, main thread ${f1(n.cpuMsPerFrame?.main)} ms/frame; stages ms/frame ${stageLine(n)}`);
            if (baseline) {
              const o = { batch: e2eBatch, size: e2eSize, model: pipeline.name };
              const b = await runE2e(baseline.colorizer, path, c.label, work, o);
              baselineRuns.e2e.push(b);
              log(`  baseline ${pipeline.name}: ${b.fps.toFixed(2)} fps, main thread ${f1(b.cpuMsPerFrame?.main)} ms/frame (this / baseline ${(r.fps / b.fps).toFixed(2)})`);
              if (baseline.nullColorizer) {
                const bn = await runE2e(baseline.nullColorizer, path, c.label, work, { ...o, model: NULL_MODEL });
                baselineRuns.e2eNull.push(bn);
                log(`  baseline null: ${bn.fps.toFixed(2)} fps, main thread ${f1(bn.cpuMsPerFrame?.main)} ms/frame`);
              }
            }
            const ct = await runTranscode(colourPath, c.label, work, r.frames, 'colour-transcode');
            const t = await runTranscode(path, c.label, work, r.frames);
            // The decoder and encoder pipes as the pipeline ran them (yuv420p both ways for this gray x264 clip).
            const pipes = pipeFormats(await probeMedia(path), DEFAULT_ENCODE);
            const d = await runDecodeOnly(path, c.label, r.frames, pipes.decode);
            const dn = await runDecodeNative(path, c.label, r.frames);
            const yuv = pipes.encode === 'rgb24' ? await runRgbToYuv(path, c.label, r.frames) : null;
            log(`  colour transcode ${ct.fps.toFixed(2)} fps, gray transcode ${t.fps.toFixed(2)} fps, decode-only (${pipes.decode}) ${d.fps.toFixed(2)} fps; pipes ${pipes.decode} in, ${pipes.encode} out`);
            const dims = modelSize(c.width, c.height, r.size, opened.model.info.sizeMultiple);
            let p = modelFps.find((q) => q.model === pipeline.name && q.provider === e2eProvider && q.width === dims.width && q.height === dims.height && q.batch === e2eBatch);
            if (!p) {
              p = await timePoint(opened.model, pipeline.name, e2eProvider, dims.width, dims.height, e2eBatch, { minSeconds: Math.max(minSeconds, 1), minRuns: 2 });
              modelFps.push(p);
            }
            log(`  model ${dims.width}x${dims.height} batch ${e2eBatch}: ${p.fps.toFixed(2)} fps (net ${p.netFps.toFixed(2)})`);
            e2e.push(r);
            if (n) e2eNull.push(n);
            transcode.push(t);
            colourTranscode.push(ct);
            decodeOnly.push(d);
            const e = efficiency(r, n, { colour: ct, gray: t, decode: d }, modelFps, pipeline.name, e2eProvider);
            if (e) {
              eff.push(e);
              log(`  pipeline efficiency ${f2(e.pipeline)} (vs gray transcode ${f2(e.pipelineVsGray)}), model overlap ${e.overlap.toFixed(2)}`);
            }
            const sc = n ? stageCosts(n, { decodeNative: dn, decodeOnly: d, rgbToYuv: yuv, colourTranscode: ct }) : null;
            if (sc) costs.push(sc);
          }
        } finally {
          await opened.model.release();
        }
      }

      let peer: BenchResult['peer'] = null;
      if (!skip.has('peer') && clips.length) {
        const c = clips[0];
        const path = await makeClip(work, c);
        log(`peer (PNG sequence) on ${c.label}`);
        const p = await runPeer(path, c.label, pipeline.path, work, { size: e2eSize, device: e2eProvider, threads });
        const ours = e2e.find((x) => x.clip === c.label)?.fps ?? (await runE2e(colorizer!, path, c.label, work, { batch: e2eBatch, size: e2eSize, model: pipeline.name })).fps;
        peer = { ...p, oursFps: ours, ratio: ours / p.fps };
        log(`  peer ${p.fps.toFixed(2)} fps, ours ${ours.toFixed(2)} fps: ratio ${peer.ratio.toFixed(2)}`);
      }

      let memory: BenchResult['memory'] = null;
      if (!skip.has('memory') && memorySeconds > 0) {
        const spec: ClipSpec = { label: 'memory', width: 640, height: 480, seconds: memorySeconds, fps: 15 };
        const path = await makeClip(work, spec);
        log(`memory: 640x480, ${memorySeconds} s at 15 fps`);
        const m = await runMemory(colorizer!, path, `640x480-${memorySeconds}s`, work, { batch: e2eBatch, size: e2eSize });
        memory = { ...m, series: m.series.map((x) => [round(x.t, 2), round(x.rssMB, 1), round(x.childrenMB, 1)]) };
        log(`  RSS start ${m.startMB.toFixed(0)} min ${m.minMB.toFixed(0)} max ${m.maxMB.toFixed(0)} end ${m.endMB.toFixed(0)} MiB, slope ${m.slopeMBPerMin.toFixed(2)} MiB/min: ${m.flat ? 'flat' : 'GROWING'}`);
      }

      if (pipeline.randomWeights) notes.push(`The pipeline model '${pipeline.name}' has random weights (${pipeline.source}); its timings stand in for the real model's.`);
      if (cudaMissing) notes.push(`CUDA skipped: ${cudaMissing}`);
      const result: BenchResult = {
        schema: 2, machine, date: dateStamp(startedAt), startedAt: startedAt.toISOString(),
        durationSeconds: (performance.now() - t0) / 1000,
        trainingJob: { atStart: trainingAtStart, atEnd: trainingJobRunning() },
        options: {
          quick, models: modelNames, defaultStandIn: s('default-stand-in') ?? null, batches, sizes, device, threads: threads ?? null, clips: clipSizes.map((c) => `${c.width}x${c.height}`),
          seconds, fps, batch: e2eBatch, size: e2eSize ?? null, memorySeconds, skip: [...skip], minSeconds, budget, e2eProvider,
        },
        models, pipelineModel: pipeline.name, providers: status, modelFps, e2e, e2eNull, transcode, colourTranscode, decodeOnly, efficiency: eff,
        costs, predictions: costs.map((c) => ({ clip: c.clip, grid: predictionGrid(c) })),
        baseline: baseline ? { dir: baseline.dir, commit: baseline.commit, ...baselineRuns } : null,
        peer, memory, targets: [], notes,
      };
      result.targets = targets(result);
      mkdirSync(outDir, { recursive: true });
      const base = join(outDir, `${machine.name}-${result.date}`);
      const files = { json: `${base}.json`, md: `${base}.md`, svg: modelFps.length ? `${base}.svg` : null };
      if (files.svg) writeFileSync(files.svg, fpsChartSvg(modelFps, `chroma model-only fps, ${machine.name} ${result.date}`));
      writeFileSync(files.md, reportMarkdown(result, files.svg ? `${machine.name}-${result.date}.svg` : null));
      writeFileSync(files.json, `${JSON.stringify(result, null, 2)}\n`);
      return { result, files };
    } finally {
      await colorizer?.close();
      await nullColorizer?.close();
      await baseline?.colorizer.close();
      await baseline?.nullColorizer?.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
