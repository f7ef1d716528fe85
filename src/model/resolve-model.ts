// Turning a --model argument into a file: the built-in default, a name pulled into the cache
// (`chroma models pull eccv16`), or a path; or `null`, the measuring model built in memory
// (src/onnx/null-model.ts), which stays the name.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { modelError } from '../core/errors.js';
import { DEFAULT_MODEL_PATH, modelsCacheDir } from './registry.js';
import { NULL_MODEL } from '../onnx/null-model.js';

export const PULLABLE = ['eccv16', 'siggraph17'] as const;

export function resolveModelPath(model: string | undefined): string {
  if (!model || model === 'default' || model === 'chroma-default') {
    if (!existsSync(DEFAULT_MODEL_PATH)) throw modelError(`the built-in model is missing (${DEFAULT_MODEL_PATH}); reinstall, or pass --model`);
    return DEFAULT_MODEL_PATH;
  }
  if (model === NULL_MODEL) return NULL_MODEL;
  if ((PULLABLE as readonly string[]).includes(model)) {
    const p = join(modelsCacheDir(), `${model}.onnx`);
    if (!existsSync(p)) throw modelError(`model '${model}' is not in the cache (${p}); run: chroma models pull ${model}`);
    return p;
  }
  const p = resolve(model);
  if (!existsSync(p)) throw modelError(`unknown model '${model}': not a file, and not one of default, ${PULLABLE.join(', ')}, ${NULL_MODEL}`);
  return p;
}
