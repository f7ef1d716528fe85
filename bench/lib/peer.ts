// The usual approach of other colorization tools (DeOldify-style), on the same clip and model:
//   1. ffmpeg writes every frame to a PNG file;
//   2. each PNG is colorized on its own: read with sharp, L* extracted, resized for the model,
//      one ONNX Runtime session at batch 1 (plus the annealed-mean decoder), composed with the
//      same Lab maths and code as chroma (src/color, SIMD included), written back as PNG;
//   3. ffmpeg reassembles the PNGs at the source frame rate with the source's audio, using the
//      same encoder settings as chroma.
// Nothing is handicapped: default PNG settings, the model loaded once, the next frame read while
// the previous PNG is still being written.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { FFMPEG } from '../../src/media/ffmpeg-paths.js';
import { probeMedia } from '../../src/media/probe.js';
import { encodeArgs, DEFAULT_ENCODE } from '../../src/media/encode-args.js';
import { loadModel, netFeeds, type Device } from '../../src/model/load-model.js';
import { rgbToL, composeLab, makeUpsampleMap, type UpsampleMap } from '../../src/color/lab.js';
import { PlaneResampler, modelSize } from '../../src/color/resample.js';
import { simdComposer } from '../../src/color/compose-simd.js';
import { DEFAULT_TEMPERATURE } from '../../src/core/defaults.js';

const run = promisify(execFile);

export interface PeerResult {
  clip: string;
  frames: number;
  seconds: number;
  fps: number;
  /** Seconds spent in each phase. */
  phases: { extract: number; colorize: number; assemble: number };
}

export async function runPeer(
  clip: string, label: string, modelPath: string, workDir: string,
  o: { size?: number; device: Device; threads?: number },
): Promise<PeerResult> {
  const info = await probeMedia(clip);
  const inDir = join(workDir, 'peer-in'), outDir = join(workDir, 'peer-out');
  rmSync(inDir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(inDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const model = await loadModel(modelPath, { device: o.device, threads: o.threads, log: () => {} });
  const started = performance.now();
  try {
    // 1. Frames out.
    await run(FFMPEG, ['-nostdin', '-v', 'error', '-y', '-i', clip, '-map', '0:v:0', '-vsync', 'passthrough', join(inDir, '%06d.png')]);
    const tExtract = performance.now();

    // 2. One frame at a time.
    const files = readdirSync(inDir).filter((f) => f.endsWith('.png')).sort();
    const invT = new ort.Tensor('float32', Float32Array.of(1 / DEFAULT_TEMPERATURE), [1]);
    let resampler: PlaneResampler | null = null;
    let upsample: UpsampleMap | null = null;
    let upKey = '';
    let writing: Promise<unknown> = Promise.resolve();
    for (const name of files) {
      const { data, info: im } = await sharp(join(inDir, name)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      const n = im.width * im.height;
      const L = new Float32Array(n);
      rgbToL(data, L, n);
      const size = modelSize(im.width, im.height, o.size ?? model.info.trainSize, model.info.sizeMultiple);
      if (!resampler || resampler.inWidth !== im.width || resampler.inHeight !== im.height || resampler.outWidth !== size.width || resampler.outHeight !== size.height) {
        resampler = new PlaneResampler(im.width, im.height, size.width, size.height);
      }
      const small = new Float32Array(size.width * size.height);
      resampler.run(L, small);
      for (let i = 0; i < small.length; i++) small[i] = (small[i] - model.info.lOffset) * model.info.lScale;
      const out = await model.session.run(netFeeds(model, new ort.Tensor('float32', small, [1, 1, size.height, size.width])));
      let ab = out[model.outputName];
      if (model.annealer) ab = (await model.annealer.run({ logits: ab, inv_t: invT })).ab;
      const abData = ab.data as Float32Array;
      if (!model.annealer && model.info.abScale !== 1) for (let i = 0; i < abData.length; i++) abData[i] *= model.info.abScale;
      const [, , ah, aw] = ab.dims;
      const key = `${im.width}x${im.height}<${aw}x${ah}`;
      if (key !== upKey || !upsample) {
        upsample = makeUpsampleMap(im.width, im.height, aw, ah);
        upKey = key;
      }
      const rgb = Buffer.allocUnsafe(n * 3);
      // The same composition code as the pipeline (WebAssembly SIMD where available).
      const simd = simdComposer();
      if (simd) simd.compose(L, null, abData, aw, ah, im.width, im.height, upsample, rgb);
      else composeLab(L, abData, aw, ah, im.width, im.height, upsample, rgb);
      await writing; // at most one PNG write in flight
      writing = sharp(rgb, { raw: { width: im.width, height: im.height, channels: 3 } }).png().toFile(join(outDir, name));
    }
    await writing;
    const tColor = performance.now();

    // 3. Frames back in, with the source's audio.
    const output = join(workDir, `peer-${label}.mp4`);
    const plan = encodeArgs(output, output, info, DEFAULT_ENCODE);
    await run(FFMPEG, [
      '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error', '-y',
      '-framerate', info.frameRate ?? String(info.fps ?? 25), '-i', join(outDir, '%06d.png'),
      ...plan.args,
    ], { maxBuffer: 16 << 20 });
    const done = performance.now();
    const seconds = (done - started) / 1000;
    return {
      clip: label, frames: files.length, seconds, fps: files.length / seconds,
      phases: { extract: (tExtract - started) / 1000, colorize: (tColor - tExtract) / 1000, assemble: (done - tColor) / 1000 },
    };
  } finally {
    await model.release();
    rmSync(inDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
}
