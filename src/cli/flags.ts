// The one flag parser of every subcommand: node's parseArgs, its errors said in one line of ours,
// and number flags checked against their range with the library's own check (core/options.ts).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../core/errors.js';
import { checkNumber } from '../core/options.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` for `command` ('colorize', 'serve', ...); a bad flag is a one-line usage error. */
export function parseFlags<O extends Options>(
  command: string, argv: string[], options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (err) {
    const e = err as Error & { code?: string };
    const flag = /'(-[^']*)'/.exec(e.message)?.[1];
    const why = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag ? `unknown option ${flag}`
      : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag ? `option ${flag.split(' ')[0]} needs a value`
      : e.message.split('\n')[0].replace(/\.$/, '');
    throw usageError(`${why} (see chroma ${command} --help)`);
  }
}

/** A number flag: undefined when absent; otherwise a number in [min, max] (an integer when asked; unbounded by default, for options the library checks). */
export function numberFlag(
  raw: string | undefined, name: string, min = -Infinity, max = Infinity, integer = false,
): number | undefined {
  if (raw === undefined) return undefined;
  return checkNumber(`--${name}`, raw.trim() === '' ? NaN : Number(raw), min, max, integer, raw);
}
