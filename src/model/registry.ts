// The local models cache: the catalogue of the authors' released weights, pulling one (the
// transfer is download.ts; SHA-256 verified), converting it to ONNX, and listing what is installed.
//
// Cache directory: $CHROMA_CACHE_DIR when set (used as the models directory itself), else
// $XDG_CACHE_HOME/chroma/models, else ~/.cache/chroma/models. Base URL: the `baseUrl` option, else
// $CHROMA_MODELS_BASE_URL, else https://colorizers.s3.us-east-2.amazonaws.com.

import { mkdir, readdir, rename, rm, stat, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';

import { readMetadataProps } from '../onnx/builder.js';
import { readSidecar } from './sidecar.js';
import { NULL_MODEL } from '../onnx/null-model.js';
import { META_KEYS, type ModelKind } from '../core/model-contract.js';
import { ConvertError, convertStateDict, type Architecture } from './convert.js';
import { CheckpointError, loadStateDict } from './pth/load.js';
import { fileSize, sleep, TransferError, transferOnce } from './download.js';
import { sha256File } from '../core/sha256.js';
import { ChromaError } from '../core/errors.js';
import { writeFileAtomic } from '../core/output-file.js';
import { packageRoot } from '../core/package-root.js';

export type ModelName = Architecture;

export interface CatalogEntry {
  name: ModelName;
  /** File name of the released weights under the base URL. */
  file: string;
  sha256: string;
  /** Published size in bytes (approximate; for display). */
  approxBytes: number;
  kind: ModelKind;
  description: string;
}

export const MODEL_CATALOG: Readonly<Record<ModelName, CatalogEntry>> = {
  eccv16: {
    name: 'eccv16',
    file: 'colorization_release_v2-9b330a0b.pth',
    sha256: '9b330a0bae53f4ded77b1e23defbf78beaa09c10ebc4c4999e8e4f4a160b93f9',
    approxBytes: 123.0e6,
    kind: 'logits313',
    description: 'Zhang, Isola & Efros, ECCV 2016 (313-bin classification, annealed mean)',
  },
  siggraph17: {
    name: 'siggraph17',
    file: 'siggraph17-df00044c.pth',
    sha256: 'df00044c0a4d7c3edcecf6f75437ce346a66e7a42612d9b968e1a7e17dbc6f66',
    approxBytes: 130.5e6,
    kind: 'ab',
    description: 'Zhang et al., SIGGRAPH 2017, automatic mode (ab regression)',
  },
};

export const MODEL_NAMES = Object.keys(MODEL_CATALOG) as ModelName[];
export const DEFAULT_MODELS_BASE_URL = 'https://colorizers.s3.us-east-2.amazonaws.com';

/** The models cache directory (not created). */
export function modelsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHROMA_CACHE_DIR) return resolve(env.CHROMA_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(base, 'chroma', 'models');
}

export function isModelName(s: string): s is ModelName {
  return Object.prototype.hasOwnProperty.call(MODEL_CATALOG, s);
}

export interface ModelListing {
  name: string;
  installed: boolean;
  /** The ONNX file (where it is, or would be, in the cache). */
  path: string;
  bytes: number | null;
  kind: string | null;
  /** True for catalog models (pullable); false for the built-in model and other .onnx files found in the cache. */
  catalog: boolean;
  /** True for the built-in models (`--model default`, and `--model null`, which has no file: path is its name, bytes null). */
  builtIn?: boolean;
  description?: string;
  /** An interrupted download is waiting to be resumed (bytes so far). */
  partialBytes?: number;
}

/** The model's kind as loading it would see it: its sidecar's, else its graph metadata's; null if neither says. */
async function readKind(p: string): Promise<string | null> {
  try {
    return readSidecar(p)?.kind ?? readMetadataProps(new Uint8Array(await readFile(p)))[META_KEYS.kind] ?? null;
  } catch {
    return null;
  }
}

/** The built-in model's file (shipped in the package). */
export const DEFAULT_MODEL_PATH = join(packageRoot(), 'models', 'chroma-default.onnx');

/** The built-in model, the null model, the catalog models (installed or not) and any other .onnx files in the cache. */
export async function listModels(opts: { cacheDir?: string } = {}): Promise<ModelListing[]> {
  const dir = opts.cacheDir ?? modelsCacheDir();
  const builtIn = await fileSize(DEFAULT_MODEL_PATH);
  const out: ModelListing[] = [{
    name: 'default', installed: builtIn !== null, path: DEFAULT_MODEL_PATH, bytes: builtIn,
    kind: builtIn !== null ? await readKind(DEFAULT_MODEL_PATH) : null, catalog: false, builtIn: true,
    description: 'the built-in model (shipped with chroma; --model default)',
  }, {
    name: NULL_MODEL, installed: true, path: NULL_MODEL, bytes: null, kind: 'ab', catalog: false, builtIn: true,
    description: 'a measuring tool, not a colorizer: gray output at almost no cost (--model null; docs/benchmarks.md)',
  }];
  for (const entry of Object.values(MODEL_CATALOG)) {
    const path = join(dir, `${entry.name}.onnx`);
    const bytes = await fileSize(path);
    const part = await fileSize(join(dir, `${entry.file}.part`));
    out.push({
      name: entry.name,
      installed: bytes !== null,
      path,
      bytes,
      kind: entry.kind,
      catalog: true,
      description: entry.description,
      ...(part !== null ? { partialBytes: part } : {}),
    });
  }
  let files: string[] = [];
  try {
    files = await readdir(dir);
  } catch {
    /* no cache yet */
  }
  for (const f of files.sort()) {
    if (!f.endsWith('.onnx')) continue;
    const name = f.slice(0, -5);
    if (isModelName(name)) continue;
    const path = join(dir, f);
    out.push({ name, installed: true, path, bytes: await fileSize(path), kind: await readKind(path), catalog: false });
  }
  return out;
}

// ---- download ----------------------------------------------------------------------------------

export interface PullProgress {
  phase: 'download' | 'verify' | 'convert' | 'done';
  /** Bytes of the file present so far (including a resumed prefix). */
  received: number;
  /** Total size when known. */
  total: number | null;
  /** Where this transfer started (bytes already on disk from an earlier attempt). */
  resumedFrom: number;
}

export interface PullOptions {
  /** Base URL the weight files live under (default: $CHROMA_MODELS_BASE_URL or the authors' bucket). */
  baseUrl?: string;
  /** Receives download, verify and convert progress. Default: none. */
  onProgress?: (p: PullProgress) => void;
  /** Abort the pull (the partial file is kept for the next one). Default: none. */
  signal?: AbortSignal;
  /** Models directory (default modelsCacheDir()). */
  cacheDir?: string;
  /** Re-download and re-convert even when the model is installed. Default false. */
  force?: boolean;
  /** Keep the verified .pth next to the ONNX file (default: deleted after conversion). */
  keepSource?: boolean;
  /** Transfer attempts after a dropped connection, each resuming where the last stopped (default 3). */
  retries?: number;
  /** Delay before each retry, ms (default 1000). */
  retryDelayMs?: number;
  /** Idle socket timeout, ms (default 30000). */
  timeoutMs?: number;
  /**
   * Replaces the expected SHA-256 of catalog files. For tests serving fixture weights; there is
   * deliberately no environment variable for this. Default: none.
   */
  sha256Overrides?: Partial<Record<ModelName, string>>;
}

export interface PullResult {
  name: ModelName;
  path: string;
  bytes: number;
  sha256: string;
  /** False when the model was already installed and nothing was fetched. */
  downloaded: boolean;
  /** True when some transfer resumed a partial file. */
  resumed: boolean;
  /** HTTP requests made. */
  requests: number;
}

/**
 * Downloads a released model, verifies its SHA-256, converts it to ONNX and stores it in the
 * cache as `<name>.onnx`. An interrupted transfer leaves `<file>.part`, which the next attempt (in
 * this call, up to `retries` times, or a later call) resumes with a Range request.
 */
export async function pullModel(name: ModelName, opts: PullOptions = {}): Promise<PullResult> {
  if (!isModelName(name)) throw new ChromaError('model', `unknown model "${String(name)}" (known: ${MODEL_NAMES.join(', ')})`);
  const entry = MODEL_CATALOG[name];
  const dir = opts.cacheDir ?? modelsCacheDir();
  const onnxPath = join(dir, `${name}.onnx`);
  const expected = (opts.sha256Overrides?.[name] ?? entry.sha256).toLowerCase();

  if (!opts.force) {
    const size = await fileSize(onnxPath);
    if (size !== null) return { name, path: onnxPath, bytes: size, sha256: expected, downloaded: false, resumed: false, requests: 0 };
  }
  await mkdir(dir, { recursive: true });

  const base = (opts.baseUrl ?? process.env.CHROMA_MODELS_BASE_URL ?? DEFAULT_MODELS_BASE_URL).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}/${entry.file}`);
  } catch {
    throw new ChromaError('model', `invalid models base URL "${base}"`);
  }
  const part = join(dir, `${entry.file}.part`);
  const source = join(dir, entry.file);
  const progress = (phase: PullProgress['phase'], received: number, total: number | null, resumedFrom = 0): void =>
    opts.onProgress?.({ phase, received, total, resumedFrom });

  let resumed = false;
  let requests = 0;
  let sourceReady = false;
  if (!opts.force && (await fileSize(source)) !== null) sourceReady = true; // kept from an earlier pull

  if (!sourceReady) {
    const attempts = 1 + (opts.retries ?? 3);
    for (let i = 0; ; i++) {
      try {
        requests++;
        const r = await transferOnce(url, part, opts, (rcv, tot, from) => progress('download', rcv, tot, from));
        resumed ||= r.resumed;
        break;
      } catch (e) {
        if (e instanceof TransferError && e.retryable && i + 1 < attempts) {
          await sleep((opts.retryDelayMs ?? 1000) * (i + 1), opts.signal);
          continue;
        }
        if (e instanceof TransferError) {
          throw new ChromaError('model', `${name}: ${e.message}${e.retryable ? ` (partial file kept; run the pull again to resume)` : ''}`);
        }
        throw e;
      }
    }
    const total = (await fileSize(part)) ?? 0;
    progress('verify', 0, total);
    const got = await sha256File(part, (n) => progress('verify', n, total));
    if (got !== expected) {
      await rm(part, { force: true });
      throw new ChromaError('model', `${entry.file}: SHA-256 mismatch (expected ${expected}, got ${got}); the download was deleted`);
    }
    await rename(part, source);
  } else {
    const got = await sha256File(source);
    if (got !== expected) {
      await rm(source, { force: true });
      throw new ChromaError('model', `${entry.file}: SHA-256 mismatch in the cached copy (expected ${expected}, got ${got}); it was deleted`);
    }
  }

  const srcBytes = (await fileSize(source)) ?? 0;
  progress('convert', srcBytes, srcBytes);
  let bytes: number;
  try {
    const { arch, onnx } = refusedAsModel(source, () => convertStateDict(loadStateDict(source), {
      name,
      metadata: { 'chroma.source': entry.file, 'chroma.source_sha256': expected },
    }));
    if (arch !== name) throw new ChromaError('model', `${entry.file} holds a ${arch} state dict, not ${name}`);
    await writeFileAtomic(onnxPath, onnx);
    bytes = onnx.length;
  } catch (e) {
    await rm(source, { force: true });
    throw e;
  }
  if (!opts.keepSource) await rm(source, { force: true });
  progress('done', srcBytes, srcBytes);
  return { name, path: onnxPath, bytes, sha256: expected, downloaded: true, resumed, requests };
}

/**
 * Runs the reading and converting of a weights file: whatever refuses the file (its zip, its
 * pickle, its tensors, their shapes) is a model error (exit 5) naming the file, in one line.
 */
function refusedAsModel<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof CheckpointError) throw new ChromaError('model', e.message.split('\n')[0], { cause: e });
    if (e instanceof ConvertError) throw new ChromaError('model', `${file}: ${e.message.split('\n')[0]}`, { cause: e });
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR' || (e as NodeJS.ErrnoException).code === 'EACCES') {
      throw new ChromaError('input', `${file}: cannot read it (${(e as NodeJS.ErrnoException).code})`, { cause: e });
    }
    throw e;
  }
}

/** Converts a local .pth (either architecture, either format) to ONNX. Default output: FILE.onnx. */
export async function convertFile(pthPath: string, outPath?: string): Promise<{ arch: Architecture; outPath: string; bytes: number }> {
  const ext = extname(pthPath);
  const out = outPath ?? join(dirname(pthPath), `${basename(pthPath, ext)}.onnx`);
  const { arch, onnx } = refusedAsModel(pthPath, () => convertStateDict(loadStateDict(pthPath), { metadata: { 'chroma.source': basename(pthPath) } }));
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFileAtomic(out, onnx);
  return { arch, outPath: out, bytes: onnx.length };
}
