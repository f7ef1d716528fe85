// The benchmark suite's behaviour (not its numbers): a quick run with the fixture model on tiny
// clips writes the JSON, markdown and SVG files with the expected content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, REPO } from './helpers/media.js';
import { runBenchCommand } from '../bench/bench-cli.js';
import { randomEccv16StateDict } from '../bench/lib/models.js';
import { linearFit } from '../bench/lib/stats.js';
import { fpsChartSvg } from '../bench/lib/chart-svg.js';
import type { BenchResult } from '../bench/lib/result.js';
import { predictFps, HANDOFF_MS, PARALLEL_EFFICIENCY, type StageCosts } from '../bench/lib/predict.js';

test('a quick run writes <machine>-<date>.json/.md/.svg with every section', async () => {
  const tmp = tempDir('chroma-bench-test-');
  try {
    const code = await runBenchCommand([
      '--quick', '--models', 'fixture', '--device', 'cpu', '--sizes', '64', '--batches', '1,2',
      '--clips', '160x120', '--seconds', '1', '--memory-seconds', '2', '--min-time', '0.05',
      '--machine', 'Test Box', '--out', tmp.dir, '--baseline', REPO,
    ]);
    assert.equal(code, 0);
    const files = readdirSync(tmp.dir).sort();
    assert.equal(files.length, 3, files.join(', '));
    const base = files[0].replace(/\.json$/, '');
    assert.match(base, /^test-box-\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(files, [`${base}.json`, `${base}.md`, `${base}.svg`]);

    const r = JSON.parse(readFileSync(join(tmp.dir, `${base}.json`), 'utf8')) as BenchResult;
    for (const k of ['schema', 'machine', 'date', 'trainingJob', 'models', 'providers', 'modelFps', 'e2e', 'e2eNull', 'transcode', 'colourTranscode', 'decodeOnly', 'efficiency', 'costs', 'predictions', 'peer', 'memory', 'targets', 'notes']) {
      assert.ok(k in r, `key ${k}`);
    }
    assert.equal(r.machine.name, 'test-box');
    assert.equal(typeof r.trainingJob.atStart, 'boolean');
    assert.equal(r.models[0].name, 'fixture');
    // The grid (64x64 at batches 1 and 2) plus the end-to-end run's own shape for E.
    const grid = r.modelFps.filter((p) => p.width === 64);
    assert.deepEqual(grid.map((p) => p.batch).sort(), [1, 2]);
    for (const p of r.modelFps) assert.ok(p.fps > 0 && p.netFps > 0 && p.runs >= 2, JSON.stringify(p));
    assert.equal(r.e2e.length, 1);
    const e = r.e2e[0];
    assert.equal(e.clip, '160x120');
    assert.equal(e.frames, 25);
    for (const s of ['l', 'resize', 'infer', 'compose', 'encode']) assert.ok(typeof e.stages[s] === 'number', `stage ${s}`);
    assert.equal(typeof e.cpuMsPerFrame?.main, 'number');
    assert.ok(e.loopActiveMsPerFrame > 0);
    // The same clip with the null model, through the same stages.
    assert.equal(r.e2eNull.length, 1);
    assert.deepEqual([r.e2eNull[0].model, r.e2eNull[0].clip, r.e2eNull[0].frames], ['null', '160x120', 25]);
    for (const s of ['l', 'resize', 'infer', 'compose', 'encode']) assert.ok(typeof r.e2eNull[0].stages[s] === 'number', `null stage ${s}`);
    assert.ok(r.transcode[0].fps > 0 && r.colourTranscode[0].fps > 0 && r.decodeOnly[0].fps > 0);
    assert.equal(r.efficiency.length, 1);
    const ef = r.efficiency[0];
    assert.ok(ef.pipeline !== null && Math.abs(ef.pipeline - r.e2eNull[0].fps / r.colourTranscode[0].fps) < 1e-9);
    assert.ok(Math.abs(ef.overlap - e.fps * (1 / r.colourTranscode[0].fps + 1 / ef.modelFps)) < 1e-9);
    // --baseline (this very checkout, loaded a second time): the same runs again, side by side.
    assert.ok(r.baseline && r.baseline.dir === REPO);
    assert.deepEqual(r.baseline.e2e.map((x) => [x.clip, x.model, x.frames]), [['160x120', 'fixture', 25]]);
    assert.deepEqual(r.baseline.e2eNull.map((x) => [x.clip, x.model, x.frames]), [['160x120', 'null', 25]]);
    assert.equal(r.predictions.length, 1);
    assert.equal(r.predictions[0].grid.length, 12);
    for (const g of r.predictions[0].grid) assert.ok(g.fps > 0 && g.fps <= g.layout.gpuFps, JSON.stringify(g));
    assert.ok(r.peer && r.peer.frames === 25 && r.peer.ratio > 0);
    assert.ok(r.memory);
    for (const k of ['startMB', 'minMB', 'maxMB', 'endMB', 'slopeMBPerMin'] as const) assert.ok(Number.isFinite(r.memory[k]), k);
    assert.equal(typeof r.memory.flat, 'boolean');
    assert.ok(r.memory.series.length >= 2);
    assert.deepEqual(r.targets.map((t) => t.name), ['pipeline efficiency at 480p', 'pipeline efficiency at 1080p', 'main-thread CPU ms per 1080p frame', 'ours / peer', 'memory flat']);
    assert.equal(r.targets[0].met, null); // no 480p clip in this run

    const md = readFileSync(join(tmp.dir, `${base}.md`), 'utf8');
    for (const h of ['## Targets', '## Model-only throughput', '## Time per stage', '## End to end, the codec, pipeline efficiency and model overlap', '## CPU per frame', '## Against a baseline in the same session', '## Prediction for 160x120', '## Peer', '## Resident memory']) {
      assert.ok(md.includes(h), `markdown section ${h}`);
    }
    assert.ok(md.includes(`](${base}.svg)`), 'markdown links the chart');
    const svg = readFileSync(join(tmp.dir, `${base}.svg`), 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.includes('<path') && svg.includes('64x64 cpu'));
  } finally {
    tmp.cleanup();
  }
});

test('bad options are refused with exit code 2 and nothing written', async () => {
  const tmp = tempDir('chroma-bench-test-');
  try {
    assert.equal(await runBenchCommand(['--no-such-option', '--out', tmp.dir]), 2);
    assert.equal(await runBenchCommand(['--device', 'tpu', '--out', tmp.dir]), 1);
    assert.equal(existsSync(join(tmp.dir, 'x')), false);
    assert.deepEqual(readdirSync(tmp.dir), []);
  } finally {
    tmp.cleanup();
  }
});

test('the random ECCV16 state dict has the published parameter count', () => {
  const sd = randomEccv16StateDict();
  let n = 0;
  for (const [k, t] of sd) if (!k.startsWith('model_out') && !k.includes('running_')) n += t.data.length;
  assert.equal(n, 32_235_385);
});

test('the prediction: the slowest part sets the rate, and moving the per-pixel stages off the main thread lifts its bound', () => {
  const costs: StageCosts = {
    clip: '1080p', width: 1920, height: 1080, mainMs: 50, perPixelMs: 40, otherMs: 2,
    decodeMs: 8, decodeConvertMs: 4, encodeConvertMs: 5, x264Ms: 60,
  };
  const today = predictFps(costs, { cores: 16, workers: 0, gpuFps: 1000, encoder: 'nvenc' });
  assert.equal(today.bound, 'main thread');
  assert.equal(today.fps, 20);
  const pooled = predictFps(costs, { cores: 16, workers: 8, gpuFps: 1000, encoder: 'nvenc' });
  assert.equal(pooled.bound, 'main thread'); // what is left of it: 10 ms and the handoff
  assert.ok(Math.abs(pooled.fps - 1000 / (10 + HANDOFF_MS)) < 1e-9);
  assert.equal(pooled.bounds['pixel pool'], 200);
  assert.equal(pooled.bounds['encoder serial'], 200);
  // x264 on 16 cores: every CPU ms of a frame shared by the cores.
  const x264 = predictFps(costs, { cores: 16, workers: 8, gpuFps: 1000, encoder: 'x264' });
  assert.ok(Math.abs(x264.bounds['all cores'] - (16 * PARALLEL_EFFICIENCY * 1000) / (50 + HANDOFF_MS + 2 + 8 + 4 + 5 + 60)) < 1e-9);
  assert.equal(x264.fps, Math.min(...Object.values(x264.bounds)));
  assert.equal(x264.bounds.NVENC, undefined);
  assert.equal(predictFps({ ...costs, x264Ms: 200 }, { cores: 16, workers: 8, gpuFps: 1000, encoder: 'x264' }).bound, 'all cores');
  // A slow GPU model is the bound.
  assert.equal(predictFps(costs, { cores: 16, workers: 8, gpuFps: 30, encoder: 'nvenc' }).bound, 'model');
});

test('chart and fit helpers', () => {
  assert.deepEqual(linearFit([0, 1, 2], [1, 3, 5]), { intercept: 1, slope: 2 });
  const svg = fpsChartSvg([
    { model: 'm', provider: 'cpu', width: 256, height: 256, batch: 1, fps: 10, netFps: 12, cpuMsPerFrame: null, runs: 3 },
    { model: 'm', provider: 'cpu', width: 256, height: 256, batch: 4, fps: 14, netFps: 16, cpuMsPerFrame: null, runs: 3 },
  ], 'a <title>');
  assert.ok(svg.includes('a &lt;title&gt;') && svg.includes('256x256 cpu'));
});
