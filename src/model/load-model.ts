// Loading a model: one ONNX Runtime session (CUDA first when asked or available, CPU otherwise),
// its contract metadata, a probe run that checks the output shape fits the contract, and for
// logits models the annealed-mean graph session.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { DEFAULT_MODEL_INFO, HINTS_INPUT, META_KEYS, noHintPlanes, type LoadedModel, type ModelInfo, type ModelKind } from '../core/model-contract.js';
import { readMetadataProps } from '../onnx/builder.js';
import { buildAnnealedMeanGraph } from '../onnx/annealed-mean-graph.js';
import { NULL_MODEL, readModelBytes } from '../onnx/null-model.js';
import { resolveModelPath } from './resolve-model.js';
import { readSidecar } from './sidecar.js';
import { ChromaError, modelError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { LOAD_MODEL_SPECS } from '../core/option-specs.js';
import { basename, dirname, join } from 'node:path';

export type Device = 'auto' | 'cpu' | 'cuda';

export interface LoadModelOptions {
  /**
   * 'auto' (default): CUDA when its provider is installed and loads, else CPU (one log line when an
   * installed provider fails). 'cuda': fail without CUDA. 'cpu'.
   */
  device?: Device;
  /** Intra-op threads for the CPU provider (default: ONNX Runtime's choice, all cores). */
  threads?: number;
  /** Receives one-line notices (e.g. the CUDA fallback). Default: stderr. */
  log?: (line: string) => void;
}


function infoFromMetadata(props: Record<string, string>): Partial<ModelInfo> {
  const num = (k: string) => (props[k] !== undefined ? Number(props[k]) : undefined);
  const out: Partial<ModelInfo> = {};
  if (props[META_KEYS.kind]) out.kind = props[META_KEYS.kind] as ModelKind;
  if (props[META_KEYS.name]) out.name = props[META_KEYS.name];
  for (const k of ['lOffset', 'lScale', 'trainSize', 'liveSize', 'sizeMultiple', 'abScale'] as const) {
    const v = num(META_KEYS[k]);
    if (v !== undefined && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

/** Whether onnxruntime-node's CUDA execution provider library is installed beside its binding. */
export function cudaProviderInstalled(): boolean {
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    for (const napi of readdirSync(bin)) {
      const dir = join(bin, napi, process.platform, process.arch);
      if (existsSync(dir) && readdirSync(dir).some((f) => /providers_cuda/.test(f))) return true;
    }
  } catch {
    // no bin folder: treat as not installed
  }
  return false;
}

async function createSession(
  bytes: Uint8Array, device: Device, threads: number | undefined, log: (l: string) => void,
): Promise<{ session: ort.InferenceSession; provider: 'cuda' | 'cpu' }> {
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (threads) base.intraOpNumThreads = threads;
  // 'auto' tries CUDA only where its provider library is installed: on a CPU-only install there is
  // nothing to try, and nothing to say.
  if (device === 'cuda' || (device === 'auto' && cudaProviderInstalled())) {
    try {
      // ONNX Runtime's own logger would print a multi-line error when the CUDA libraries are
      // absent; the one line below says it instead.
      ort.env.logLevel = 'fatal';
      const session = await ort.InferenceSession.create(bytes, { ...base, logSeverityLevel: 4, executionProviders: ['cuda', 'cpu'] });
      return { session, provider: 'cuda' };
    } catch (err) {
      const why = (err as Error).message.split('\n')[0];
      if (device === 'cuda') throw new ChromaError('model', `CUDA requested but unavailable: ${why}`);
      log(`CUDA unavailable (${why.replace(/^.*?error: /, '').slice(0, 160)}); running on CPU`);
    }
  }
  const session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
  return { session, provider: 'cpu' };
}

export async function loadModel(model: string | undefined, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  // Checked here, not only by the CLI: any other device string would otherwise mean CPU.
  checkOptions(LOAD_MODEL_SPECS, opts);
  const path = resolveModelPath(model);
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const bytes = await readModelBytes(path);
  let props: Record<string, string>;
  try {
    props = readMetadataProps(bytes);
  } catch (err) {
    throw modelError(`${path}: not an ONNX model (${(err as Error).message})`);
  }
  // (The null model has no file, so no sidecar: a null.json in the working directory is not its.)
  const partial = { ...infoFromMetadata(props), ...((path === NULL_MODEL ? null : readSidecar(path)) ?? {}) };

  let created: { session: ort.InferenceSession; provider: 'cuda' | 'cpu' };
  try {
    created = await createSession(bytes, opts.device ?? 'auto', opts.threads, log);
  } catch (err) {
    if (err instanceof ChromaError) throw err;
    throw modelError(`${path}: ONNX Runtime cannot load it (${(err as Error).message.split('\n')[0]})`);
  }
  const { session, provider } = created;
  const inputName = session.inputNames[0];
  const hintsName = session.inputNames.includes(HINTS_INPUT) && inputName !== HINTS_INPUT ? HINTS_INPUT : null;
  const outputName = session.outputNames[0];
  const multiple = partial.sizeMultiple ?? DEFAULT_MODEL_INFO.sizeMultiple;

  // Probe: a small input must give N x C x h x w with C = 313 (logits) or 2 (ab).
  const side = Math.max(64, multiple * 8);
  let dims: readonly number[];
  try {
    const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('float32', new Float32Array(side * side), [1, 1, side, side]) };
    if (hintsName) feeds[hintsName] = new ort.Tensor('float32', noHintPlanes(side, side), [1, 3, side, side]);
    const out = await session.run(feeds);
    dims = out[outputName].dims;
  } catch (err) {
    await session.release();
    throw modelError(`${path}: does not fit the model contract (input must be N x 1 x H x W float32): ${(err as Error).message.split('\n')[0]}`);
  }
  const channels = dims[1];
  const kind: ModelKind | null = partial.kind ?? (channels === 313 ? 'logits313' : channels === 2 ? 'ab' : null);
  const expected = kind === 'logits313' ? 313 : kind === 'ab' ? 2 : null;
  if (kind === null || dims.length !== 4 || dims[0] !== 1 || channels !== expected || dims[2] > side || dims[3] > side) {
    await session.release();
    throw modelError(
      `${path}: output '${outputName}' has shape [${dims.join(', ')}] for a 1x1x${side}x${side} input; ` +
        `the contract needs N x 313 x h x w logits or N x 2 x h x w ab${partial.kind ? ` (metadata says kind ${partial.kind})` : ''}`,
    );
  }
  const info: ModelInfo = {
    ...DEFAULT_MODEL_INFO,
    name: basename(path).replace(/\.onnx$/i, ''),
    ...partial,
    liveSize: partial.liveSize ?? partial.trainSize ?? DEFAULT_MODEL_INFO.trainSize,
    kind,
    hints: hintsName !== null,
  };
  let annealer: ort.InferenceSession | null = null;
  if (kind === 'logits313') annealer = (await createSession(buildAnnealedMeanGraph(), provider, opts.threads, () => {})).session;
  return {
    path, info, provider, session, annealer, inputName, outputName, hintsName, threads: opts.threads,
    async release() {
      await session.release();
      await annealer?.release();
    },
  };
}

/** Feeds for one run of the bare network on an N x 1 x H x W L tensor: a hint-taking model gets empty hint planes. */
export function netFeeds(model: Pick<LoadedModel, 'inputName' | 'hintsName'>, L: ort.Tensor): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = { [model.inputName]: L };
  if (model.hintsName) {
    const [n, , h, w] = L.dims;
    const planes = new Float32Array(n * 3 * h * w);
    for (let i = 0; i < n; i++) noHintPlanes(w, h, planes.subarray(i * 3 * h * w, (i + 1) * 3 * h * w));
    feeds[model.hintsName] = new ort.Tensor('float32', planes, [n, 3, h, w]);
  }
  return feeds;
}
