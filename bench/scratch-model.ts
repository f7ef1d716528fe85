import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { buildAnnealedMeanDecoder } from '../src/onnx/annealed-mean.js';
const bytes = readFileSync('/tmp/chroma-standin/chroma-default.onnx');
for (const [threads, spin] of [[0, '1'], [2, '1'], [2, '0'], [1, '0']] as const) {
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', executionProviders: ['cpu'], extra: { session: { intra_op: { allow_spinning: spin } } } as any };
  if (threads) opts.intraOpNumThreads = threads;
  const s = await ort.InferenceSession.create(bytes, opts);
  for (const [w, h, n] of [[344, 256, 4], [456, 256, 4]]) {
    const x = new ort.Tensor('float32', new Float32Array(n * w * h).map(() => Math.random() - 0.5), [n, 1, h, w]);
    await s.run({ L: x });
    const t0 = performance.now(); let runs = 0;
    while (performance.now() - t0 < 3000) { await s.run({ L: x }); runs++; }
    const cpu0 = process.cpuUsage();
    console.log(`threads=${threads} spin=${spin} ${w}x${h} b${n}: ${(runs * n / ((performance.now() - t0) / 1000)).toFixed(2)} fps`);
  }
  await s.release();
}
