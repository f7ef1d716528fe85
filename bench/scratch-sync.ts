import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
const s = await ort.InferenceSession.create(readFileSync('/tmp/chroma-standin/chroma-default.onnx'), { executionProviders: ['cpu'] });
const x = new ort.Tensor('float32', new Float32Array(4 * 456 * 256), [4, 1, 256, 456]);
await s.run({ L: x });
let ticks = 0; const iv = setInterval(() => ticks++, 5);
const t0 = performance.now(); await s.run({ L: x }); const dt = performance.now() - t0;
clearInterval(iv);
console.log('run ms', dt.toFixed(0), 'timer ticks during run', ticks);
