// Helper for training/evaluate.py: runs an ONNX model in onnxruntime-node (the runtime chroma uses).
// Protocol on stdin, one job per line: "<in.f32> <H> <W> <out.f32>"; the input is float32 1x1xHxW.
// Answers one line per job: "ok <C> <h> <w> <ms>" after writing the first output as raw float32.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ort from 'onnxruntime-node';

const model = process.argv[2];
const threads = Number(process.argv[3] ?? 1);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
const inName = session.inputNames[0];
const outName = session.outputNames[0];
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const [inPath, H, W, outPath] = line.trim().split(/\s+/);
  if (!inPath) continue;
  const buf = readFileSync(inPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const t0 = performance.now();
  const res = await session.run({ [inName]: new ort.Tensor('float32', data, [1, 1, Number(H), Number(W)]) });
  const ms = performance.now() - t0;
  const out = res[outName];
  writeFileSync(outPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  process.stdout.write(`ok ${out.dims[1]} ${out.dims[2]} ${out.dims[3]} ${ms.toFixed(1)}\n`);
}
