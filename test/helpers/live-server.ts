// What the live-server tests share: a free loopback port, a plain HTTP GET, the fixture model,
// and a WebSocket viewer that records what it was sent.
import { request } from 'node:http';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { decodeFrameMessage } from '../../src/server/frame-header.js';
import { loadModel } from '../../src/model/load-model.js';
import type { LoadedModel } from '../../src/core/model-contract.js';
import { makeLogitsFixture } from './model-fixtures.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).once('error', reject).end();
  });
}

/** The tiny logits fixture (bright areas come out red), written into `dir`, on one CPU thread. */
export function loadFixtureModel(dir: string): Promise<LoadedModel> {
  const path = join(dir, 'fixture-logits.onnx');
  writeFileSync(path, makeLogitsFixture());
  return loadModel(path, { device: 'cpu', threads: 1, log: () => {} });
}

export interface Watch {
  ws: WebSocket;
  /** Source statuses from hello and status messages, in order. */
  statuses: string[];
  /** Their non-empty messages. */
  messages: string[];
  /** Every text message as sent. */
  texts: string[];
  frames: { seq: number; at: number; width: number; height: number }[];
  closed: boolean;
}

/** A viewer on ws://127.0.0.1:PORT/PATH; resolves once the socket is open. */
export function watch(port: number, path = '/ws'): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const w: Watch = { ws, statuses: [], messages: [], texts: [], frames: [], closed: false };
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const f = decodeFrameMessage(data);
        if (f) w.frames.push({ seq: f.header.seq, at: performance.now(), width: f.header.width, height: f.header.height });
        return;
      }
      w.texts.push(data.toString());
      const m = JSON.parse(data.toString()) as { type: string; source?: { status: string; message: string | null } };
      if ((m.type === 'status' || m.type === 'hello') && m.source) {
        w.statuses.push(m.source.status);
        if (m.source.message) w.messages.push(m.source.message);
      }
    });
    ws.on('close', () => (w.closed = true));
    ws.once('open', () => resolve(w));
    ws.once('error', reject);
  });
}

/** Frames per second `w` got over the last `seconds`. */
export function recentFps(w: Watch, seconds: number): number {
  const since = performance.now() - seconds * 1000;
  return w.frames.filter((f) => f.at >= since).length / seconds;
}
