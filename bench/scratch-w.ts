import { Worker } from 'node:worker_threads';
const code = `
const { parentPort } = require('node:worker_threads');
const ort = require('onnxruntime-node');
const fs = require('node:fs');
(async () => {
  const s = await ort.InferenceSession.create(fs.readFileSync('/tmp/chroma-standin/chroma-default.onnx'), { executionProviders: ['cpu'] });
  const x = new ort.Tensor('float32', new Float32Array(456 * 256), [1, 1, 256, 456]);
  const out = (await s.run({ L: x })).logits;
  let transferable = true;
  try { parentPort.postMessage({ d: out.data }, [out.data.buffer]); } catch (e) { transferable = String(e); }
  parentPort.postMessage({ transferable, len: out.data.length, byteOffset: out.data.byteOffset, bl: out.data.buffer.byteLength });
})();`;
const w = new Worker(code, { eval: true });
w.on('message', (m) => { console.log(Object.keys(m), m.transferable ?? '', m.len ?? '', m.byteOffset ?? '', m.bl ?? '', m.d?.length ?? ''); });
w.on('error', (e) => console.log('err', e));
setTimeout(() => w.terminate(), 4000);
