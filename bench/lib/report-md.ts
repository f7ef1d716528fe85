// The markdown report of one benchmark run.
import type { BenchResult } from './result.js';

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
  L.push('## Time per stage (end-to-end runs)');
  L.push('');
  L.push('Milliseconds per frame of wall time inside each stage. Inference runs in a worker thread, so it overlaps the main-thread stages (and for logits models includes the annealed mean, fused into the same ONNX Runtime call; "alone" is its cost in the model-only runs); decode is a separate decode-only ffmpeg run; the encode figure includes waiting for ffmpeg to take the frame.');
  L.push('');
  const clips = r.e2e.map((e) => e.clip);
  const stages = STAGE_ORDER.filter((s) => s === 'decode' || s === 'distribution' || r.e2e.some((e) => e.stages[s] !== undefined));
  L.push(table(['stage', ...clips], stages.map((s) => [STAGE_LABEL[s] ?? s, ...r.e2e.map((e) => {
    if (s === 'decode') {
      const d = r.decodeOnly.find((x) => x.clip === e.clip);
      return d ? f(1000 / d.fps) : '–';
    }
    if (s === 'distribution' && e.stages[s] === undefined) {
      // Fused into the inference call in the worker: the model-only runs separate it.
      const ef = r.efficiency.find((x) => x.clip === e.clip);
      return ef ? `in inference (${f(1000 / ef.modelFps - 1000 / ef.netFps)} alone)` : 'in inference';
    }
    return f(e.stages[s]);
  })])));
  L.push('');
  L.push(table(['CPU ms/frame', ...clips], [
    ['main thread (JS stages, pipes)', ...r.e2e.map((e) => f(e.cpuMsPerFrame?.main, 1))],
    ['other threads (inference worker, ORT)', ...r.e2e.map((e) => f(e.cpuMsPerFrame?.others, 1))],
    ['ffmpeg children', ...r.e2e.map((e) => f(e.cpuMsPerFrame?.children, 1))],
  ]));
  L.push('');
  L.push('## End-to-end, codec baselines and efficiency');
  L.push('');
  L.push(table(['clip', 'frames', 'batch', 'model input', 'e2e fps', 'transcode fps', 'decode-only fps', 'model fps', 'net fps', '**E**'],
    r.e2e.map((e) => {
      const t = r.transcode.find((x) => x.clip === e.clip), d = r.decodeOnly.find((x) => x.clip === e.clip);
      const ef = r.efficiency.find((x) => x.clip === e.clip);
      return [e.clip, e.frames, e.batch, `${e.modelWidth}x${e.modelHeight}`, f(e.fps), f(t?.fps), f(d?.fps), f(ef?.modelFps), f(ef?.netFps), `**${f(ef?.E)}**`];
    })));
  L.push('');
  L.push('E = e2e_fps x (1/transcode_fps + 1/model_fps), model_fps at the run\'s tensor shape and batch (network + annealed-mean decoder): 1.0 means the pipeline costs nothing beyond the codec and the model run one after the other; above 1 it overlaps them.');
  L.push('');
  L.push('Diagnostics (not the target): E with the network alone as the model; E with the transcode of the colour output (colour costs x264 more than the gray source); E in CPU time ((transcode CPU + model CPU) / pipeline CPU per frame, steadier on a shared machine).');
  L.push('');
  L.push(table(['clip', 'E (net only)', 'colour transcode fps', 'E (colour transcode)', 'E (CPU time)'], r.e2e.map((e) => {
    const ef = r.efficiency.find((x) => x.clip === e.clip), ct = r.colourTranscode.find((x) => x.clip === e.clip);
    return [e.clip, f(ef?.Enet), f(ct?.fps), f(ef?.EcolourCodec), f(ef?.Ecpu)];
  })));
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
