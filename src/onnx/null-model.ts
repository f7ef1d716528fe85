// The `null` model: a measuring tool, not a colorizer. It meets the model contract in its cheapest
// form (kind "ab", neutral ab = 0 at a quarter of the input's size, like the reference net's output)
// and computes nothing worth the name, so a run with it costs what the pipeline around the model
// costs. Its output is gray. It takes the `hints` input (and ignores it) so that every stage a run
// of the built-in model has, hint planes included, runs with it too.
//
// It is built in memory: `--model null` resolves to the NULL_MODEL sentinel instead of a file, and
// readModelBytes() gives its bytes wherever a model file would be read.
import { readFile } from 'node:fs/promises';
import { HINTS_INPUT, META_KEYS } from '../core/model-contract.js';
import { GraphBuilder } from './builder.js';

/** What --model takes, and what LoadedModel.path holds, for the null model (never an absolute path, so no file is mistaken for it). */
export const NULL_MODEL = 'null';

/**
 * Its training size: the built-in model's (models/chroma-default.onnx.json), so that a run at the
 * default --size resizes and upsamples the same number of pixels with either.
 */
export const NULL_MODEL_TRAIN_SIZE = 144;

/**
 *   inputs : `L` float N x 1 x H x W, `hints` float N x 3 x H x W (unused).
 *   output : `ab` float N x 2 x ceil(H/4) x ceil(W/4), all zero.
 * Every fourth row and column of L (a strided Slice, no arithmetic over the full plane), times 0,
 * twice along the channel axis.
 */
export function buildNullModel(): Uint8Array {
  const g = new GraphBuilder({ name: 'null', opset: 17 });
  g.addInput('L', ['N', 1, 'H', 'W']);
  g.addInput(HINTS_INPUT, ['N', 3, 'H', 'W']);
  const starts = g.addInt64Initializer('starts', [0, 0]);
  const ends = g.addInt64Initializer('ends', [2 ** 31 - 1, 2 ** 31 - 1]);
  const axes = g.addInt64Initializer('axes', [2, 3]);
  const steps = g.addInt64Initializer('steps', [4, 4]);
  const zero = g.addInitializer('zero', new Float32Array([0]), [1]);
  const small = g.node('Slice', ['L', starts, ends, axes, steps]);
  const neutral = g.node('Mul', [small, zero]);
  g.node('Concat', [neutral, neutral], { axis: 1 }, 'ab');
  g.addOutput('ab', ['N', 2, 'h', 'w']);
  g.setMetadataProps({
    [META_KEYS.kind]: 'ab',
    [META_KEYS.name]: 'null',
    [META_KEYS.trainSize]: NULL_MODEL_TRAIN_SIZE,
    [META_KEYS.sizeMultiple]: 8,
    [META_KEYS.lOffset]: 50,
    [META_KEYS.lScale]: 0.01,
    [META_KEYS.abScale]: 1,
  });
  return g.serialize();
}

/**
 * What the null model's graph answers for a batch of normalised L planes (one h x w plane per
 * frame), computed here instead of in ONNX Runtime: the same values (every fourth row and column
 * of L times 0, so -0 where L is negative, as ORT's float Mul gives) without the inference worker's
 * round trip per batch. Dims n x 2 x ceil(h/4) x ceil(w/4).
 */
export function nullModelAb(planes: readonly Float32Array[], h: number, w: number): { data: Float32Array; dims: number[] } {
  const oh = Math.ceil(h / 4), ow = Math.ceil(w / 4), plane = oh * ow;
  const data = new Float32Array(planes.length * 2 * plane);
  planes.forEach((L, b) => {
    const a = 2 * b * plane;
    for (let y = 0, o = a; y < oh; y++) {
      const row = 4 * y * w;
      for (let x = 0; x < ow; x++, o++) data[o] = L[row + 4 * x] * 0;
    }
    data.copyWithin(a + plane, a, a + plane);
  });
  return { data, dims: [planes.length, 2, oh, ow] };
}

/** A model's bytes: the null model's built here, any other read from its file. */
export async function readModelBytes(path: string): Promise<Uint8Array> {
  return path === NULL_MODEL ? buildNullModel() : readFile(path);
}
