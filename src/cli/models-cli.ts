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
import { parseFlags } from './flags.js';
import { ChromaError, exitCodeOf } from '../core/errors.js';
import { convertFile, listModels, MODEL_NAMES, isModelName, pullModel, type PullProgress } from '../model/registry.js';

export interface ModelsCliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Models directory override (tests). */
  cacheDir?: string;
  signal?: AbortSignal;
}

const USAGE = `usage:
  chroma models list [--json]
  chroma models pull ${MODEL_NAMES.join('|')} [--force] [--keep-source] [--base-url URL] [--json]
  chroma models convert FILE.pth [-o OUT.onnx] [--json]
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
    if (code === 2) stderr.write(USAGE);
    return code;
  };

  let parsed;
  try {
    parsed = parseFlags('models', args, {
      output: { type: 'string', short: 'o' },
      'base-url': { type: 'string' },
      json: { type: 'boolean' },
      force: { type: 'boolean' },
      'keep-source': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (e) {
    return fail((e as Error).message, 2);
  }
  const { values: v, positionals } = parsed;
  json = Boolean(v.json);
  const [sub, ...rest] = positionals;
  if (v.help || sub === 'help') {
    stdout.write(USAGE);
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
            stdout.write(`${m.name.padEnd(12)} ${(m.kind ?? '?').padEnd(10)} ${state}  ${m.installed ? m.path : m.description ?? ''}\n`);
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
