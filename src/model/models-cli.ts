// `chroma models ...`: list, pull and convert models.
//
//   models list [--json]
//   models pull eccv16|siggraph17 [--force] [--keep-source] [--base-url URL] [--json]
//   models convert FILE.pth [-o OUT.onnx] [--json]
//
// Exit codes: 0 success, 1 failure, 2 usage error. Human output goes to stdout, progress (a bar,
// only when stderr is a TTY and --json is off) and errors to stderr. With --json, stdout gets one
// JSON document (also for failures: {"ok": false, "error": "..."}).

import { ChromaError, exitCodeOf } from '../core/errors.js';
import { convertFile, listModels, MODEL_NAMES, isModelName, pullModel, type PullProgress } from './registry.js';

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

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['-o', '--output', '--base-url']);

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (VALUE_FLAGS.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value`);
        flags.set(name === '--output' ? '-o' : name, v);
      } else if (['--json', '--force', '--keep-source', '-h', '--help'].includes(name)) {
        flags.set(name === '-h' ? '--help' : name, true);
      } else {
        throw new UsageError(`unknown option ${a}`);
      }
    } else positional.push(a);
  }
  return { positional, flags };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** A one-line progress bar redrawn in place on a TTY. */
function progressBar(stream: ModelsCliIo['stderr']): { update: (p: PullProgress) => void; end: () => void } {
  const t0 = Date.now();
  let last = 0;
  let drawn = false;
  let lastPhase = '';
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === lastPhase && now - last < 100 && p.received !== p.total) return;
      last = now;
      lastPhase = p.phase;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 45));
      let line: string;
      if (p.phase === 'download' || p.phase === 'verify') {
        const frac = p.total ? Math.min(1, p.received / p.total) : 0;
        const fill = Math.round(frac * width);
        const secs = Math.max(0.001, (now - t0) / 1000);
        const rate = p.phase === 'download' ? `  ${mb((p.received - p.resumedFrom) / secs)}/s` : '';
        line = `${p.phase === 'download' ? 'downloading' : 'verifying  '} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${p.total ? `${(frac * 100).toFixed(0).padStart(3)}%` : ''} ${mb(p.received)}${p.total ? `/${mb(p.total)}` : ''}${rate}`;
      } else if (p.phase === 'convert') {
        line = 'converting to ONNX...';
      } else {
        line = 'done';
      }
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write('\r\x1b[2K');
    },
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

  let parsed: Parsed;
  try {
    parsed = parse(args);
  } catch (e) {
    return fail((e as Error).message, 2);
  }
  json = parsed.flags.has('--json');
  const [sub, ...rest] = parsed.positional;
  if (parsed.flags.has('--help') || sub === 'help') {
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
        const bar = !json && stderr.isTTY ? progressBar(stderr) : null;
        let result;
        try {
          result = await pullModel(name, {
            cacheDir: io.cacheDir,
            signal: io.signal,
            force: parsed.flags.has('--force'),
            keepSource: parsed.flags.has('--keep-source'),
            baseUrl: typeof parsed.flags.get('--base-url') === 'string' ? (parsed.flags.get('--base-url') as string) : undefined,
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
        const out = parsed.flags.get('-o');
        const r = await convertFile(rest[0], typeof out === 'string' ? out : undefined);
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
