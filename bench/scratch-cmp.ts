import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { randomDefaultArchitecture } from './lib/models.js';
const a = await ort.InferenceSession.create(readFileSync('/tmp/chroma-standin/chroma-default.onnx'), { executionProviders: ['cpu'] });
const b = await ort.InferenceSession.create(randomDefaultArchitecture(), { executionProviders: ['cpu'] });
const data = new Float32Array(4 * 344 * 256); for (let i = 0; i < data.length; i++) data[i] = 0.4 * Math.sin(i * 0.013) * Math.cos(i * 0.0007) + 0.1 * (Math.random() - 0.5);
const x = new ort.Tensor('float32', data, [4, 1, 256, 344]);
await a.run({ L: x }); await b.run({ L: x });
const t = { a: 0, b: 0 };
for (let i = 0; i < 6; i++) { let t0 = performance.now(); await a.run({ L: x }); t.a += performance.now() - t0; t0 = performance.now(); await b.run({ L: x }); t.b += performance.now() - t0; }
console.log('exported ckpt', (24 * 1000 / t.a).toFixed(2), 'fps; random stand-in', (24 * 1000 / t.b).toFixed(2), 'fps');
