import { resolveBenchModels } from './lib/models.js';
import { loadModel } from '../src/model/load-model.js';
import * as ort from 'onnxruntime-node';
const ms = resolveBenchModels(['default', 'eccv16', 'fixture'], '/tmp/chb');
for (const m of ms) {
  const t0 = performance.now();
  const lm = await loadModel(m.path, { device: 'cpu' });
  const x = new ort.Tensor('float32', new Float32Array(256 * 256).map(() => Math.random() - 0.5), [1, 1, 256, 256]);
  const t1 = performance.now(); const o = await lm.session.run({ L: x }); const t2 = performance.now();
  const d = o[lm.outputName].data as Float32Array; let mx = 0, nan = 0; for (const v of d) { if (!Number.isFinite(v)) nan++; mx = Math.max(mx, Math.abs(v)); }
  console.log(m.name, m.source, 'load', (t1 - t0).toFixed(0), 'run256', (t2 - t1).toFixed(0), 'ms', o[lm.outputName].dims, 'max|logit|', mx.toFixed(2), 'nan', nan);
  await lm.release();
}
