// What a live server says about itself: the full statistics (ServerHandle.stats) and the short
// /healthz answer (ok when the source is connected; a load balancer reads only that).
import type { Broadcaster } from './broadcaster.js';
import type { LiveSettings } from './control.js';
import type { LiveGraph } from './live-graph.js';
import type { Recorder } from './recorder.js';
import type { LiveSource, SourceGeometry, SourceState } from './source.js';
import type { ServerStats } from './server-types.js';

/** The parts the numbers come from. */
export interface LiveStatsParts {
  source: LiveSource;
  graph: LiveGraph;
  broadcaster: Broadcaster;
  recorder: Recorder | null;
  /** Frame size and rate (0 x 0 while a source that was not up at start is still waiting). */
  geom: SourceGeometry;
  settings: LiveSettings;
  smoothAvailable: boolean;
  dropped: { mailbox: number; paused: number; idle: number };
  /** performance.now() at start. */
  started: number;
}

/** The source's state as viewers see it (a copy: it is sent, and changes under us). */
export function publicSource(s: SourceState): SourceState {
  return { ...s };
}

export function liveStats(p: LiveStatsParts): ServerStats {
  const { source, graph, broadcaster } = p;
  const mem = process.memoryUsage();
  const clients = broadcaster.list();
  return {
    uptimeSeconds: (performance.now() - p.started) / 1000,
    width: p.geom.width, height: p.geom.height, fps: p.geom.fps,
    source: { ...source.state, framesIn: source.framesIn, reconnects: source.reconnects, lastFrameAgeMs: source.lastFrameAgeMs, lagMs: source.lagMs },
    framesIn: source.framesIn,
    framesOut: graph.framesOut,
    outFps: broadcaster.outFps,
    dropped: { ...p.dropped, encoder: broadcaster.encoderDrops, viewers: clients.reduce((a, c) => a + c.dropped, 0) },
    viewers: clients.length,
    clients,
    settings: { ...p.settings },
    smoothAvailable: p.smoothAvailable,
    inferenceErrors: graph.errors,
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, externalBytes: mem.external },
    record: p.recorder?.stats() ?? null,
  };
}

export function liveHealth(p: LiveStatsParts): object {
  const { source } = p;
  const st = source.state;
  return {
    ok: st.status === 'connected',
    status: st.status === 'connected' ? 'ok' : st.status === 'waiting' ? 'waiting' : 'degraded',
    source: {
      status: st.status, since: new Date(st.since).toISOString(), attempt: st.attempt, retryInMs: st.retryInMs,
      lastFrameAgeMs: source.lastFrameAgeMs === null ? null : Math.round(source.lastFrameAgeMs), reconnects: source.reconnects,
      lagMs: Math.round(source.lagMs),
    },
    viewers: p.broadcaster.size,
    framesIn: source.framesIn,
    framesOut: p.graph.framesOut,
    width: p.geom.width, height: p.geom.height,
    uptimeSeconds: Math.round((performance.now() - p.started) / 1000),
  };
}
