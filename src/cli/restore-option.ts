// --restore and --restore-debug for files: what to repair, and where the preview goes.
import { parseRestoreOption } from '../restore/options.js';
import { usageError } from '../core/errors.js';
import { option } from '../core/options.js';
import type { RestoreOptions } from '../graph/restore-stage.js';

export const RESTORE = option({
  flag: 'restore', arg: 'R', type: 'string', default: 'off',
  doc: "repair the film's L before colouring (videos): auto, light, strong, off, or a comma list of dust,scratches,flicker,grain,blotches",
});
export const RESTORE_DEBUG = option({
  flag: 'restore-debug', arg: 'F', type: 'string', default: 'none',
  doc: 'also write F (.mp4): the first 5 s as original | restored | what changed (not with --resume)',
});

export function restoreFromCli(value: string | undefined, debugPath: string | undefined, resume: boolean): RestoreOptions | null {
  const settings = parseRestoreOption(value ?? 'off');
  if (debugPath === undefined) return settings ? { settings } : null;
  if (!settings) throw usageError('--restore-debug needs --restore (a preset or a list of defects)');
  if (resume) throw usageError('--restore-debug cannot be combined with --resume');
  return { settings, preview: { path: debugPath } };
}
