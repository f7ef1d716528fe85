import { loadModel } from '../src/model/load-model.js';
import { InferWorker } from '../src/workers/infer-client.js';
const m = await loadModel('/tmp/chroma-standin/chroma-default.onnx', { device: 'cpu' });
const w = InferWorker.for(m);
console.log('ready?', await w.ready, w.state, w.reason);
const r = await w.run(new Float32Array(256 * 256), [1, 1, 256, 256], 1 / 0.38);
console.log(r.dims, r.decoded, r.netMs.toFixed(1), r.decodeMs.toFixed(1), r.input.length);
await m.release();
console.log('state after release', w.state);
