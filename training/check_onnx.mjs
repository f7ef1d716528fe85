// Check an exported model in onnxruntime-node: shape, timing, metadata and (optionally) agreement with
// the PyTorch reference output written by export.py.
//   node training/check_onnx.mjs models/chroma-default.onnx [/tmp/chroma_export_x.npy /tmp/chroma_export_y.npy]
import { readFileSync, existsSync } from 'node:fs';
import ort from 'onnxruntime-node';

function readNpyF32(p) {
  const b = readFileSync(p);
  const hlen = b.readUInt16LE(8);
  const body = b.subarray(10 + hlen);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

const [model, xPath, yPath] = process.argv.slice(2);
const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
console.log('inputs', s.inputNames, 'outputs', s.outputNames);
const side = model + '.json';
if (existsSync(side)) console.log('sidecar', readFileSync(side, 'utf8').replace(/\s+/g, ' '));
const x = xPath ? readNpyF32(xPath) : new Float32Array(256 * 256).fill(0);
// A hint-taking model (second input `hints`) is checked without hints: a 0, b 0, mask - 0.5.
const noHints = (n, h, w) => { const p = new Float32Array(n * 3 * h * w); for (let i = 0; i < n; i++) p.fill(-0.5, (i * 3 + 2) * h * w, (i * 3 + 3) * h * w); return new ort.Tensor('float32', p, [n, 3, h, w]); };
const withHints = (f, n, h, w) => (s.inputNames.includes('hints') ? { ...f, hints: noHints(n, h, w) } : f);
const feeds = withHints({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, 256, 256]) }, 1, 256, 256);
let out = await s.run(feeds);
const times = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  out = await s.run(feeds);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const y = out[s.outputNames[0]];
console.log('output', s.outputNames[0], 'dims', y.dims, `median ${times[5].toFixed(1)} ms (${(1000 / times[5]).toFixed(1)} fps) at 1x1x256x256`);
if (yPath) {
  const ref = readNpyF32(yPath);
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i] - y.data[i]));
  console.log('max |onnx - torch| =', m.toExponential(2));
}
const odd = await s.run(withHints({ [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(2 * 176 * 264), [2, 1, 176, 264]) }, 2, 176, 264));
console.log('dynamic check 2x1x176x264 ->', odd[s.outputNames[0]].dims);
