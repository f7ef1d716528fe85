// `chroma models ...`: list, pull and convert models.
//
//   models list [--json]
//   models pull eccv16|siggraph17 [--force] [--keep-source] [--base-url URL] [--json]
//   models convert FILE.pth [-o OUT.onnx] [--json]
//
// Exit codes: 0 success, 2 usage error, 3 a file that cannot be read, 5 a model file refused (its
// zip, pickle, tensors or shapes; one line naming the file), 1 anything else. Human output goes to
// stdout, progress (a bar, only when stderr is a TTY and --json is off) and errors to stderr. With --json, stdout gets one
// JSON document (also for failures: {"ok": false, "error": "..."}).

import { ProgressBar } from './progress-bar.js';
import { HELP, JSON_EVENTS, OUTPUT, optionLines, parseFlags } from './flags.js';
import { option } from '../core/options.js';
import { ChromaError, exitCodeOf } from '../core/errors.js';
import { convertFile, listModels, MODEL_CATALOG, MODEL_NAMES, isModelName, pullModel, type PullProgress } from '../model/registry.js';

export interface ModelsCliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Models directory override (tests). */
  cacheDir?: string;
  signal?: AbortSignal;
}

const MODELS_FLAGS = [
  option({ flag: 'force', type: 'boolean', default: 'off', doc: 'pull: download again even when installed' }),
  option({ flag: 'keep-source', type: 'boolean', default: 'off', doc: 'pull: keep the downloaded PyTorch file beside the ONNX one' }),
  option({ flag: 'base-url', arg: 'URL', type: 'string', default: "$CHROMA_MODELS_BASE_URL, else the authors' release", doc: 'pull: fetch from a mirror instead' }),
  { ...OUTPUT, arg: 'OUT.onnx', default: 'FILE.onnx beside FILE.pth', doc: 'convert: where to write the model' },
  { ...JSON_EVENTS, doc: 'one JSON document on stdout ({"ok": false, "error": ...} on failure)' }, HELP,
] as const;

export const MODELS_HELP = `Usage: chroma models list [--json]
       chroma models pull ${MODEL_NAMES.join('|')} [--force] [--keep-source] [--base-url URL] [--json]
       chroma models convert FILE.pth [-o OUT.onnx] [--json]

The models chroma can run. The built-in one ('default') ships with chroma, and so does 'null', a
measuring tool whose output is gray (docs/benchmarks.md); the authors' released
weights are fetched on demand, checked against their SHA-256, converted to ONNX here (no Python)
and kept in $XDG_CACHE_HOME/chroma/models (or $CHROMA_CACHE_DIR). Then: chroma colorize IN -o OUT
--model NAME.

  list                 every model: installed (size, path), partly downloaded, or available
  pull NAME            download one (progress on a terminal; an interrupted download resumes):
${MODEL_NAMES.map((n) => `                         ${n.padEnd(12)} ${MODEL_CATALOG[n].description}`).join('\n')}
  convert FILE.pth     convert a PyTorch file you fetched yourself (zip or legacy format)

Options:
${optionLines(MODELS_FLAGS)}

Examples:
  chroma models list
  chroma models pull siggraph17          (takes colour hints, like the built-in model)
  chroma models convert ~/Downloads/colorization_release_v2-9b330a0b.pth -o eccv16.onnx

Exit codes: 0 ok, 1 failure, 2 usage, 5 a failed or corrupt download, or a file that is no model.
`;

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** Pull progress on the shared progress bar: bytes and rate while downloading and verifying. */
function pullBar(stream: ModelsCliIo['stderr']): { update: (p: PullProgress) => void; end: () => void } {
  const bar = new ProgressBar('', stream);
  const t0 = Date.now();
  let lastPhase = '';
  return {
    update(p) {
      const force = p.phase !== lastPhase || p.received === p.total;
      lastPhase = p.phase;
      if (p.phase === 'download' || p.phase === 'verify') {
        const secs = Math.max(0.001, (Date.now() - t0) / 1000);
        const rate = p.phase === 'download' ? `  ${mb((p.received - p.resumedFrom) / secs)}/s` : '';
        bar.draw(p.total ? p.received / p.total : null, `${mb(p.received)}${p.total ? `/${mb(p.total)}` : ''}${rate}`, force, p.phase === 'download' ? 'downloading' : 'verifying  ');
      } else {
        bar.draw(null, '', force, p.phase === 'convert' ? 'converting to ONNX...' : 'done');
      }
    },
    end: () => bar.done(),
  };
}

/** Runs `models <sub> ...`; argv may start with "models". Returns the exit code. */
export async function runModelsCommand(argv: string[], io: Partial<ModelsCliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const args = argv[0] === 'models' ? argv.slice(1) : argv;
  let json = args.includes('--json');
  const fail = (msg: string, code = 1): number => {
    if (json) stdout.write(`${JSON.stringify({ ok: false, error: msg })}\n`);
    stderr.write(`chroma models: ${msg}\n`);
    if (code === 2) stderr.write(`${MODELS_HELP.split('\n\n')[0]}\n(chroma models --help says more)\n`);
    return code;
  };

  let parsed;
  try {
    parsed = parseFlags('models', args, MODELS_FLAGS);
  } catch (e) {
    return fail((e as Error).message, 2);
  }
  const { values: v, positionals } = parsed;
  json = Boolean(v.json);
  const [sub, ...rest] = positionals;
  if (v.help || sub === 'help') {
    stdout.write(MODELS_HELP);
    return 0;
  }

  try {
    switch (sub) {
      case 'list':
      case 'ls': {
        if (rest.length) return fail(`unexpected argument ${rest[0]}`, 2);
        const models = await listModels({ cacheDir: io.cacheDir });
        if (json) {
          stdout.write(`${JSON.stringify({ ok: true, models })}\n`);
        } else {
          for (const m of models) {
            const state = m.installed ? `installed  ${m.bytes !== null ? mb(m.bytes).padStart(9) : ''}` : m.partialBytes ? `partial    ${mb(m.partialBytes).padStart(9)}` : 'available           ';
            stdout.write(`${m.name.padEnd(12)} ${(m.kind ?? '?').padEnd(10)} ${state}  ${m.installed && m.bytes !== null ? m.path : m.description ?? ''}\n`);
          }
        }
        return 0;
      }
      case 'pull': {
        if (rest.length !== 1) return fail(`pull takes one model name (${MODEL_NAMES.join(', ')})`, 2);
        const name = rest[0];
        if (!isModelName(name)) return fail(`unknown model "${name}" (known: ${MODEL_NAMES.join(', ')})`, 2);
        const bar = !json && stderr.isTTY ? pullBar(stderr) : null;
        let result;
        try {
          result = await pullModel(name, {
            cacheDir: io.cacheDir,
            signal: io.signal,
            force: Boolean(v.force),
            keepSource: Boolean(v['keep-source']),
            baseUrl: v['base-url'],
            onProgress: bar ? bar.update : undefined,
          });
        } finally {
          bar?.end();
        }
        if (json) stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
        else stdout.write(result.downloaded ? `${name}: installed ${result.path} (${mb(result.bytes)})\n` : `${name}: already installed at ${result.path}\n`);
        return 0;
      }
      case 'convert': {
        if (rest.length !== 1) return fail('convert takes one FILE.pth', 2);
        const r = await convertFile(rest[0], v.output);
        if (json) stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
        else stdout.write(`${rest[0]}: ${r.arch} → ${r.outPath} (${mb(r.bytes)})\n`);
        return 0;
      }
      case undefined:
        return fail('missing subcommand (list, pull, convert)', 2);
      default:
        return fail(`unknown subcommand "${sub}"`, 2);
    }
  } catch (e) {
    return fail(e instanceof ChromaError ? e.message : (e as Error).message, exitCodeOf(e));
  }
}
