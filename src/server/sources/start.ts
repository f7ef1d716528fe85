// The first look at a source when the server starts: its frame size and rate. A network camera
// that does not answer yet is not an error: the server starts anyway and the source is `waiting`
// (retried with the same backoff as a drop mid-stream), unless the caller wants the old fail-fast
// behaviour for scripts (exitOnSourceFailure).
import { ChromaError } from '../../core/errors.js';
import { probeSource, type SourceGeometry, type SourceSpec } from '../source.js';

export interface SourceStartOptions {
  width?: number;
  height?: number;
  fps?: number;
  probeTimeoutMs?: number;
  exitOnSourceFailure?: boolean;
}

export interface SourceStart {
  /** null while the source has not answered. */
  geometry: SourceGeometry | null;
  /** Why it has not (for the `waiting` status), when geometry is null. */
  failure?: string;
}

/** The source's geometry: given sizes win, the probe fills in the rest, and `fps` overrides a probed rate. */
export async function probeGeometry(spec: SourceSpec, o: SourceStartOptions): Promise<SourceGeometry> {
  if (o.width && o.height) return { width: o.width, height: o.height, fps: o.fps ?? null };
  const g = await probeSource(spec, o.probeTimeoutMs);
  return o.fps ? { ...g, fps: o.fps } : g;
}

export async function startSource(spec: SourceSpec, o: SourceStartOptions, log: (line: string) => void): Promise<SourceStart> {
  try {
    return { geometry: await probeGeometry(spec, o) };
  } catch (err) {
    const waitable = spec.kind === 'url' && err instanceof ChromaError && err.kind === 'source';
    if (!waitable || o.exitOnSourceFailure) throw err;
    const failure = err.message.split(`${spec.label}: `).join('');
    log(`source: not reachable yet (${failure}); waiting for it`);
    return { geometry: null, failure };
  }
}
