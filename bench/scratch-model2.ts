import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const cpu = () => { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (+f[11] + +f[12]) / 100; };
const bytes = readFileSync('/tmp/chroma-standin/chroma-default.onnx');
for (const [threads, spin] of [[0, '1'], [2, '0'], [1, '0']] as const) {
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', executionProviders: ['cpu'], extra: { session: { intra_op: { allow_spinning: spin } } } as any };
  if (threads) opts.intraOpNumThreads = threads;
  const s = await ort.InferenceSession.create(bytes, opts);
  for (const [w, h, n] of [[344, 256, 4], [456, 256, 4], [456, 256, 1]]) {
    const x = new ort.Tensor('float32', new Float32Array(n * w * h).map(() => Math.random() - 0.5), [n, 1, h, w]);
    await s.run({ L: x });
    const c0 = cpu(); const t0 = performance.now(); let runs = 0;
    while (performance.now() - t0 < 3000) { await s.run({ L: x }); runs++; }
    const f = runs * n, wall = performance.now() - t0;
    console.log(`threads=${threads} spin=${spin} ${w}x${h} b${n}: ${(f / (wall / 1000)).toFixed(2)} fps, cpu ${((cpu() - c0) * 1000 / f).toFixed(1)} ms/f, wall ${(wall / f).toFixed(1)} ms/f`);
  }
  await s.release();
}
