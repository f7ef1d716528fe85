// The one flag parser of every subcommand: node's parseArgs configured from the option specs (one
// declaration per option, core/options.ts), its errors said in one line of ours, and the --help
// lines written from the same specs.
import { parseArgs } from 'node:util';
import { usageError } from '../core/errors.js';
import { option, rangeText, readFlag, type OptionSpec, type OptionValue } from '../core/options.js';

export { readFlag };

/** parseArgs' configuration for a list of specs, typed by their literal flags and types. */
type ConfigOf<L extends readonly OptionSpec[]> = {
  [S in L[number] as S['flag']]: {
    type: S['type'] extends 'boolean' ? 'boolean' : 'string';
    multiple: S extends { multiple: true } ? true : false;
  };
};

/** Parses `argv` for `command` ('colorize', 'serve', ...); a bad flag is a one-line usage error. */
export function parseFlags<const L extends readonly OptionSpec[]>(
  command: string, argv: string[], specs: L,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: ConfigOf<L> }>> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple: boolean }> = {};
  for (const s of specs) options[s.flag] = { type: s.type === 'boolean' ? 'boolean' : 'string', multiple: Boolean(s.multiple), ...(s.short ? { short: s.short } : {}) };
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: options as ConfigOf<L> });
  } catch (err) {
    const e = err as Error & { code?: string };
    const flag = /'(-[^']*)'/.exec(e.message)?.[1];
    const why = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag ? `unknown option ${flag}`
      : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag ? `option ${flag.split(' ')[0]} needs a value`
      : e.message.split('\n')[0].replace(/\.$/, '');
    throw usageError(`${why} (see chroma ${command} --help)`);
  }
}

/** A flag's value read and checked by its spec, or `fallback` when the flag is absent. */
export function flagOr<S extends OptionSpec>(s: S, raw: string | undefined, fallback: NonNullable<OptionValue<S>>): NonNullable<OptionValue<S>> {
  return readFlag(s, raw) ?? fallback;
}

const WIDTH = 100;
const NAME_COLUMN = 23;

/** The spec's name as --help and the docs write it: `-o, --output PATH`. */
export function flagName(s: OptionSpec): string {
  return `${s.short ? `-${s.short}, ` : ''}--${s.flag}${s.arg ? ` ${s.arg}` : ''}`;
}

/** The spec's --help text after its name: doc, accepted values, default. */
function helpText(s: OptionSpec): string {
  const range = rangeText(s);
  const tail = [range, s.default !== undefined ? `default ${s.default}` : ''].filter(Boolean).join('; ');
  return tail ? `${s.doc} (${tail})` : s.doc;
}

/** --help lines for `specs`, the doc column at 23 and wrapped at 100 columns. */
export function optionLines(specs: readonly OptionSpec[]): string {
  const out: string[] = [];
  for (const s of specs) {
    const name = `  ${flagName(s)}`;
    const words = helpText(s).split(' ');
    let line = name.length + 1 < NAME_COLUMN ? name.padEnd(NAME_COLUMN) : null;
    if (line === null) {
      out.push(name);
      line = ' '.repeat(NAME_COLUMN);
    }
    let fresh = true;
    for (const w of words) {
      if (!fresh && line.length + 1 + w.length > WIDTH) {
        out.push(line);
        line = ' '.repeat(NAME_COLUMN);
        fresh = true;
      }
      line += fresh ? w : ` ${w}`;
      fresh = false;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** A markdown table of the specs (option | meaning | values | default), for docs/ and the README. */
export function optionTable(specs: readonly OptionSpec[]): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|');
  const rows = specs.map((s) => `| \`${flagName(s)}\` | ${cell(s.doc)} | ${cell(rangeText(s))} | ${cell(s.default ?? '')} |`);
  return ['| option | meaning | values | default |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

// Flags most commands have, each command giving its own doc where it differs.
export const HELP = option({ flag: 'help', short: 'h', type: 'boolean', doc: 'this help' });
export const JSON_EVENTS = option({ flag: 'json', type: 'boolean', doc: 'NDJSON events on stdout' });
export const QUIET = option({ flag: 'quiet', short: 'q', type: 'boolean', doc: 'no progress bar' });
export const OUTPUT = option({ flag: 'output', short: 'o', arg: 'PATH', type: 'string', doc: 'output file' });
export const OVERWRITE = option({ flag: 'overwrite', short: 'y', type: 'boolean', default: 'refuse', doc: 'replace an existing output' });
