// Defaults shared by more than one layer, in one place so the library, the CLI, the server and
// the README cannot drift apart.

/** Annealed-mean temperature of the paper (the Caffe release scaled logits by 2.606, T ~ 0.384). */
export const DEFAULT_TEMPERATURE = 0.38;

/** The temperature range accepted everywhere: T -> 0 would divide the logits by zero. */
export const TEMPERATURE_RANGE: readonly [number, number] = [0.01, 1];

/** Frames per inference call for files and stills. */
export const DEFAULT_BATCH = 4;

/** Frames per inference call for live sources (latency first). */
export const DEFAULT_LIVE_BATCH = 1;

/** Frame rate assumed when a source gives neither timestamps nor a rate. */
export const FALLBACK_FPS = 25;
