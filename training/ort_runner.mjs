// Helper for training/evaluate.py: runs an ONNX model in onnxruntime-node (the runtime chroma uses).
// Protocol on stdin, one job per line: "<in.f32> <H> <W> <out.f32> [<hints.f32>]"; the input is float32 1x1xHxW,
// the hint planes (models with a `hints` input) float32 1x3xHxW. It first answers "ready" ("ready hints" for such
// a model), then one line per job: "ok <C> <h> <w> <ms>" after writing the first output as raw float32.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ort from 'onnxruntime-node';

const model = process.argv[2];
const threads = Number(process.argv[3] ?? 1);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
const inName = session.inputNames[0];
const hintName = session.inputNames.find((n) => n === 'hints');
const outName = session.outputNames[0];
process.stdout.write(hintName ? 'ready hints\n' : 'ready\n');
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const [inPath, H, W, outPath, hintPath] = line.trim().split(/\s+/);
  if (!inPath) continue;
  const f32 = (p) => { const b = readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
  const feeds = { [inName]: new ort.Tensor('float32', f32(inPath), [1, 1, Number(H), Number(W)]) };
  if (hintName) feeds[hintName] = new ort.Tensor('float32', f32(hintPath), [1, 3, Number(H), Number(W)]);
  const t0 = performance.now();
  const res = await session.run(feeds);
  const ms = performance.now() - t0;
  const out = res[outName];
  writeFileSync(outPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  process.stdout.write(`ok ${out.dims[1]} ${out.dims[2]} ${out.dims[3]} ${ms.toFixed(1)}\n`);
}
