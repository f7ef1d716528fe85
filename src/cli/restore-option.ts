// --restore and --restore-debug for files: what to repair, and where the preview goes.
import { parseRestoreOption } from '../restore/options.js';
import { usageError } from '../core/errors.js';
import type { RestoreOptions } from '../graph/restore-stage.js';

export function restoreFromCli(value: string | undefined, debugPath: string | undefined, resume: boolean): RestoreOptions | null {
  const settings = parseRestoreOption(value ?? 'off');
  if (debugPath === undefined) return settings ? { settings } : null;
  if (!settings) throw usageError('--restore-debug needs --restore (a preset or a list of defects)');
  if (resume) throw usageError('--restore-debug cannot be combined with --resume');
  return { settings, preview: { path: debugPath } };
}
