// --smooth for files: the temporal smoothing stage in look-ahead mode, or none.
import type { AbStage } from '../pipeline/colorize-video.js';

export function smoothingFromCli(_value: string | undefined): AbStage | null {
  return null;
}
