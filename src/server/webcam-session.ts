// The browser's own camera: viewers send frames up their WebSocket (webcam-upload.ts), each gets
// its own small live graph on the shared model, and the colorized frame goes back to that viewer
// alone. Bounded like the rest: per viewer at most MAX_UPLOAD_FPS frames a second, one JPEG
// decode and one encode at a time with the newest frame waiting (older ones are dropped), the
// graph's own mailbox (newest wins), two result messages in flight; at most `maxSessions`
// cameras at once. Only on a server with a token: an upload makes this machine do work for
// whoever holds the socket.
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { LiveGraph, type LiveColorFrame } from './live-graph.js';
import { encodeFrameHeader, wallNow, type StageTimes } from './frame-header.js';
import { parseUpload, MAX_UPLOAD_FPS, MAX_UPLOAD_HEIGHT, MAX_UPLOAD_WIDTH, type Upload } from './webcam-upload.js';
import type { Client } from './broadcaster.js';
import type { LoadedModel } from '../core/model-contract.js';

export interface WebcamOptions {
  model: LoadedModel;
  /** JPEG quality of the results (the server's --quality). */
  quality: number;
  /** Model input short side (default: the model's). */
  size?: number;
  temperature: () => number;
  /** False on a server without a token: uploads are refused with a message. */
  enabled: boolean;
  /** Most viewers sending their camera at once (default 4). */
  maxSessions?: number;
  sendJson: (c: Client, obj: object) => void;
  log?: (line: string) => void;
}

/** Result messages a viewer may have in flight before results are skipped. */
const RESULT_QUEUE = 2;
/** Uploads closer together than this are dropped (a little slack under the nominal period). */
const MIN_GAP_MS = (1000 / MAX_UPLOAD_FPS) * 0.8;

class Session {
  frames = 0;
  dropped = 0;
  private readonly graph: LiveGraph;
  private lastAt = -Infinity;
  private decoding = false;
  private waiting: Upload | null = null;
  private encoding = false;
  private next: { f: LiveColorFrame; stages: Omit<StageTimes, 'jpeg'> } | null = null;
  private pending = 0;
  private stopped = false;

  constructor(private readonly c: Client, private readonly o: WebcamOptions) {
    this.graph = new LiveGraph(o.model, {
      size: o.size,
      temperature: o.temperature,
      paused: () => false,
      release: () => {},
      onOutput: (f, stages) => this.encode(f, stages),
      onDrop: () => this.dropped++,
      onError: (err) => o.log?.(`camera of viewer ${c.id}: inference failed: ${err.message.split('\n')[0]}`),
    });
  }

  offer(u: Upload): void {
    const now = performance.now();
    if (now - this.lastAt < MIN_GAP_MS) {
      this.dropped++;
      return;
    }
    this.lastAt = now;
    if (this.decoding) {
      if (this.waiting) this.dropped++;
      this.waiting = u;
      return;
    }
    void this.decode(u);
  }

  stop(): void {
    this.stopped = true;
    this.graph.stop();
  }

  private async decode(u: Upload): Promise<void> {
    this.decoding = true;
    try {
      const { data, info } = await sharp(u.jpeg, { limitInputPixels: 4096 * 4096 })
        .resize({ width: MAX_UPLOAD_WIDTH, height: MAX_UPLOAD_HEIGHT, fit: 'inside', withoutEnlargement: true })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (!this.stopped && info.channels === 3) this.graph.push({ index: u.seq, pts: null, width: info.width, height: info.height, rgb: data }, u.seq, u.capturedAt);
    } catch (err) {
      // One line: libvips can say several (each warning of a broken JPEG on its own line).
      this.o.sendJson(this.c, { type: 'error', message: `camera frame: ${(err as Error).message.split('\n')[0].slice(0, 200)}` });
    } finally {
      this.decoding = false;
      const w = this.waiting;
      this.waiting = null;
      if (w && !this.stopped) void this.decode(w);
    }
  }

  private encode(f: LiveColorFrame, stages: Omit<StageTimes, 'jpeg'>): void {
    if (this.encoding) {
      if (this.next) this.dropped++;
      this.next = { f, stages };
      return;
    }
    void this.encodeNow(f, stages);
  }

  private async encodeNow(f: LiveColorFrame, stages: Omit<StageTimes, 'jpeg'>): Promise<void> {
    this.encoding = true;
    try {
      const t0 = performance.now();
      const jpeg = await sharp(f.out, { raw: { width: f.width, height: f.height, channels: 3 } }).jpeg({ quality: this.o.quality }).toBuffer();
      const ws = this.c.ws;
      if (this.stopped || ws.readyState !== WebSocket.OPEN) return;
      if (this.pending >= RESULT_QUEUE) {
        this.dropped++;
        return;
      }
      const header = encodeFrameHeader({
        seq: f.live.seq, width: f.width, height: f.height, pts: null, decodedAt: f.live.decodedWall, sentAt: wallNow(),
        stages: { ...stages, jpeg: performance.now() - t0 }, droppedSource: this.dropped, reconnects: 0, upload: true,
      });
      this.pending++;
      this.frames++;
      ws.send(Buffer.concat([header, jpeg]), { binary: true }, () => this.pending--);
    } catch (err) {
      this.o.log?.(`camera of viewer ${this.c.id}: jpeg: ${(err as Error).message}`);
    } finally {
      this.encoding = false;
      const n = this.next;
      this.next = null;
      if (n && !this.stopped) void this.encodeNow(n.f, n.stages);
    }
  }
}

export class WebcamSessions {
  private readonly sessions = new Map<Client, Session>();

  constructor(private readonly o: WebcamOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Frames colorized and sent back, and frames dropped, over all cameras still connected. */
  counts(): { frames: number; dropped: number } {
    let frames = 0;
    let dropped = 0;
    for (const s of this.sessions.values()) {
      frames += s.frames;
      dropped += s.dropped;
    }
    return { frames, dropped };
  }

  /** A binary message from a viewer. */
  handle(c: Client, data: Buffer): void {
    if (!this.o.enabled) return this.o.sendJson(c, { type: 'error', message: 'camera upload needs a server started with --token' });
    const r = parseUpload(data);
    if (!r.ok) return this.o.sendJson(c, { type: 'error', message: r.error });
    let s = this.sessions.get(c);
    if (!s) {
      const max = this.o.maxSessions ?? 4;
      if (this.sessions.size >= max) return this.o.sendJson(c, { type: 'error', message: `too many cameras at once (max ${max})` });
      s = new Session(c, this.o);
      this.sessions.set(c, s);
      c.ws.once('close', () => this.remove(c));
    }
    s.offer(r.upload);
  }

  remove(c: Client): void {
    this.sessions.get(c)?.stop();
    this.sessions.delete(c);
  }

  close(): void {
    for (const s of this.sessions.values()) s.stop();
    this.sessions.clear();
  }
}
