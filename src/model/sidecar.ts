// A model's sidecar: `MODEL.onnx.json` (or `MODEL.json`) beside the ONNX file, holding its contract
// fields when the graph carries no metadata (an export made without Python's onnx package). Its fields
// win over the graph's metadata wherever the model is loaded or listed.
import { existsSync, readFileSync } from 'node:fs';
import type { ModelInfo } from '../core/model-contract.js';
import { modelError } from '../core/errors.js';

/** The sidecar's fields, or null when the model has none; throws a model error on invalid JSON. */
export function readSidecar(path: string): Partial<ModelInfo> | null {
  for (const p of [`${path}.json`, path.replace(/\.onnx$/i, '.json')]) {
    if (p !== path && existsSync(p)) {
      try {
        return JSON.parse(readFileSync(p, 'utf8')) as Partial<ModelInfo>;
      } catch (err) {
        throw modelError(`${p}: invalid sidecar JSON (${(err as Error).message})`);
      }
    }
  }
  return null;
}
