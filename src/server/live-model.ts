// The model a live server runs: one it was given (the caller's to release) or one it loads from a
// path or name (its own, released when it closes).
import { loadModel } from '../model/load-model.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { ServerOptions } from './server-types.js';

export interface LiveModel {
  model: LoadedModel;
  /** Loaded here, so released here. */
  own: boolean;
  /** Release it if it is ours; `waitMs`: at most this long (the inference worker finishes its batch before it exits). */
  release(waitMs?: number): Promise<void>;
}

export async function openLiveModel(opts: Pick<ServerOptions, 'model' | 'device' | 'threads'>, log: (line: string) => void): Promise<LiveModel> {
  const own = typeof opts.model !== 'object';
  const model: LoadedModel = typeof opts.model === 'object'
    ? opts.model
    : await loadModel(opts.model, { device: opts.device ?? 'auto', threads: opts.threads, log });
  return {
    model, own,
    release: async (waitMs) => {
      if (!own) return;
      const done = model.release().catch(() => {});
      await (waitMs === undefined ? done : Promise.race([done, new Promise((r) => setTimeout(r, waitMs).unref())]));
    },
  };
}
