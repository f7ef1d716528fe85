// Stills: jpg/png/webp/tiff read and written by sharp, colorized as a one-frame run of the same
// graph. EXIF orientation is applied, CMYK and other colour spaces are converted to sRGB, and an
// alpha channel is kept aside and put back on the result.
import sharp, { type OutputInfo } from 'sharp';
import { extname } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { colorGraph, type GraphOptions } from '../graph/color-graph.js';
import type { LoadedModel } from '../core/model-contract.js';
import { inputError, outputError } from '../core/errors.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

/** A still's upright size (EXIF orientation applied, as colorizeImageFile reads it), without decoding it. */
export async function imageSize(input: string): Promise<{ width: number; height: number }> {
  let meta;
  try {
    meta = await sharp(input).metadata();
  } catch (err) {
    throw inputError(`${input}: cannot read image (${(err as Error).message.split('\n')[0]})`);
  }
  if (!meta.width || !meta.height) throw inputError(`${input}: cannot read image (no size in its header)`);
  // Orientations 5..8 turn the picture by 90 degrees.
  const turned = (meta.orientation ?? 1) >= 5;
  return turned ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
}

export async function colorizeImageFile(
  model: LoadedModel, input: string, tempOutput: string, finalName: string, opts: Omit<GraphOptions, 'smooth' | 'restore'>,
): Promise<{ width: number; height: number }> {
  let data: Buffer, info: OutputInfo;
  let alpha: Buffer | null = null;
  try {
    const img = sharp(input, { failOn: 'error' }).rotate().toColourspace('srgb');
    const meta = await sharp(input).metadata();
    if (meta.hasAlpha) alpha = await sharp(input).rotate().extractChannel('alpha').raw().toBuffer();
    ({ data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw inputError(`${input}: cannot read image (${(err as Error).message.split('\n')[0]})`);
  }
  if (info.channels !== 3) throw inputError(`${input}: unexpected ${info.channels}-channel image after conversion to sRGB`);
  const frames = await lastValueFrom(
    of({ index: 0, pts: 0, width: info.width, height: info.height, rgb: data }).pipe(colorGraph(model, { ...opts, smooth: null, restore: null }), toArray()),
  );
  const out = frames[0].out;
  let img = sharp(out, { raw: { width: info.width, height: info.height, channels: 3 } });
  if (alpha) img = img.joinChannel(alpha, { raw: { width: info.width, height: info.height, channels: 1 } });
  const ext = extname(finalName).toLowerCase();
  try {
    if (ext === '.jpg' || ext === '.jpeg') img = img.jpeg({ quality: 92, chromaSubsampling: '4:4:4' });
    else if (ext === '.png') img = img.png();
    else if (ext === '.webp') img = img.webp({ quality: 92 });
    else if (ext === '.tif' || ext === '.tiff') img = img.tiff({ compression: 'lzw' });
    else throw outputError(`${finalName}: unsupported image output type '${ext}' (use .jpg, .png, .webp or .tiff)`);
    await img.withMetadata({ icc: 'srgb' }).toFile(tempOutput);
  } catch (err) {
    if (err instanceof Error && err.name === 'ChromaError') throw err;
    throw outputError(`${finalName}: cannot write image (${(err as Error).message.split('\n')[0]})`);
  }
  return { width: info.width, height: info.height };
}
