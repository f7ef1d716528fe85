// The markdown report of one benchmark run.
import type { BenchResult } from './result.js';
import type { E2eResult } from './e2e.js';

const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const STAGE_ORDER = ['decode', 'l', 'resize', 'infer', 'distribution', 'smooth', 'compose', 'encode'];
const STAGE_LABEL: Record<string, string> = {
  decode: 'decode (ffmpeg, decode-only run)', l: 'L extraction', resize: 'resize for model', infer: 'inference (network)',
  distribution: 'decode distribution (annealed mean)', smooth: 'temporal smoothing', compose: 'compose (Lab -> sRGB)',
  encode: 'encode (pipe write, incl. waiting)',
};

export function reportMarkdown(r: BenchResult, chartFile: string | null): string {
  const L: string[] = [];
  const m = r.machine;
  L.push(`# chroma benchmark: ${m.name}, ${r.date}`);
  L.push('');
  L.push(`${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node}; onnxruntime-node ${m.onnxruntime}. ` +
    `Run took ${f(r.durationSeconds, 0)} s.`);
  if (r.trainingJob.atStart || r.trainingJob.atEnd) {
    L.push('');
    L.push(`**The background training job (training/train.py) was running** (${r.trainingJob.atStart ? 'at start' : ''}${r.trainingJob.atStart && r.trainingJob.atEnd ? ' and ' : ''}${r.trainingJob.atEnd ? 'at end' : ''}): ` +
      'it competes for the cores, so absolute numbers are low and noisy; ratios measured within this run are what count.');
  }
  L.push('');
  L.push('## Models');
  L.push('');
  L.push(table(['name', 'weights', 'source'], r.models.map((x) => [x.name, x.randomWeights ? 'random (timing only)' : 'real', x.source])));
  L.push('');
  L.push(`End-to-end, peer and memory runs use **${r.pipelineModel}**.`);
  L.push('');
  L.push('## Targets');
  L.push('');
  L.push(table(['target', 'value', 'goal', 'met'], r.targets.map((t) => [t.name, typeof t.value === 'number' ? f(t.value) : String(t.value ?? '–'), t.target, t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'])));
  L.push('');
  L.push('## Model-only throughput');
  L.push('');
  for (const p of r.providers) for (const x of p.models) {
    if (!x.ran) L.push(`- ${p.provider.toUpperCase()} / ${x.model}: skipped: ${x.reason}`);
    else if (x.skippedPoints?.length) L.push(`- ${p.provider.toUpperCase()} / ${x.model}: time budget spent, not measured: ${x.skippedPoints.join(', ')}`);
  }
  L.push('');
  L.push('fps = network + annealed-mean decoder (what inference costs the pipeline); net = network alone.');
  L.push('');
  L.push(table(['model', 'provider', 'input', 'batch', 'fps', 'net fps', 'CPU ms/frame'],
    [...r.modelFps].sort((a, b) => a.model.localeCompare(b.model) || a.provider.localeCompare(b.provider) || a.width * a.height - b.width * b.height || a.width - b.width || a.batch - b.batch)
      .map((p) => [p.model, p.provider, `${p.width}x${p.height}`, p.batch, f(p.fps), f(p.netFps), f(p.cpuMsPerFrame, 1)])));
  if (chartFile) {
    L.push('');
    L.push(`![fps vs batch size](${chartFile})`);
  }
  L.push('');
  L.push('## End to end, the codec, pipeline efficiency and model overlap');
  L.push('');
  L.push(`e2e: the whole job (decode, graph, encode) with **${r.pipelineModel}** and with the **null** model (no model cost, gray output). ` +
    'Colour transcode: ffmpeg decoding the colour twin of the clip (the same testsrc2 pattern and settings, in colour) and encoding it with the pipeline\'s encoder settings; ' +
    'gray transcode: the same for the gray source; decode-only: the pipeline\'s decoder command line, frames discarded.');
  L.push('');
  L.push(table(['clip', 'frames', 'model input', `e2e fps (${r.pipelineModel})`, 'e2e fps (null)', 'colour transcode fps', 'gray transcode fps', 'decode-only fps', 'model fps', '**pipeline efficiency**', '**model overlap**'],
    r.e2e.map((e) => {
      const ef = r.efficiency.find((x) => x.clip === e.clip);
      const n = r.e2eNull.find((x) => x.clip === e.clip);
      const ct = r.colourTranscode.find((x) => x.clip === e.clip), t = r.transcode.find((x) => x.clip === e.clip), d = r.decodeOnly.find((x) => x.clip === e.clip);
      return [e.clip, e.frames, `${e.modelWidth}x${e.modelHeight}`, f(e.fps), f(n?.fps), f(ct?.fps), f(t?.fps), f(d?.fps), f(ef?.modelFps), `**${f(ef?.pipeline)}**`, `**${f(ef?.overlap)}**`];
    })));
  L.push('');
  L.push('Pipeline efficiency = null-model e2e fps / colour transcode fps: 1.0 means the pipeline around the model costs nothing beyond decoding and encoding a colour film. ' +
    'Model overlap = e2e fps x (1/colour transcode fps + 1/model fps), model fps at the run\'s tensor shape and batch (network + annealed-mean decoder): 1.0 means codec and model one after the other and nothing else; above 1 they overlap.');
  L.push('');
  L.push('Diagnostics: the null model\'s output is gray, which x264 encodes faster than colour, so "null / gray transcode" is the like-for-like pipeline figure; ' +
    '"old E" is the figure this bench reported before issue 25, against the gray transcode; "E in CPU time" is (colour transcode CPU + model CPU) / e2e CPU per frame.');
  L.push('');
  L.push(table(['clip', 'null / gray transcode', 'old E', 'E in CPU time'], r.e2e.map((e) => {
    const ef = r.efficiency.find((x) => x.clip === e.clip);
    return [e.clip, f(ef?.pipelineVsGray), f(ef?.E), f(ef?.Ecpu)];
  })));
  L.push('');
  L.push('## CPU per frame');
  L.push('');
  L.push('Main thread: its own CPU time from /proc/self/task/PID/stat (user + system, 10 ms ticks) over the run / frames. Loop busy: performance.eventLoopUtilization\'s active time / frames, which also counts time the thread had work but no core (far higher than its CPU on a loaded machine).');
  L.push('');
  const runs = r.e2e.flatMap((e) => [e, r.e2eNull.find((x) => x.clip === e.clip)].filter((x): x is E2eResult => Boolean(x)));
  const head = runs.map((e) => `${e.clip} ${e.model}`);
  L.push(table(['ms/frame', ...head], [
    ['main thread CPU', ...runs.map((e) => f(e.cpuMsPerFrame?.main, 1))],
    ['main thread loop busy', ...runs.map((e) => f(e.loopActiveMsPerFrame, 1))],
    ['other threads CPU (inference worker, ORT)', ...runs.map((e) => f(e.cpuMsPerFrame?.others, 1))],
    ['ffmpeg children CPU', ...runs.map((e) => f(e.cpuMsPerFrame?.children, 1))],
  ]));
  L.push('');
  L.push('## Time per stage');
  L.push('');
  L.push('Milliseconds per frame of wall time inside each stage. Inference runs in a worker thread, so it overlaps the main-thread stages (and for logits models includes the annealed mean, fused into the same ONNX Runtime call; "alone" is its cost in the model-only runs); decode is a separate decode-only ffmpeg run; the encode figure includes waiting for ffmpeg to take the frame.');
  L.push('');
  const stages = STAGE_ORDER.filter((st) => st === 'decode' || st === 'distribution' || runs.some((e) => e.stages[st] !== undefined));
  L.push(table(['stage', ...head], stages.map((st) => [STAGE_LABEL[st] ?? st, ...runs.map((e) => {
    if (st === 'decode') {
      const d = r.decodeOnly.find((x) => x.clip === e.clip);
      return d ? f(1000 / d.fps) : '–';
    }
    if (st === 'distribution' && e.stages[st] === undefined) {
      if (e.model !== r.pipelineModel) return '–';
      // Fused into the inference call in the worker: the model-only runs separate it.
      const ef = r.efficiency.find((x) => x.clip === e.clip);
      return ef ? `in inference (${f(1000 / ef.modelFps - 1000 / ef.netFps)} alone)` : 'in inference';
    }
    return f(e.stages[st]);
  })])));
  if (r.baseline) {
    const b = r.baseline;
    L.push('');
    L.push(`## Against a baseline in the same session: ${b.commit} (${b.dir})`);
    L.push('');
    L.push('Each clip ran with this checkout and then with the baseline\'s, one after the other, with the same model, options and clips.');
    L.push('');
    L.push(table(['clip', 'model', 'this fps', 'baseline fps', '**this / baseline**', 'this main-thread ms', 'baseline main-thread ms'],
      [...r.e2e, ...r.e2eNull].flatMap((e) => {
        const o = (e.model === r.pipelineModel ? b.e2e : b.e2eNull).find((x) => x.clip === e.clip);
        return o ? [[e.clip, e.model, f(e.fps), f(o.fps), `**${f(e.fps / o.fps)}**`, f(e.cpuMsPerFrame?.main, 1), f(o.cpuMsPerFrame?.main, 1)]] : [];
      })));
  }
  for (const p of r.predictions) {
    const c = r.costs.find((x) => x.clip === p.clip);
    if (!c) continue;
    L.push('');
    L.push(`## Prediction for ${p.clip} on a 16-core machine with a GPU`);
    L.push('');
    L.push('From the CPU costs measured here (ms per frame; bench/lib/predict.ts, docs/benchmarks.md say how):');
    L.push('');
    L.push(table(['main thread', 'of it per-pixel stages', 'other threads', 'decode', 'decoder conversion', 'encoder conversion', 'x264 (colour)'],
      [[f(c.mainMs, 1), f(c.perPixelMs, 1), f(c.otherMs, 1), f(c.decodeMs, 1), f(c.decodeConvertMs, 1), f(c.encodeConvertMs, 1), f(c.x264Ms, 1)]]));
    L.push('');
    L.push(table(['per-pixel stages', 'encoder', 'GPU model fps', '**predicted fps**', 'set by', 'next bound'], p.grid.map((g) => {
      const next = Object.entries(g.bounds).filter(([k]) => k !== g.bound).sort((a, b) => a[1] - b[1])[0];
      return [g.layout.workers ? `${g.layout.workers} workers` : 'as measured', g.layout.encoder, g.layout.gpuFps, `**${f(g.fps, 0)}**`, g.bound, next ? `${next[0]} ${f(next[1], 0)}` : '–'];
    })));
  }
  if (r.peer) {
    const p = r.peer;
    L.push('');
    L.push('## Peer: PNG sequence, one frame at a time (DeOldify-style)');
    L.push('');
    L.push(table(['clip', 'frames', 'peer fps', 'ours fps', 'ours / peer', 'extract s', 'colorize s', 'reassemble s'],
      [[p.clip, p.frames, f(p.fps), f(p.oursFps), f(p.ratio), f(p.phases.extract), f(p.phases.colorize), f(p.phases.assemble)]]));
  }
  if (r.memory) {
    const x = r.memory;
    L.push('');
    L.push('## Resident memory over a long clip');
    L.push('');
    L.push(table(['clip', 'frames', 'seconds', 'start MiB', 'min MiB', 'max MiB', 'end MiB', 'slope MiB/min', 'fitted growth MiB', 'ffmpeg max MiB', 'flat'],
      [[x.clip, x.frames, f(x.seconds, 1), f(x.startMB, 0), f(x.minMB, 0), f(x.maxMB, 0), f(x.endMB, 0), f(x.slopeMBPerMin), f(x.fittedGrowthMB, 1), f(x.childrenMaxMB, 0), x.flat ? 'yes' : '**no**']]));
    L.push('');
    L.push('RSS of this process (main thread, inference worker, ONNX Runtime); the slope is fitted after the first 20% of the run.');
  }
  if (r.notes.length) {
    L.push('');
    L.push('## Notes');
    L.push('');
    for (const n of r.notes) L.push(`- ${n}`);
  }
  L.push('');
  return L.join('\n');
}
