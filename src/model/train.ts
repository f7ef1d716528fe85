// `chroma train`: fine-tune the built-in model on a folder of the user's own colour photos (or train
// from scratch) with the method the built-in model was trained with (training/train.py: soft-encoded
// cross-entropy with class rebalancing, simulated hints), then export an ONNX model `colorize --model`
// runs. The heavy lifting is PyTorch's, so this module finds a Python with torch, writes the run's
// config into a work folder beside the output, runs the trainer there and turns its log lines into
// progress events. Rerunning the same command continues an interrupted run from the work folder; a
// successful run removes it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, copyFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { AB_BINS_313 } from '../color/ab-bins.js';
import { ChromaError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';

/** Options of {@link trainModel}. */
export interface TrainOptions {
  /** Folder of colour photos (jpg, jpeg, png; searched one level deep). At least 2 are needed. */
  photos: string;
  /** The ONNX file to write (written under a temporary name, then renamed). */
  output: string;
  /** `default`: fine-tune the built-in model's weights; `scratch`: random initialisation. Default `default`. */
  from?: 'default' | 'scratch';
  /** Training minutes (wall clock, validation excluded). Default 20; 0.2 to 10080. */
  minutes?: number;
  /** Python interpreter with torch, numpy and Pillow. Default: $CHROMA_PYTHON, then `python3`. */
  python?: string;
  /** Work folder for the cache, checkpoints and log. Default `.NAME.chroma-train/` beside the output. */
  workDir?: string;
  /**
   * Keep the work folder after a successful run. Default false: it is removed once the model is written
   * (a failed, interrupted or unimproved run always keeps it, so a rerun continues).
   */
  keepWorkDir?: boolean;
  /** Replace an existing output. Default false. */
  overwrite?: boolean;
  /** CPU threads for torch. Default 2. */
  threads?: number;
  /** Progress events (one per trainer log line that carries figures). */
  onEvent?: (e: TrainEvent) => void;
  /** Stops the trainer (it keeps its last checkpoint, so a rerun continues). */
  signal?: AbortSignal;
}

export type TrainEvent =
  | { type: 'start'; python: string; device: 'cuda' | 'cpu'; photos: number; validation: number; workDir: string; resumed: boolean }
  | { type: 'progress'; step: number; minutes: number; totalMinutes: number; etaSeconds: number; loss: number; imagesPerSecond: number }
  | { type: 'validation'; step: number; loss: number; cbAuc: number; auc: number; best: boolean }
  | { type: 'log'; line: string };

export interface TrainResult {
  output: string;
  /** The model's name in its sidecar: the output file's name without `.onnx`. */
  name: string;
  steps: number;
  minutes: number;
  bestValidationLoss: number | null;
  /** The validation loss of the starting weights (step 0 of the first session). */
  startValidationLoss: number | null;
}

/** One validation the trainer reported: its step within the run and whether it was the best so far. */
export interface ValidationRecord { step: number; loss: number; best: boolean }

/**
 * Did training beat the weights it started from? The trainer validates the starting weights first (step 0)
 * and exports a model only when validation improves, so a run whose best validation is still step 0 would
 * hand back the starting model under a new name. Records come from the work folder's log, all sessions.
 */
export function trainingImproved(records: ValidationRecord[]): { improved: boolean; start: number | null; best: number | null } {
  const start = records.find((r) => r.step === 0)?.loss ?? null;
  const bests = records.filter((r) => r.best);
  const best = bests.length ? bests[bests.length - 1] : undefined;
  return { improved: best !== undefined && best.step > 0, start, best: best?.loss ?? null };
}

function readValidations(logPath: string): ValidationRecord[] {
  if (!existsSync(logPath)) return [];
  const out: ValidationRecord[] = [];
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.includes('"val_loss"')) continue;
    try {
      const r = JSON.parse(line) as { step?: number; val_loss?: number; best?: boolean; kind?: string };
      if (typeof r.step === 'number' && typeof r.val_loss === 'number') out.push({ step: r.step, loss: r.val_loss, best: r.best === true });
    } catch { /* a line cut by a crash: the others still count */ }
  }
  return out;
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png']);

/** How to get PyTorch, said once where it is missing. */
export const TORCH_HINT =
  'chroma train needs Python 3 with torch, numpy and Pillow: on Debian/Ubuntu `apt-get install python3-torch python3-pil` ' +
  '(or `pip install torch numpy pillow`), or point --python / CHROMA_PYTHON at an interpreter that has them';

/**
 * The interpreters to try, in order: the option, else $CHROMA_PYTHON, else `python3` and then Debian's
 * `/usr/bin/python3` (where `apt-get install python3-torch` puts torch when another python3 comes first on PATH).
 */
export function pythonCandidates(explicit?: string): string[] {
  const chosen = explicit ?? process.env.CHROMA_PYTHON;
  return chosen ? [chosen] : ['python3', '/usr/bin/python3'];
}

/** The first candidate that runs and has torch; resolves with it and whether torch sees CUDA. */
export async function probePython(explicit?: string): Promise<{ python: string; cuda: boolean; torch: string }> {
  const code = 'import json, torch, numpy, PIL; print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available()}))';
  const candidates = pythonCandidates(explicit);
  let first = '';
  for (const python of candidates) {
    const { status, stdout, stderr } = await run(python, ['-c', code]);
    if (status === 0) return { python, ...(JSON.parse(stdout.trim().split('\n').pop()!) as { cuda: boolean; torch: string }) };
    first ||= `${python}: ${stderr.includes('No module named') ? stderr.trim().split('\n').pop() : status === null ? 'not found' : `exit ${status}`}`;
  }
  throw new ChromaError('dependency', `${first}. ${TORCH_HINT}`);
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', () => done({ status: null, stdout, stderr }));
    p.on('close', (status) => done({ status, stdout, stderr }));
  });
}

function listPhotos(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new ChromaError('input', `${dir}: not a readable folder of photos`);
  }
  const out: string[] = [];
  for (const e of entries.sort()) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isFile() && IMAGE_EXT.has(extname(e).toLowerCase())) out.push(e);
    else if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (IMAGE_EXT.has(extname(f).toLowerCase())) out.push(`${e}/${f}`);
    }
  }
  return out;
}

/** The trainer's config for a user run: the built-in model's recipe, the user's folder, a small validation share. */
export function trainConfig(opts: { photos: string; count: number; workDir: string; from: 'default' | 'scratch'; minutes: number; threads: number }): Record<string, unknown> {
  const root = packageRoot();
  const valCount = Math.max(1, Math.min(50, Math.round(opts.count / 10)));
  const minutes = opts.minutes;
  return {
    run_name: 'user',
    seed: 1234,
    data_dir: resolve(opts.photos),
    val_count: valCount,
    split_dir: join(opts.workDir, 'splits'),
    cache_dir: join(opts.workDir, 'cache'),
    out_dir: opts.workDir,
    bins: join(opts.workDir, 'ab_bins_313.json'),
    quick_val_count: Math.min(valCount, 48),
    cache_short: 176,
    crop: 128,
    batch: 16,
    // the built-in model's net: the frozen ImageNet encoder (MobileNetV2 through block_10, committed in
    // training/encoder/weights) fused into the colour net
    model: { c1: 24, c2: 48, c3: 96, c4: 160, cd: 112, c5: 128, hints: true, sem: 128, encoder: join(root, 'training', 'encoder', 'weights') },
    hint_sim: { p_free: 0.34, p_geom: 0.125, max_points: 64, sizes: [1, 9] },
    lr: opts.from === 'default' ? 5e-4 : 2e-3,
    lr_min: 2e-5,
    // a short run must reach its learning rate within its first minute, or it ends before it has learnt anything
    warmup_steps: (opts.from === 'default' ? 50 : 200) / (minutes < 5 ? 10 : 1),
    grad_clip: 5.0,
    ema: minutes < 5 ? 0.99 : 0.999,
    max_minutes: minutes,
    threads: opts.threads,
    soft_k: 5, soft_sigma: 5.0, prior_sigma: 5.0, lambda: 0.5, rebalance: true, T: 0.38,
    l_jitter: { gain: 0.1, offset: 5.0, gamma: 0.1 },
    // the built-in model's recipe: two thirds of the crops read through a film look (training/filmlook.py)
    film_look: { p_clean: 0.34, strength: 1.0 },
    log_every: 10,
    val_every_minutes: Math.max(0.5, Math.min(10, minutes / 4)),
    checkpoint_every_minutes: Math.max(0.5, Math.min(5, minutes / 4)),
    train_size: 144,
    zoom: 0.5,
    ...(opts.from === 'default' ? { init_from: join(root, 'training', 'checkpoint', 'default.pt') } : {}),
    campaign: {
      checkpoint: join(opts.workDir, 'campaign.pt'),
      log: join(opts.workDir, 'log.jsonl'),
      export: join(opts.workDir, 'model.onnx'),
      decode: join(root, 'training', 'sweep_sem.json'),
    },
  };
}

/**
 * Fine-tunes (or trains) a hint-capable colorizer on a folder of photos and writes it as ONNX.
 * Throws ChromaError: `input` (no such folder, fewer than 2 photos), `output` (exists without overwrite),
 * `dependency` (no Python with torch), `unimproved` (validation never beat the starting weights: nothing is
 * written, the work folder is kept so a longer rerun continues), `internal` (the trainer failed; its last
 * lines are in the message).
 */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const output = resolve(opts.output);
  if (extname(output).toLowerCase() !== '.onnx') throw new ChromaError('output', `${opts.output}: the model must be written as .onnx`);
  if (existsSync(output) && !opts.overwrite) throw new ChromaError('output', `${opts.output} exists (use --overwrite)`);
  const photos = listPhotos(opts.photos);
  if (photos.length < 2) throw new ChromaError('input', `${opts.photos}: ${photos.length} photo(s) found (jpg/png), at least 2 are needed`);
  const minutes = opts.minutes ?? 20;
  const from = opts.from ?? 'default';
  const probe = await probePython(opts.python);
  const python = probe.python;
  const workDir = resolve(opts.workDir ?? join(dirname(output), `.${basename(output)}.chroma-train`));
  const resumed = existsSync(join(workDir, 'last.pt'));
  mkdirSync(workDir, { recursive: true });
  const cfg = trainConfig({ photos: opts.photos, count: photos.length, workDir, from, minutes, threads: opts.threads ?? 2 });
  writeFileSync(join(workDir, 'ab_bins_313.json'), JSON.stringify(Array.from(AB_BINS_313)));
  writeFileSync(join(workDir, 'config.json'), `${JSON.stringify(cfg, null, 1)}\n`);
  const valCount = cfg.val_count as number;
  opts.onEvent?.({ type: 'start', python, device: probe.cuda ? 'cuda' : 'cpu', photos: photos.length - valCount, validation: valCount, workDir, resumed });

  const script = join(packageRoot(), 'training', 'train.py');
  const child = spawn(python, [script, '--config', join(workDir, 'config.json'), '--run-dir', workDir, '--resume'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onAbort = () => child.kill('SIGINT');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const tail: string[] = [];
  let steps = 0, mins = 0, best: number | null = null;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    tail.push(line);
    if (tail.length > 8) tail.shift();
    const done = /done: (\d+) steps, ([\d.]+) min/.exec(line);
    if (done) { steps = Number(done[1]); mins = Number(done[2]); }
    const json = line.indexOf('{');
    if (json < 0) return opts.onEvent?.({ type: 'log', line });
    let rec: Record<string, number | string | boolean>;
    try {
      rec = JSON.parse(line.slice(json)) as typeof rec;
    } catch {
      return opts.onEvent?.({ type: 'log', line });
    }
    if (typeof rec.loss === 'number' && typeof rec.step === 'number') {
      steps = rec.step; mins = Number(rec.elapsed_min);
      opts.onEvent?.({ type: 'progress', step: steps, minutes: mins, totalMinutes: minutes,
        etaSeconds: Math.max(0, (minutes - mins) * 60), loss: rec.loss, imagesPerSecond: Number(rec.img_s) });
    } else if (typeof rec.val_loss === 'number') {
      if (rec.best) best = rec.val_loss;
      opts.onEvent?.({ type: 'validation', step: Number(rec.step), loss: rec.val_loss, cbAuc: Number(rec.cb_auc_q), auc: Number(rec.auc_q), best: rec.best === true });
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (l.trim()) { tail.push(l); if (tail.length > 8) tail.shift(); }
  });
  const status = await new Promise<number | null>((done) => child.on('close', done));
  opts.signal?.removeEventListener('abort', onAbort);
  if (opts.signal?.aborted) throw new ChromaError('interrupted', `training stopped; rerun the same command to continue from ${workDir}`);
  const exported = join(workDir, 'model.onnx');
  if (status !== 0 || !existsSync(exported)) {
    const why = status === 0 ? 'the trainer finished but exported no model' : `training failed (exit ${status})`;
    throw new ChromaError('internal', `${why}: ${tail.slice(-3).join(' | ').slice(0, 600)}`);
  }
  const verdict = trainingImproved(readValidations(join(workDir, 'log.jsonl')));
  if (!verdict.improved) {
    throw new ChromaError('unimproved', `training did not beat the starting model on its ${valCount} validation photo(s) ` +
      `(validation loss ${verdict.start?.toFixed(4) ?? '-'} at the start, never lower); nothing written. ` +
      `Train longer (a rerun with a larger --minutes continues from ${workDir}) or on more photos`);
  }
  // Same folder as the output, so the rename is atomic: no half-written model under the user's name.
  const name = basename(output, extname(output));
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  copyFileSync(exported, tmp);
  const sidecar = JSON.parse(readFileSync(`${exported}.json`, 'utf8')) as Record<string, unknown>;
  writeFileSync(`${tmp}.json`, `${JSON.stringify({ ...sidecar, name }, null, 1)}\n`);
  renameSync(`${tmp}.json`, `${output}.json`);
  renameSync(tmp, output);
  if (!opts.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  return { output, name, steps, minutes: mins, bestValidationLoss: best ?? verdict.best, startValidationLoss: verdict.start };
}
