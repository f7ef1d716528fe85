// The option schema's mechanics: an option is declared once (core/option-specs.ts for the
// library's, each CLI file for its own flags) and that one declaration checks the library's
// value, parses the flag, writes the --help line and the docs' table row, with one message shape
// (invalidOption) for a bad value wherever it is caught.
import { invalidOption } from './errors.js';

export interface OptionSpec {
  /** The library's name of the option (`maxWaitMs`); absent for a flag only the CLI has. */
  readonly key?: string;
  /** The flag without its dashes (`max-wait`). */
  readonly flag: string;
  readonly short?: string;
  /** The value's placeholder in --help (`N`, `T`); none for a boolean flag. */
  readonly arg?: string;
  /** 'integer' and 'number' are ranged by min/max; 'choice' is one of `choices`. */
  readonly type: 'number' | 'integer' | 'choice' | 'string' | 'boolean';
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  /** Words a number option also takes (`--smooth medium`). */
  readonly words?: readonly string[];
  /** The flag may be given more than once. */
  readonly multiple?: boolean;
  /** The default as a reader should see it (`0.38`, `all cores`); none for a required or plain flag. */
  readonly default?: string;
  /** One line: what the option does. */
  readonly doc: string;
}

/** Declares a spec, keeping its literal flag and type (so parsed flags are typed by them). */
export const option = <const S extends OptionSpec>(s: S): S => s;

/** The value a spec stands for. */
export type OptionValue<S extends OptionSpec> = S['type'] extends 'number' | 'integer'
  ? number | (S extends { words: readonly (infer W)[] } ? W : never)
  : S['type'] extends 'choice' ? (S extends { choices: readonly (infer C)[] } ? C : string)
  : S['type'] extends 'boolean' ? boolean : string;

const list = (xs: readonly string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}` : xs[0] ?? '');

/** The accepted values in the error line's words: `an integer in [32, 4096]`, `auto, cpu or cuda`. */
export function expectedText(s: OptionSpec): string {
  if (s.type === 'choice') return list(s.choices ?? []);
  if (s.type !== 'number' && s.type !== 'integer') return s.type === 'boolean' ? 'true or false' : 'a string';
  const min = s.min ?? -Infinity, max = s.max ?? Infinity;
  const range = Number.isFinite(min) || Number.isFinite(max) ? ` in [${min}, ${max}]` : '';
  const num = `${s.type === 'integer' ? 'an integer' : 'a number'}${range}`;
  return s.words?.length ? `${s.words.map((w) => `'${w}'`).join(', ')} or ${num}` : num;
}

/** The accepted values as docs show them: `32..4096`, `auto | cpu | cuda`, `off | low | 0..1`. */
export function rangeText(s: OptionSpec): string {
  if (s.type === 'choice') return (s.choices ?? []).join(' | ');
  if (s.type !== 'number' && s.type !== 'integer') return '';
  const span = s.min !== undefined && s.max !== undefined ? `${s.min}..${s.max}` : s.min !== undefined ? `>= ${s.min}` : s.max !== undefined ? `<= ${s.max}` : '';
  return [...(s.words ?? []), span].filter(Boolean).join(' | ');
}

/**
 * The library's check: `value` when the spec accepts it (undefined stays undefined), else
 * invalidOption under `name` (the library's key by default; the CLI passes `--flag`).
 */
export function checkOption<S extends OptionSpec>(s: S, value: unknown, name = s.key ?? `--${s.flag}`, shown: unknown = value): OptionValue<S> | undefined {
  if (value === undefined) return undefined;
  const ok = s.type === 'choice' ? typeof value === 'string' && (s.choices ?? []).includes(value)
    : s.type === 'number' || s.type === 'integer' ? (typeof value === 'string' && (s.words ?? []).includes(value)) || inRange(s, value)
    : s.type === 'boolean' ? typeof value === 'boolean' : typeof value === 'string';
  if (ok) return value as OptionValue<S>;
  // A number out of range is told the range alone; anything else every accepted form.
  const expected = typeof value === 'number' && s.words?.length ? expectedText({ ...s, words: [] }) : expectedText(s);
  throw invalidOption(name, expected, shown);
}

function inRange(s: OptionSpec, v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= (s.min ?? -Infinity) && v <= (s.max ?? Infinity) && (s.type !== 'integer' || Number.isInteger(v));
}

/** Checks every spec that has a library key against that member of `opts`. */
export function checkOptions(specs: readonly OptionSpec[], opts: object): void {
  for (const s of specs) if (s.key) checkOption(s, (opts as Record<string, unknown>)[s.key]);
}

/** A flag's text read as the spec's type (a number flag's word stays a word), checked under `--flag`. */
export function readFlag<S extends OptionSpec>(s: S, raw: string | undefined): OptionValue<S> | undefined {
  if (raw === undefined) return undefined;
  const numeric = (s.type === 'number' || s.type === 'integer') && !(s.words ?? []).includes(raw);
  const value = numeric ? (raw.trim() === '' ? NaN : Number(raw)) : raw;
  if (numeric && Number.isNaN(value)) {
    throw invalidOption(`--${s.flag}`, s.type === 'integer' && !s.words?.length ? `a number (${expectedText(s)})` : expectedText(s), raw);
  }
  return checkOption(s, value, `--${s.flag}`, raw);
}

/** `v` when it is a finite number in [min, max] (an integer when asked); undefined stays undefined. */
export function checkNumber(
  name: string, v: number | undefined, min: number, max: number, integer = false, shown: unknown = v,
): number | undefined {
  return checkOption({ flag: name, type: integer ? 'integer' : 'number', min, max, doc: '' }, v, name, shown);
}
