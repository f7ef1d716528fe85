// Prometheus metrics of one queue worker, in a registry of its own, served as text at /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface WorkerMetrics {
  registry: Registry;
  segments: Counter<'outcome'>;
  frames: Counter;
  failures: Counter<'kind'>;
  /** Frames per second of the last segment this worker finished. */
  fps: Gauge;
  active: Gauge;
}

/** `depth` is asked for the segment queue's job counts at each scrape. */
export function createWorkerMetrics(depth: () => Promise<Record<string, number>>): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'chroma_' });
  new Gauge({
    name: 'chroma_queue_depth',
    help: 'Segment jobs in the queue by state (all workers, all runs)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await depth().catch(() => ({} as Record<string, number>));
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  return {
    registry,
    segments: new Counter({ name: 'chroma_worker_segments_total', help: 'Segments this worker finished, by outcome (done, duplicate, failed, returned)', labelNames: ['outcome'], registers: [registry] }),
    frames: new Counter({ name: 'chroma_worker_frames_total', help: 'Frames this worker colorized into finished segments', registers: [registry] }),
    failures: new Counter({ name: 'chroma_worker_failures_total', help: 'Failed segment or join attempts, by kind (input, internal, ...)', labelNames: ['kind'], registers: [registry] }),
    fps: new Gauge({ name: 'chroma_worker_fps', help: 'Frames per second of the last finished segment', registers: [registry] }),
    active: new Gauge({ name: 'chroma_worker_active_jobs', help: 'Segment and join jobs this worker is running', registers: [registry] }),
  };
}

/** Serve /metrics on host:port (0 = a free port); resolves with the port. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
