// A job's reference photograph ("colour this film like this photograph"): read once, turned into
// the per-bin tilt the annealed mean adds to every pixel's logits (hints/reference-tilt.ts). The
// prior it is measured against is the built-in model's training prior, shipped beside the model
// (models/prior-313.json, where it came from is written in the file).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../core/package-root.js';
import { modelError, usageError } from '../core/errors.js';
import { referencePaletteFromRgb, referenceTilt, smoothHistogram } from '../hints/reference-tilt.js';
import { DEFAULT_REFERENCE_STRENGTH } from '../hints/hints-file.js';
import type { LoadedModel } from '../core/model-contract.js';

/** The reference photo of a job. */
export interface ReferenceOptions {
  /** Path of the photograph (jpg, png, webp, tiff). */
  image: string;
  /** How far to tilt towards its colours, 0..1 (default 0.7). */
  strength?: number;
}

/** Photographs are read at most this many pixels a side: 313 bins need far fewer pixels than a scan has. */
const MAX_SIDE = 1024;

let prior: Float64Array | null = null;
/** The smoothed training prior (313 bins, sums to 1). */
export function trainingPrior(): Float64Array {
  if (!prior) {
    const doc = JSON.parse(readFileSync(join(packageRoot(), 'models', 'prior-313.json'), 'utf8')) as { prior: number[] };
    prior = smoothHistogram(doc.prior);
  }
  return prior;
}

/**
 * The logit tilt for a reference photo. A model that outputs ab (no distribution to tilt) is a
 * model error (exit 5); a photograph that cannot be read, or a strength outside 0..1, a usage
 * error (exit 2), before any frame is colorized.
 */
export async function referenceTiltFor(model: LoadedModel, ref: ReferenceOptions): Promise<Float32Array> {
  const strength = ref.strength ?? DEFAULT_REFERENCE_STRENGTH;
  if (!(typeof strength === 'number' && strength >= 0 && strength <= 1)) throw usageError(`reference strength ${String(strength)}: expected a number in [0, 1]`);
  if (model.info.kind !== 'logits313') {
    throw modelError(`${model.info.name}: a reference photo tilts the model's colour distribution, and this model outputs ab directly (kind ${model.info.kind}); use a logits model (the built-in default, eccv16)`);
  }
  let data: Buffer, pixels: number;
  try {
    const out = await sharp(ref.image, { failOn: 'error' }).rotate().toColourspace('srgb').removeAlpha()
      .resize(MAX_SIDE, MAX_SIDE, { fit: 'inside', withoutEnlargement: true }).raw().toBuffer({ resolveWithObject: true });
    data = out.data;
    pixels = out.info.width * out.info.height;
  } catch (err) {
    throw usageError(`reference ${ref.image}: cannot read the photograph (${(err as Error).message.split('\n')[0]})`);
  }
  return referenceTilt(referencePaletteFromRgb(data, pixels), trainingPrior(), { strength });
}
