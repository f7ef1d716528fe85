// Checking options at the library boundary: the same check (and the same one-line message) for
// the library, the server and the CLI's flags.
import { invalidOption } from './errors.js';

/**
 * `v` when it is a finite number in [min, max] (an integer when asked); undefined stays
 * undefined. Throws invalidOption otherwise; `shown` is what the user typed, when not `v`.
 */
export function checkNumber(
  name: string, v: number | undefined, min: number, max: number, integer = false, shown: unknown = v,
): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const range = Number.isFinite(min) || Number.isFinite(max) ? ` in [${min}, ${max}]` : '';
    throw invalidOption(name, `${integer ? 'an integer' : 'a number'}${range}`, shown);
  }
  return v;
}
