// Fan-out to viewers. Each colour frame is JPEG-encoded once and the same message buffer is handed
// to every socket. A viewer whose connection is behind (more than `queue` messages not yet taken by
// the kernel, or too many bytes buffered) skips frames, which are counted per viewer, so one slow
// viewer costs neither memory nor the others' frame rate. Dead peers are found by ping/pong.
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { encodeFrameHeader, wallNow, type StageTimes } from './frame-header.js';
import type { LiveMetrics } from './metrics.js';
import type { LiveColorFrame } from './live-graph.js';

export interface Client {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  readonly connectedAt: number;
  /** Its connection presented the server's token (false on a server without one). */
  readonly trusted: boolean;
  /** Frame messages handed to the socket whose write has not completed. */
  pending: number;
  sent: number;
  dropped: number;
  alive: boolean;
  /** Control messages in the current one-second window (rate limit). */
  msgWindowStart: number;
  msgCount: number;
}

export interface ClientInfo {
  id: number;
  remote: string;
  connectedSeconds: number;
  sent: number;
  dropped: number;
  pending: number;
  bufferedAmount: number;
}

export interface BroadcasterOptions {
  /** JPEG quality 1..100. */
  quality: number;
  /** Frame messages a viewer may have in flight (default 2). */
  queue?: number;
  /** Skip frames for a viewer with more than this many bytes waiting in user space (default 2 MiB). */
  maxBufferedBytes?: number;
  /** Ping period; a peer that missed the previous pong is terminated (default 15 s). */
  pingIntervalMs?: number;
  /** Period of the per-viewer stats message (default 1 s). */
  statsIntervalMs?: number;
  /** Control messages allowed per viewer per second before refusing (default 20; 5x that closes). */
  maxMessagesPerSecond?: number;
  metrics: LiveMetrics;
  /** First message to a new viewer. */
  hello: () => object;
  /** Shared fields of the periodic stats message. */
  stats: () => object;
  /** Counters carried in each frame header. */
  headerCounters: () => { droppedSource: number; reconnects: number };
  onMessage: (client: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void;
  log?: (line: string) => void;
}

interface PendingFrame {
  frame: LiveColorFrame;
  stages: Omit<StageTimes, 'jpeg'>;
}

export class Broadcaster {
  private readonly clients = new Map<WebSocket, Client>();
  private nextId = 1;
  private encoding = false;
  private waiting: PendingFrame | null = null;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly statsTimer: NodeJS.Timeout;
  private closed = false;
  framesPublished = 0;
  encoderDrops = 0;
  /** Frames published per second, over the last stats period. */
  outFps = 0;
  private fpsCount = 0;
  private fpsSince = performance.now();

  constructor(private readonly o: BroadcasterOptions) {
    this.pingTimer = setInterval(() => this.keepalive(), o.pingIntervalMs ?? 15000);
    this.statsTimer = setInterval(() => this.sendStats(), o.statsIntervalMs ?? 1000);
    this.pingTimer.unref();
    this.statsTimer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  list(): ClientInfo[] {
    const now = Date.now();
    return [...this.clients.values()].map((c) => ({
      id: c.id,
      remote: c.remote,
      connectedSeconds: (now - c.connectedAt) / 1000,
      sent: c.sent,
      dropped: c.dropped,
      pending: c.pending,
      bufferedAmount: c.ws.bufferedAmount,
    }));
  }

  add(ws: WebSocket, remote: string, trusted = false): Client {
    const c: Client = {
      id: this.nextId++, ws, remote, connectedAt: Date.now(), trusted, pending: 0, sent: 0, dropped: 0, alive: true,
      msgWindowStart: performance.now(), msgCount: 0,
    };
    this.clients.set(ws, c);
    this.o.metrics.viewers.set(this.clients.size);
    this.o.metrics.clientFramesDropped.inc({ client: String(c.id) }, 0);
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => {
      c.alive = true;
      if (!this.allowMessage(c)) return;
      this.o.onMessage(c, data, isBinary);
    });
    ws.on('close', () => this.remove(ws));
    ws.on('error', () => ws.terminate());
    this.send(c, this.o.hello());
    return c;
  }

  private remove(ws: WebSocket): void {
    const c = this.clients.get(ws);
    if (!c) return;
    this.clients.delete(ws);
    this.o.metrics.viewers.set(this.clients.size);
    this.o.metrics.clientFramesDropped.remove({ client: String(c.id) });
  }

  private allowMessage(c: Client): boolean {
    const now = performance.now();
    if (now - c.msgWindowStart >= 1000) {
      c.msgWindowStart = now;
      c.msgCount = 0;
    }
    const limit = this.o.maxMessagesPerSecond ?? 20;
    c.msgCount++;
    if (c.msgCount > limit * 5) {
      c.ws.close(1008, 'too many messages');
      return false;
    }
    if (c.msgCount > limit) {
      this.send(c, { type: 'error', message: `too many messages (max ${limit} a second)` });
      return false;
    }
    return true;
  }

  /** A JSON message to one viewer (skipped for a viewer that is far behind). */
  send(c: Client, obj: object): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount > 2 * (this.o.maxBufferedBytes ?? 2 << 20)) return;
    c.ws.send(JSON.stringify(obj));
  }

  broadcastJson(obj: object): void {
    const text = JSON.stringify(obj);
    for (const c of this.clients.values()) {
      if (c.ws.readyState === WebSocket.OPEN && c.ws.bufferedAmount <= 2 * (this.o.maxBufferedBytes ?? 2 << 20)) c.ws.send(text);
    }
  }

  /** A colour frame for everyone. One JPEG encode at a time; a newer frame replaces a waiting one. */
  publish(frame: LiveColorFrame, stages: Omit<StageTimes, 'jpeg'>): void {
    if (this.closed) return;
    this.framesPublished++;
    this.fpsCount++;
    if (this.clients.size === 0) return; // nobody watching: no JPEG
    if (this.encoding) {
      if (this.waiting) {
        this.encoderDrops++;
        this.o.metrics.framesDropped.inc({ reason: 'encoder' });
      }
      this.waiting = { frame, stages };
      return;
    }
    void this.encode({ frame, stages });
  }

  private async encode(p: PendingFrame): Promise<void> {
    this.encoding = true;
    try {
      const { frame: f } = p;
      const t0 = performance.now();
      let jpeg: Buffer;
      try {
        jpeg = await sharp(f.out, { raw: { width: f.width, height: f.height, channels: 3 } })
          .jpeg({ quality: this.o.quality, chromaSubsampling: '4:2:0' })
          .toBuffer();
      } catch (err) {
        this.o.log?.(`jpeg: ${(err as Error).message}`);
        return;
      }
      if (this.closed) return;
      const stages: StageTimes = { ...p.stages, jpeg: performance.now() - t0 };
      const sentAt = wallNow();
      const header = encodeFrameHeader({
        seq: f.live.seq,
        width: f.width,
        height: f.height,
        pts: f.pts,
        decodedAt: f.live.decodedWall,
        sentAt,
        stages,
        ...this.o.headerCounters(),
      });
      const m = this.o.metrics;
      m.stageSeconds.observe({ stage: 'jpeg' }, stages.jpeg / 1000);
      m.latencySeconds.observe(Math.max(0, sentAt - f.live.decodedWall) / 1000);
      this.fanOut(Buffer.concat([header, jpeg]));
    } finally {
      this.encoding = false;
      const next = this.waiting;
      this.waiting = null;
      if (next && !this.closed) void this.encode(next);
    }
  }

  private fanOut(msg: Buffer): void {
    const queue = this.o.queue ?? 2;
    const maxBuffered = this.o.maxBufferedBytes ?? 2 << 20;
    const m = this.o.metrics;
    for (const c of this.clients.values()) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.pending >= queue || c.ws.bufferedAmount > maxBuffered) {
        c.dropped++;
        m.clientFramesDropped.inc({ client: String(c.id) });
        continue;
      }
      c.pending++;
      c.ws.send(msg, { binary: true }, (err) => {
        c.pending--;
        if (!err) {
          c.sent++;
          m.clientFramesSent.inc();
        }
      });
    }
  }

  private keepalive(): void {
    for (const c of this.clients.values()) {
      if (!c.alive) {
        this.o.log?.(`viewer ${c.id} (${c.remote}) did not answer a ping; disconnected`);
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        c.ws.terminate();
      }
    }
  }

  private sendStats(): void {
    const now = performance.now();
    this.outFps = (this.fpsCount * 1000) / Math.max(1, now - this.fpsSince);
    this.fpsCount = 0;
    this.fpsSince = now;
    if (!this.clients.size) return;
    const shared = this.o.stats();
    for (const c of this.clients.values()) this.send(c, { type: 'stats', ...shared, dropped: c.dropped, sent: c.sent });
  }

  /** Say goodbye to everyone; peers that do not finish the closing handshake in time are cut. */
  async close(graceMs = 500): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    clearInterval(this.statsTimer);
    this.waiting = null;
    const all = [...this.clients.keys()];
    if (!all.length) return;
    await new Promise<void>((resolve) => {
      let left = all.length;
      const timer = setTimeout(() => {
        for (const ws of all) ws.terminate();
        resolve();
      }, graceMs);
      for (const ws of all) {
        ws.once('close', () => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        ws.close(1001, 'server stopping');
      }
    });
  }
}
