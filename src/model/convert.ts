// Converts the authors' ECCV16 / SIGGRAPH17 state dicts (see shared/reference/MODELS.md) into ONNX
// models that follow chroma's model contract. Channel widths are read from the tensors; strides,
// dilations and paddings come from the published architectures.

import { GraphBuilder } from '../onnx/builder.js';
import { DEFAULT_MODEL_INFO, HINTS_INPUT, META_KEYS, type ModelKind } from '../core/model-contract.js';
import type { StateDict, StateTensor } from './pth/load.js';

export type Architecture = 'eccv16' | 'siggraph17';

export class ConvertError extends Error {
  override name = 'ConvertError';
}

export interface ConvertOptions {
  /** chroma.name metadata (default: the architecture name). */
  name?: string;
  /** Extra metadata_props to write (e.g. the source file's SHA-256). */
  metadata?: Record<string, string | number>;
}

/** Which of the two architectures a state dict holds, or null when it is neither. */
export function detectArchitecture(sd: StateDict): Architecture | null {
  if (sd.has('model8up.0.weight') && sd.has('model_out.0.weight') && sd.has('model10.1.weight')) return 'siggraph17';
  const last = sd.get('model8.6.weight');
  if (last && last.dims[0] === 313 && !sd.has('model8up.0.weight')) return 'eccv16';
  return null;
}

interface Value {
  name: string;
  channels: number;
}

/** Emits layers of a state dict into a graph, checking every shape it reads. */
class Emitter {
  private prev = 'the input';
  constructor(readonly g: GraphBuilder, readonly sd: StateDict, readonly arch: string) {}

  tensor(key: string, rank?: number, dims?: (number | null)[]): StateTensor {
    const t = this.sd.get(key);
    if (!t) throw new ConvertError(`${this.arch} state dict: missing key "${key}"`);
    if (rank !== undefined && t.dims.length !== rank) {
      throw new ConvertError(`${this.arch} state dict: "${key}" has shape [${t.dims.join(', ')}], expected ${rank} dimensions`);
    }
    if (dims) {
      dims.forEach((d, i) => {
        if (d !== null && t.dims[i] !== d) {
          throw new ConvertError(`${this.arch} state dict: "${key}" has shape [${t.dims.join(', ')}], expected dimension ${i} = ${d}`);
        }
      });
    }
    return t;
  }

  private init(key: string, t: StateTensor): string {
    return this.g.addInitializer(key, t.data, t.dims);
  }

  private checkIn(key: string, got: number, x: Value): void {
    if (got !== x.channels) {
      throw new ConvertError(`${this.arch} state dict: "${key}" expects ${got} input channels but ${this.prev} gives ${x.channels}`);
    }
  }

  /** Conv2d at `<prefix>.weight/.bias`; padding = dilation * (k - 1) / 2 unless given. */
  conv(x: Value, prefix: string, o: { stride?: number; dilation?: number; pad?: number; weight?: StateTensor } = {}): Value {
    const w = o.weight ?? this.tensor(`${prefix}.weight`, 4);
    const [cout, cin, kh, kw] = w.dims;
    this.checkIn(`${prefix}.weight`, cin, x);
    const b = this.tensor(`${prefix}.bias`, 1, [cout]);
    const d = o.dilation ?? 1;
    const s = o.stride ?? 1;
    const ph = o.pad ?? (d * (kh - 1)) / 2;
    const pw = o.pad ?? (d * (kw - 1)) / 2;
    this.init(`${prefix}.weight`, w);
    this.init(`${prefix}.bias`, b);
    const name = this.g.node('Conv', [x.name, `${prefix}.weight`, `${prefix}.bias`], {
      kernel_shape: [kh, kw],
      strides: [s, s],
      dilations: [d, d],
      pads: [ph, ph, pw, pw],
    });
    this.prev = prefix;
    return { name, channels: cout };
  }

  /** ConvTranspose2d (PyTorch weight layout in x out x kh x kw, same as ONNX). */
  convT(x: Value, prefix: string, o: { stride: number; pad: number }): Value {
    const w = this.tensor(`${prefix}.weight`, 4);
    const [cin, cout, kh, kw] = w.dims;
    this.checkIn(`${prefix}.weight`, cin, x);
    const b = this.tensor(`${prefix}.bias`, 1, [cout]);
    this.init(`${prefix}.weight`, w);
    this.init(`${prefix}.bias`, b);
    const name = this.g.node('ConvTranspose', [x.name, `${prefix}.weight`, `${prefix}.bias`], {
      kernel_shape: [kh, kw],
      strides: [o.stride, o.stride],
      pads: [o.pad, o.pad, o.pad, o.pad],
    });
    this.prev = prefix;
    return { name, channels: cout };
  }

  bn(x: Value, prefix: string): Value {
    const c = x.channels;
    const names = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => {
      const key = `${prefix}.${p}`;
      const t = this.tensor(key, 1);
      if (t.dims[0] !== c) throw new ConvertError(`${this.arch} state dict: "${key}" has ${t.dims[0]} channels but ${this.prev} gives ${c}`);
      return this.init(key, t);
    });
    const name = this.g.node('BatchNormalization', [x.name, ...names], { epsilon: 1e-5 });
    this.prev = prefix;
    return { name, channels: c };
  }

  relu(x: Value): Value {
    return { name: this.g.node('Relu', [x.name]), channels: x.channels };
  }

  /** A block of `n` (conv, ReLU) pairs at indices 0,2,4,... followed by BatchNorm at index 2n. */
  convBlock(x: Value, block: string, n: number, o: { lastStride?: number; dilation?: number } = {}): Value {
    let y = x;
    for (let i = 0; i < n; i++) {
      y = this.conv(y, `${block}.${2 * i}`, {
        stride: i === n - 1 ? o.lastStride ?? 1 : 1,
        dilation: o.dilation ?? 1,
      });
      y = this.relu(y);
    }
    return this.bn(y, `${block}.${2 * n}`);
  }

  add(a: Value, b: Value, what: string): Value {
    if (a.channels !== b.channels) throw new ConvertError(`${this.arch} state dict: ${what}: ${a.channels} vs ${b.channels} channels`);
    return { name: this.g.node('Add', [a.name, b.name]), channels: a.channels };
  }
}

function metadata(g: GraphBuilder, kind: ModelKind, name: string, arch: Architecture, extra: Record<string, string | number> = {}): void {
  g.setMetadataProps({
    [META_KEYS.kind]: kind,
    [META_KEYS.lOffset]: DEFAULT_MODEL_INFO.lOffset,
    [META_KEYS.lScale]: DEFAULT_MODEL_INFO.lScale,
    [META_KEYS.trainSize]: 256,
    [META_KEYS.sizeMultiple]: 8,
    [META_KEYS.abScale]: 1,
    [META_KEYS.name]: name,
    'chroma.arch': arch,
    ...extra,
  });
}

function requireArch(sd: StateDict, want: Architecture): void {
  const got = detectArchitecture(sd);
  if (got === want) return;
  if (got) throw new ConvertError(`state dict is ${got.toUpperCase()}, not ${want.toUpperCase()}`);
  // Neither: let the emitter name the first missing key.
}

/**
 * ECCV16 → ONNX (opset 17). Input `L` N x 1 x H x W (normalised (L - 50) / 100, H, W multiples of
 * 8); output `logits` N x 313 x H/4 x W/4 (model8). model_out is dropped: chroma decodes the logits
 * with the annealed mean. Metadata kind "logits313".
 */
export function convertEccv16(sd: StateDict, opts: ConvertOptions = {}): Uint8Array {
  requireArch(sd, 'eccv16');
  const g = new GraphBuilder({ name: 'eccv16', producerName: 'chroma convert', docString: 'Zhang, Isola & Efros ECCV16 colorization (model8 logits)' });
  const e = new Emitter(g, sd, 'ECCV16');
  g.addInput('L', ['N', 1, 'H', 'W']);
  let x: Value = { name: 'L', channels: 1 };
  e.tensor('model1.0.weight', 4, [null, 1]);
  x = e.convBlock(x, 'model1', 2, { lastStride: 2 });
  x = e.convBlock(x, 'model2', 2, { lastStride: 2 });
  x = e.convBlock(x, 'model3', 3, { lastStride: 2 });
  x = e.convBlock(x, 'model4', 3);
  x = e.convBlock(x, 'model5', 3, { dilation: 2 });
  x = e.convBlock(x, 'model6', 3, { dilation: 2 });
  x = e.convBlock(x, 'model7', 3);
  x = e.relu(e.convT(x, 'model8.0', { stride: 2, pad: 1 }));
  x = e.relu(e.conv(x, 'model8.2'));
  x = e.relu(e.conv(x, 'model8.4'));
  e.tensor('model8.6.weight', 4, [313, null, 1, 1]);
  x = e.conv(x, 'model8.6');
  g.node('Identity', [x.name], {}, 'logits');
  g.addOutput('logits', ['N', 313, 'h', 'w']);
  metadata(g, 'logits313', opts.name ?? 'eccv16', 'eccv16', opts.metadata);
  return g.serialize();
}

/**
 * SIGGRAPH17 → ONNX (opset 17). Input `L` N x 1 x H x W (normalised, H, W multiples of 8) and,
 * when the state dict's first conv has its 4 input channels (the authors' release does), the
 * contract's `hints` input N x 3 x H x W (a/110, b/110, mask - 0.5): the authors' net reads the mask
 * uncentred (0 = no hint, 1 = hint), so 0.5 is added back to the mask plane before L and the hint
 * planes are concatenated into the first conv. With the contract's "no hints" planes that is
 * exactly the authors' automatic mode (hint channels all zero). A 1-channel first conv gives an
 * L-only model. Subsampling between blocks 1-4 is Slice with steps 2.
 * Output `ab` N x 2 x H x W = 110 · tanh(model_out(...)). Metadata kind "ab", ab_scale 1.
 */
export function convertSiggraph17(sd: StateDict, opts: ConvertOptions = {}): Uint8Array {
  requireArch(sd, 'siggraph17');
  const g = new GraphBuilder({ name: 'siggraph17', producerName: 'chroma convert', docString: 'Zhang et al. SIGGRAPH17 user-guided colorization (L and optional colour hints)' });
  const e = new Emitter(g, sd, 'SIGGRAPH17');
  g.addInput('L', ['N', 1, 'H', 'W']);

  const w0 = e.tensor('model1.0.weight', 4);
  const cin = w0.dims[1];
  if (cin !== 4 && cin !== 1) throw new ConvertError(`SIGGRAPH17 state dict: "model1.0.weight" has ${cin} input channels, expected 4 (L, ab hint, mask)`);
  let input: Value = { name: 'L', channels: 1 };
  if (cin === 4) {
    g.addInput(HINTS_INPUT, ['N', 3, 'H', 'W']);
    const uncentre = g.addInitializer('hint_mask_uncentre', Float32Array.of(0, 0, 0.5), [1, 3, 1, 1]);
    const hints = g.node('Add', [HINTS_INPUT, uncentre]);
    input = { name: g.node('Concat', ['L', hints], { axis: 1 }), channels: 4 };
  }

  const starts = g.addInt64Initializer('sub2_starts', [0, 0]);
  const INT64_MAX = 0x7fffffffffffffffn;
  const ends = g.addInt64Initializer('sub2_ends', BigInt64Array.of(INT64_MAX, INT64_MAX));
  const axes = g.addInt64Initializer('sub2_axes', [2, 3]);
  const steps = g.addInt64Initializer('sub2_steps', [2, 2]);
  const sub = (x: Value): Value => ({ name: g.node('Slice', [x.name, starts, ends, axes, steps]), channels: x.channels });

  const f1 = e.convBlock(input, 'model1', 2);
  const f2 = e.convBlock(sub(f1), 'model2', 2);
  const f3 = e.convBlock(sub(f2), 'model3', 3);
  let x = e.convBlock(sub(f3), 'model4', 3);
  x = e.convBlock(x, 'model5', 3, { dilation: 2 });
  x = e.convBlock(x, 'model6', 3, { dilation: 2 });
  x = e.convBlock(x, 'model7', 3);

  x = e.add(e.convT(x, 'model8up.0', { stride: 2, pad: 1 }), e.conv(f3, 'model3short8.0'), 'model8up + model3short8');
  x = e.bn(e.relu(e.conv(e.relu(e.conv(e.relu(x), 'model8.1')), 'model8.3')), 'model8.5');

  x = e.add(e.convT(x, 'model9up.0', { stride: 2, pad: 1 }), e.conv(f2, 'model2short9.0'), 'model9up + model2short9');
  x = e.bn(e.relu(e.conv(e.relu(x), 'model9.1')), 'model9.3');

  x = e.add(e.convT(x, 'model10up.0', { stride: 2, pad: 1 }), e.conv(f1, 'model1short10.0'), 'model10up + model1short10');
  x = e.conv(e.relu(x), 'model10.1');
  x = { name: g.node('LeakyRelu', [x.name], { alpha: 0.2 }), channels: x.channels };

  e.tensor('model_out.0.weight', 4, [2, null, 1, 1]);
  x = e.conv(x, 'model_out.0');
  const t = g.node('Tanh', [x.name]);
  const scale = g.addInitializer('ab_scale_110', Float32Array.of(110), [1]);
  g.node('Mul', [t, scale], {}, 'ab');
  g.addOutput('ab', ['N', 2, 'H', 'W']);
  metadata(g, 'ab', opts.name ?? 'siggraph17', 'siggraph17', opts.metadata);
  return g.serialize();
}

/** Converts whichever of the two architectures the state dict holds. */
export function convertStateDict(sd: StateDict, opts: ConvertOptions & { arch?: Architecture } = {}): { arch: Architecture; onnx: Uint8Array } {
  const arch = opts.arch ?? detectArchitecture(sd);
  if (!arch) {
    const keys = [...sd.keys()];
    throw new ConvertError(
      `state dict is neither ECCV16 nor SIGGRAPH17 (expected keys like "model8.6.weight" [313, ...] or "model8up.0.weight"; found ${keys.length} keys: ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', ...' : ''})`,
    );
  }
  return { arch, onnx: arch === 'eccv16' ? convertEccv16(sd, opts) : convertSiggraph17(sd, opts) };
}
