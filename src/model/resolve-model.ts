// Turning a --model argument into a file: the built-in default, a name pulled into the cache
// (`chroma models pull eccv16`), or a path.
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelError } from '../errors.js';
import { modelsCacheDir } from './registry.js';

/** The repository / package root (src/model/ -> ../..; dist/src/model/ -> ../../..). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const DEFAULT_MODEL_PATH = join(packageRoot(), 'models', 'chroma-default.onnx');

export const PULLABLE = ['eccv16', 'siggraph17'] as const;

export function resolveModelPath(model: string | undefined): string {
  if (!model || model === 'default' || model === 'chroma-default') {
    if (!existsSync(DEFAULT_MODEL_PATH)) throw modelError(`the built-in model is missing (${DEFAULT_MODEL_PATH}); reinstall, or pass --model`);
    return DEFAULT_MODEL_PATH;
  }
  if ((PULLABLE as readonly string[]).includes(model)) {
    const p = join(modelsCacheDir(), `${model}.onnx`);
    if (!existsSync(p)) throw modelError(`model '${model}' is not in the cache (${p}); run: chroma models pull ${model}`);
    return p;
  }
  const p = resolve(model);
  if (!existsSync(p)) throw modelError(`unknown model '${model}': not a file, and not one of default, ${PULLABLE.join(', ')}`);
  return p;
}
