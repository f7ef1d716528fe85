// Which models the benchmark runs, resolved to ONNX files: the built-in model (or, while it does
// not exist yet, a stand-in of its architecture with random weights, labelled as such), ECCV16
// (the pulled weights, or the full-size architecture with random weights built in memory: same
// cost, meaningless colours), or any ONNX path. Generated files go to a temporary directory and
// are removed with it; nothing large is written into the repository.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, basename, resolve } from 'node:path';
import { DEFAULT_MODEL_PATH } from '../../src/model/registry.js';
import { modelsCacheDir } from '../../src/model/registry.js';
import { convertEccv16 } from '../../src/model/convert.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { NULL_MODEL } from '../../src/onnx/null-model.js';
import { META_KEYS } from '../../src/core/model-contract.js';
import { makeLogitsFixture } from '../../test/helpers/model-fixtures.js';
import type { StateDict } from '../../src/model/pth/load.js';

export interface BenchModel {
  /** Name used in tables and --models. */
  name: string;
  path: string;
  /** True when the weights are random (timings only: the colours mean nothing). */
  randomWeights: boolean;
  /** One line on where it came from. */
  source: string;
}

/** Deterministic uniform noise in [-1, 1) (xorshift32). */
function noise(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 31) - 1;
  };
}

/** He-uniform weights for a layer with `fanIn` inputs (keeps activations O(1) through ReLUs). */
function heUniform(n: number, fanIn: number, rnd: () => number): Float32Array {
  const a = Math.sqrt(6 / fanIn);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd() * a;
  return out;
}

/** A full-size ECCV16 state dict (key names and shapes of MODELS.md) with random weights. */
export function randomEccv16StateDict(seed = 16): StateDict {
  const rnd = noise(seed);
  const sd: StateDict = new Map();
  const conv = (key: string, cout: number, cin: number, k: number) => {
    sd.set(`${key}.weight`, { dims: [cout, cin, k, k], data: heUniform(cout * cin * k * k, cin * k * k, rnd) });
    sd.set(`${key}.bias`, { dims: [cout], data: new Float32Array(cout) });
  };
  const bn = (key: string, c: number) => {
    sd.set(`${key}.weight`, { dims: [c], data: new Float32Array(c).fill(1) });
    sd.set(`${key}.bias`, { dims: [c], data: new Float32Array(c) });
    sd.set(`${key}.running_mean`, { dims: [c], data: new Float32Array(c) });
    sd.set(`${key}.running_var`, { dims: [c], data: new Float32Array(c).fill(1) });
  };
  const block = (name: string, chans: number[]) => {
    for (let i = 0; i < chans.length - 1; i++) conv(`${name}.${2 * i}`, chans[i + 1], chans[i], 3);
    bn(`${name}.${2 * (chans.length - 1)}`, chans[chans.length - 1]);
  };
  block('model1', [1, 64, 64]);
  block('model2', [64, 128, 128]);
  block('model3', [128, 256, 256, 256]);
  block('model4', [256, 512, 512, 512]);
  block('model5', [512, 512, 512, 512]);
  block('model6', [512, 512, 512, 512]);
  block('model7', [512, 512, 512, 512]);
  // model8.0: ConvTranspose 512 -> 256, k4 (PyTorch layout in x out x kh x kw).
  sd.set('model8.0.weight', { dims: [512, 256, 4, 4], data: heUniform(512 * 256 * 16, 512 * 4, rnd) });
  sd.set('model8.0.bias', { dims: [256], data: new Float32Array(256) });
  conv('model8.2', 256, 256, 3);
  conv('model8.4', 256, 256, 3);
  conv('model8.6', 313, 256, 1);
  sd.set('model_out.0.weight', { dims: [2, 313, 1, 1], data: new Float32Array(626) });
  return sd;
}

/**
 * Channel widths of the built-in model's architecture: the config it was trained with
 * (training/config-ctx.json, the second stage; training/config.json for the first-stage widths).
 */
function defaultWidths(): { c1: number; c2: number; c3: number; c4: number; cd: number; c5: number } {
  const w = { c1: 24, c2: 48, c3: 96, c4: 160, cd: 112, c5: 128 };
  for (const name of ['config-ctx.json', 'config.json']) {
    try {
      const file = join(DEFAULT_MODEL_PATH, '..', '..', 'training', name);
      const m = (JSON.parse(readFileSync(file, 'utf8')) as { model?: Partial<typeof w> }).model ?? {};
      return { ...w, c5: 0, ...m };
    } catch {
      // try the next config
    }
  }
  return w;
}

/**
 * The built-in model's architecture (training/common.py ColorNet: a small U-Net, L -> 313 logits
 * at 1/4, plus the 1/16-1/32 context branch when c5 > 0) with random weights and BatchNorm folded
 * into the convolutions, as ORT would run it.
 */
export function randomDefaultArchitecture(seed = 7): Uint8Array {
  const { c1, c2, c3, c4, cd, c5 } = defaultWidths();
  const rnd = noise(seed);
  const g = new GraphBuilder({ name: 'chroma_default_standin', producerName: 'chroma bench' });
  g.addInput('L', ['N', 1, 'H', 'W']);
  let n = 0;
  const conv = (x: string, cin: number, cout: number, k: number, o: { stride?: number; dil?: number; relu?: boolean } = {}) => {
    const d = o.dil ?? 1, s = o.stride ?? 1, p = k === 1 ? 0 : d;
    const w = g.addInitializer(`w${n}`, heUniform(cout * cin * k * k, cin * k * k, rnd), [cout, cin, k, k]);
    const b = g.addInitializer(`b${n++}`, new Float32Array(cout), [cout]);
    const y = g.node('Conv', [x, w, b], { kernel_shape: [k, k], strides: [s, s], dilations: [d, d], pads: [p, p, p, p] });
    return o.relu === false ? y : g.node('Relu', [y]);
  };
  let x = conv('L', 1, c1, 3);
  x = conv(x, c1, c2, 3, { stride: 2 });
  let s3 = conv(x, c2, c3, 3, { stride: 2 });
  s3 = conv(s3, c3, c3, 3);
  let y = conv(s3, c3, c4, 3, { stride: 2 });
  y = conv(y, c4, c4, 3, { dil: 2 });
  y = conv(y, c4, c4, 3, { dil: 4 });
  y = conv(y, c4, c4, 3);
  if (c5) {
    let z = conv(y, c4, c5, 3, { stride: 2 });
    z = conv(z, c5, c5, 3);
    z = conv(z, c5, c5, 3, { stride: 2 });
    z = conv(z, c5, c5, 3);
    const local = conv(z, c5, c4, 1, { relu: false });
    const global = conv(g.node('GlobalAveragePool', [z]), c5, c4, 1, { relu: false });
    // Resize the 1/32 map to exactly the 1/8 map's size (not a fixed scale: H/8 need not be even).
    const sizes = g.node('Concat', [g.node('Shape', [local], { end: 2 }), g.node('Shape', [y], { start: 2 })], { axis: 0 });
    const up = g.node('Resize', [local, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
    y = g.node('Add', [g.node('Add', [y, up]), global]);
  }
  y = conv(y, c4, c3, 1);
  const scales = g.addInitializer('up_scales', Float32Array.of(1, 1, 2, 2), [4]);
  y = g.node('Resize', [y, '', scales], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  let z = g.node('Concat', [y, s3], { axis: 1 });
  z = conv(z, 2 * c3, cd, 3);
  z = conv(z, cd, cd, 3);
  const head = conv(z, cd, 313, 1, { relu: false });
  g.node('Identity', [head], {}, 'logits');
  g.addOutput('logits', ['N', 313, 'h', 'w']);
  g.setMetadataProps({
    [META_KEYS.kind]: 'logits313', [META_KEYS.lOffset]: 50, [META_KEYS.lScale]: 0.01, [META_KEYS.trainSize]: 256,
    [META_KEYS.sizeMultiple]: 8, [META_KEYS.abScale]: 1, [META_KEYS.name]: 'chroma-default-standin',
  });
  return g.serialize();
}

/**
 * Resolve the --models list to files, generating stand-ins into `tmpDir`. `standIn`: a file to
 * use as 'default' while the built-in model is missing (e.g. an export of a training checkpoint).
 */
export function resolveBenchModels(names: string[], tmpDir: string, standIn?: string): BenchModel[] {
  const out: BenchModel[] = [];
  for (const name of names) {
    if (name === 'default') {
      if (existsSync(DEFAULT_MODEL_PATH)) {
        out.push({ name: 'default', path: DEFAULT_MODEL_PATH, randomWeights: false, source: 'built-in models/chroma-default.onnx' });
      } else if (standIn) {
        const path = resolve(standIn);
        if (!existsSync(path)) throw new Error(`--default-stand-in: ${standIn}: no such file`);
        out.push({ name: 'default', path, randomWeights: false, source: `STAND-IN: ${path} (models/chroma-default.onnx is missing)` });
      } else {
        const path = join(tmpDir, 'chroma-default-standin.onnx');
        writeFileSync(path, randomDefaultArchitecture());
        out.push({
          name: 'default', path, randomWeights: true,
          source: 'STAND-IN: models/chroma-default.onnx is missing; its architecture (training/config.json widths) with random weights',
        });
      }
    } else if (name === 'eccv16') {
      const pulled = join(modelsCacheDir(), 'eccv16.onnx');
      if (existsSync(pulled)) {
        out.push({ name: 'eccv16', path: pulled, randomWeights: false, source: `pulled weights (${pulled})` });
      } else {
        const path = join(tmpDir, 'eccv16-random.onnx');
        writeFileSync(path, convertEccv16(randomEccv16StateDict(), { name: 'eccv16-random' }));
        out.push({ name: 'eccv16', path, randomWeights: true, source: 'full-size ECCV16 architecture with random weights (not pulled; built in a temp dir)' });
      }
    } else if (name === NULL_MODEL) {
      out.push({ name: NULL_MODEL, path: NULL_MODEL, randomWeights: false, source: 'built-in null model: gray output, no computation (measures the pipeline)' });
    } else if (name === 'fixture') {
      const path = join(tmpDir, 'fixture-logits.onnx');
      writeFileSync(path, makeLogitsFixture());
      out.push({ name: 'fixture', path, randomWeights: true, source: 'tiny test fixture (AveragePool + 1x1 conv)' });
    } else {
      const path = resolve(name);
      if (!existsSync(path)) throw new Error(`--models: '${name}' is not default, eccv16, null, fixture or an existing .onnx file`);
      out.push({ name: basename(path).replace(/\.onnx$/i, ''), path, randomWeights: false, source: path });
    }
  }
  return out;
}
