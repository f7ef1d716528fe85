// A job's hints, checked against the input they are for before any frame is colorized: a file path
// is read and validated, an object (a HintsFile built in code, or the JSON a viewer sent) is
// validated by the same code as the file's text, so the library and the CLI refuse exactly the same
// things with the same one line (HintsError, exit 2).
import { readHintsFile, validateHints, type HintsFile, type HintsTarget } from '../hints/hints-file.js';
import type { HintProvider } from '../operators/apply-hints.js';

/** Hints as a job option: a hints file's path, or the parsed file. */
export type HintsInput = HintsFile | string;

export interface JobHints {
  file: HintsFile;
  /** The file's path when the hints came from one (a `reference` image is relative to it), else null. */
  path: string | null;
}

/** Read (a path) or re-validate (an object) the hints for an input of the target's size and kind. */
export async function loadJobHints(hints: HintsInput, target: Omit<HintsTarget, 'source'>): Promise<JobHints> {
  if (typeof hints === 'string') return { file: await readHintsFile(hints, target), path: hints };
  return { file: validateHints(asWritten(hints), { ...target, source: 'hints' }), path: null };
}

/**
 * A parsed HintsFile back in the form a file writes: a hint that has `color` carries its resolved
 * `ab` too, which the file format refuses beside `color`. Anything else passes unchanged, to be
 * refused by the validator with its usual line.
 */
function asWritten(file: unknown): unknown {
  if (typeof file !== 'object' || file === null || !Array.isArray((file as HintsFile).hints)) return file;
  const f = file as HintsFile;
  const hints = f.hints.map((h: unknown) => {
    if (typeof h !== 'object' || h === null || (h as { color?: unknown }).color === undefined) return h;
    const { ab: _ab, ...rest } = h as Record<string, unknown>;
    return rest;
  });
  return { ...f, hints };
}

/** A still's hints: every hint on its one frame, as given. */
export function stillHintProvider(file: HintsFile): HintProvider | null {
  if (file.hints.length === 0) return null;
  const hints = file.hints;
  return () => hints;
}
