// Checks the converter on one checkpoint against PyTorch's output:
//
//   node --import tsx src/model/convert-cli-check.ts MODEL.pth INPUT.bin DIMS OUTPUT.bin
//
// INPUT.bin / OUTPUT.bin: little-endian float32; DIMS: the input shape, e.g. 1x1x256x256.
// Prints one JSON line: { arch, maxAbsDiff, loadMs, convertMs, sessionMs, runMs, onnxBytes }.
// Used by training/check_full_eccv16.py.

import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

import { loadStateDict } from './pth/load.js';
import { convertStateDict } from './convert.js';

function f32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

async function main(): Promise<number> {
  const [pth, inPath, dimsArg, outPath] = process.argv.slice(2);
  if (!outPath) {
    process.stderr.write('usage: convert-cli-check MODEL.pth INPUT.bin DIMS OUTPUT.bin\n');
    return 2;
  }
  const t0 = performance.now();
  const sd = loadStateDict(pth);
  const t1 = performance.now();
  const { arch, onnx } = convertStateDict(sd);
  const t2 = performance.now();
  const sess = await ort.InferenceSession.create(Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength));
  const t3 = performance.now();
  const dims = dimsArg.split('x').map(Number);
  const res = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', f32(inPath), dims) });
  const t4 = performance.now();
  const got = res[sess.outputNames[0]].data as Float32Array;
  const want = f32(outPath);
  if (got.length !== want.length) throw new Error(`output has ${got.length} values, PyTorch's has ${want.length}`);
  let maxAbsDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < got.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - want[i]));
    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  }
  const r = (x: number): number => Math.round(x);
  process.stdout.write(JSON.stringify({
    arch, maxAbsDiff, maxAbsOutput: maxAbs, outputDims: res[sess.outputNames[0]].dims,
    loadMs: r(t1 - t0), convertMs: r(t2 - t1), sessionMs: r(t3 - t2), runMs: r(t4 - t3), onnxBytes: onnx.length,
  }) + '\n');
  return 0;
}

main().then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(`${(e as Error).stack ?? e}\n`); process.exitCode = 1; });
