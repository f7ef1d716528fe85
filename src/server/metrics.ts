// Prometheus metrics for one server, in a registry of its own (two servers in one process, as in
// the tests, never collide). Served as text at /metrics.
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import { STAGE_NAMES } from './frame-header.js';

const SOURCE_STATUSES = ['waiting', 'connecting', 'connected', 'reconnecting', 'ended', 'stopped'] as const;

export interface LiveMetrics {
  registry: Registry;
  framesIn: Counter;
  framesOut: Counter;
  framesDropped: Counter<'reason'>;
  framesIdle: Counter;
  clientFramesDropped: Counter<'client'>;
  clientFramesSent: Counter;
  stageSeconds: Histogram<'stage'>;
  latencySeconds: Histogram;
  viewers: Gauge;
  sourceUp: Gauge;
  /** 1 for the source's current status (waiting, connecting, connected, reconnecting, ended, stopped), 0 for the others. */
  sourceStatus: Gauge<'status'>;
  setSourceStatus(status: string): void;
  sourceReconnects: Counter;
  controlErrors: Counter;
}

export function createMetrics(opts: { processMetrics?: boolean } = {}): LiveMetrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'chroma_' });
  const stageBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  const m: LiveMetrics = {
    registry,
    framesIn: new Counter({ name: 'chroma_live_frames_in_total', help: 'Frames decoded from the source', registers: [registry] }),
    framesOut: new Counter({ name: 'chroma_live_frames_out_total', help: 'Frames colorized and published', registers: [registry] }),
    framesDropped: new Counter({
      name: 'chroma_live_frames_dropped_total',
      help: 'Frames not colorized: model busy (mailbox), paused, or the JPEG encoder busy (encoder)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    framesIdle: new Counter({ name: 'chroma_live_frames_idle_total', help: 'Frames not colorized because nobody was watching or recording', registers: [registry] }),
    clientFramesDropped: new Counter({
      name: 'chroma_live_client_frames_dropped_total',
      help: 'Frames a viewer did not get because its connection was behind (per connected viewer)',
      labelNames: ['client'],
      registers: [registry],
    }),
    clientFramesSent: new Counter({ name: 'chroma_live_client_frames_sent_total', help: 'Frame messages written to viewers', registers: [registry] }),
    stageSeconds: new Histogram({
      name: 'chroma_live_stage_seconds',
      help: `Time a frame spent in each live stage (${STAGE_NAMES.join(', ')})`,
      labelNames: ['stage'],
      buckets: stageBuckets,
      registers: [registry],
    }),
    latencySeconds: new Histogram({
      name: 'chroma_live_latency_seconds',
      help: 'From the decoder delivering a frame to its message being handed to the viewers',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
      registers: [registry],
    }),
    viewers: new Gauge({ name: 'chroma_live_viewers', help: 'Connected viewers', registers: [registry] }),
    sourceUp: new Gauge({ name: 'chroma_live_source_up', help: '1 while the source delivers frames', registers: [registry] }),
    sourceStatus: new Gauge({
      name: 'chroma_live_source_status',
      help: 'The source status now (1 on its label): waiting = not reachable since start, retried with backoff',
      labelNames: ['status'],
      registers: [registry],
    }),
    setSourceStatus: (status) => {
      for (const s of SOURCE_STATUSES) m.sourceStatus.set({ status: s }, s === status ? 1 : 0);
    },
    sourceReconnects: new Counter({ name: 'chroma_live_source_reconnects_total', help: 'Source (re)connection attempts after a drop', registers: [registry] }),
    controlErrors: new Counter({ name: 'chroma_live_control_errors_total', help: 'Refused control messages', registers: [registry] }),
  };
  for (const r of ['mailbox', 'paused', 'encoder']) m.framesDropped.inc({ reason: r }, 0);
  m.setSourceStatus('connecting');
  return m;
}
