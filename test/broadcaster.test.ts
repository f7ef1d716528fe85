// The broadcaster alone, on a real loopback WebSocket server with real ws clients and real JPEG
// encoding: hello first, one encode shared by every viewer, a viewer that stops reading skips
// frames (counted for it alone) while the others get them all, the message rate limit, pings that
// cut a dead peer, the periodic stats, and a close that says goodbye.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { WebSocket, WebSocketServer } from 'ws';
import { Broadcaster, type BroadcasterOptions, type Client } from '../src/server/broadcaster.js';
import { createMetrics } from '../src/server/metrics.js';
import { decodeFrameMessage, type StageTimes } from '../src/server/frame-header.js';
import type { LiveColorFrame } from '../src/server/live-graph.js';
import { until } from './helpers/until.js';

const W = 64;
const H = 48;

/** A colour frame as the live graph hands it on: a red left half, a blue right half. */
function frame(seq: number): LiveColorFrame {
  const out = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) out[i * 3 + ((i % W) < W / 2 ? 0 : 2)] = 220;
  const marks = { seq, decoded: 0, decodedWall: Date.now() - 5, admitted: 0, prepped: 0, batched: 0, inferred: 0, smoothed: 0, composed: 0 };
  return { width: W, height: H, pts: seq / 15, out, live: marks } as unknown as LiveColorFrame;
}
const STAGES: Omit<StageTimes, 'jpeg'> = { queue: 1, prep: 2, infer: 3, smooth: 0, compose: 4 };

interface Rig {
  b: Broadcaster;
  port: number;
  server: Server;
  clients: Client[];
  metrics: ReturnType<typeof createMetrics>;
  messages: { c: Client; text: string }[];
}

async function rig(extra: Partial<BroadcasterOptions> = {}): Promise<Rig> {
  const metrics = createMetrics({ processMetrics: false });
  const messages: { c: Client; text: string }[] = [];
  const b = new Broadcaster({
    quality: 80, metrics, hello: () => ({ type: 'hello', version: 1 }), stats: () => ({ fps: 0 }),
    headerCounters: () => ({ droppedSource: 7, reconnects: 2 }),
    onMessage: (c, data) => messages.push({ c, text: String(data) }),
    ...extra,
  });
  const clients: Client[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => clients.push(b.add(ws, 'test', false))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { b, port: (server.address() as AddressInfo).port, server, clients, metrics, messages };
}

async function done(r: Rig): Promise<void> {
  await r.b.close(200);
  r.server.closeAllConnections();
  await new Promise((res) => r.server.close(res));
}

interface Peer {
  ws: WebSocket;
  json: Record<string, unknown>[];
  frames: Buffer[];
  closed: number | null;
}

async function peer(port: number, opts: { autoPong?: boolean } = {}): Promise<Peer> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { autoPong: opts.autoPong ?? true });
  const p: Peer = { ws, json: [], frames: [], closed: null };
  ws.on('message', (data: Buffer, isBinary) => (isBinary ? p.frames.push(data) : p.json.push(JSON.parse(String(data)))));
  ws.on('close', (code) => (p.closed = code));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  await until('hello', () => p.json.length > 0, 5000);
  return p;
}

test('hello first; one JPEG for every viewer, with the header counters', async () => {
  const r = await rig();
  try {
    const [a, b] = [await peer(r.port), await peer(r.port)];
    assert.deepEqual(a.json[0], { type: 'hello', version: 1 });
    assert.equal(r.b.size, 2);
    r.b.publish(frame(1), STAGES);
    await until('frame at both', () => a.frames.length === 1 && b.frames.length === 1, 5000);
    // The same message buffer goes to everyone: byte for byte equal.
    assert.ok(a.frames[0].equals(b.frames[0]));
    const m = decodeFrameMessage(a.frames[0]);
    assert.ok(m);
    assert.equal(m.header.seq, 1);
    assert.equal(m.header.droppedSource, 7);
    assert.equal(m.header.reconnects, 2);
    assert.equal(m.header.stages.infer, 3);
    assert.ok(m.header.stages.jpeg > 0);
    const { data, info } = await sharp(m.jpeg).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [W, H]);
    // Left red, right blue, as sent.
    const left = data.subarray((H / 2 * W + 4) * 3, (H / 2 * W + 4) * 3 + 3);
    const right = data.subarray((H / 2 * W + W - 4) * 3, (H / 2 * W + W - 4) * 3 + 3);
    assert.ok(left[0] > 150 && left[2] < 80, `left ${[...left]}`);
    assert.ok(right[2] > 150 && right[0] < 80, `right ${[...right]}`);
    assert.equal(r.b.framesPublished, 1);
  } finally {
    await done(r);
  }
});

test('nobody watching: frames are counted, never encoded', async () => {
  const r = await rig();
  try {
    for (let i = 0; i < 5; i++) r.b.publish(frame(i), STAGES);
    assert.equal(r.b.framesPublished, 5);
    assert.equal(r.b.encoderDrops, 0);
    assert.doesNotMatch(await r.metrics.registry.metrics(), /chroma_live_latency_seconds_count [1-9]/);
    // A viewer joining later gets the next frame, not the old ones.
    const v = await peer(r.port);
    r.b.publish(frame(9), STAGES);
    await until('the next frame', () => v.frames.length === 1, 5000);
    assert.equal(decodeFrameMessage(v.frames[0])?.header.seq, 9);
    assert.match(await r.metrics.registry.metrics(), /chroma_live_latency_seconds_count 1\b/);
  } finally {
    await done(r);
  }
});

test('a viewer whose frames are still in flight skips the next ones (counted for it); the other gets every frame', async () => {
  const r = await rig({ queue: 1 });
  try {
    const fast = await peer(r.port);
    const slow = await peer(r.port);
    const [cFast, cSlow] = r.clients;
    // A frame that has not been written yet holds the slow viewer's one place in its queue.
    cSlow.pending = 1;
    for (let i = 1; i <= 6; i++) {
      r.b.publish(frame(i), STAGES);
      await until(`frame ${i} at the fast viewer`, () => fast.frames.length === i, 5000);
    }
    assert.equal(slow.frames.length, 0);
    assert.equal(cSlow.dropped, 6);
    assert.equal(cFast.dropped, 0);
    assert.equal(cFast.sent, 6);
    assert.match(await r.metrics.registry.metrics(), new RegExp(`chroma_live_client_frames_dropped_total\\{client="${cSlow.id}"\\} 6`));
    // Its place back: it gets the next frame.
    cSlow.pending = 0;
    r.b.publish(frame(7), STAGES);
    await until('frame 7 at the slow viewer', () => slow.frames.length === 1, 5000);
    assert.equal(decodeFrameMessage(slow.frames[0])?.header.seq, 7);
    assert.deepEqual(r.b.list().map((c) => c.dropped).sort(), [0, 6]);
  } finally {
    await done(r);
  }
});

test('while one frame is being encoded, a newer one replaces the waiting one (an encoder drop)', async () => {
  const r = await rig();
  try {
    const v = await peer(r.port);
    // Three at once: the first is encoding, the second waits, the third replaces it.
    r.b.publish(frame(1), STAGES);
    r.b.publish(frame(2), STAGES);
    r.b.publish(frame(3), STAGES);
    await until('two frames', () => v.frames.length === 2, 5000);
    assert.deepEqual(v.frames.map((f) => decodeFrameMessage(f)?.header.seq), [1, 3]);
    assert.equal(r.b.encoderDrops, 1);
  } finally {
    await done(r);
  }
});

test('messages: handed on with their viewer; over the rate an error, five times over it the socket is closed', async () => {
  const r = await rig({ maxMessagesPerSecond: 3 });
  try {
    const v = await peer(r.port);
    for (let i = 0; i < 4; i++) v.ws.send(`m${i}`);
    await until('an error for the fourth', () => v.json.some((m) => m.type === 'error'), 5000);
    assert.deepEqual(r.messages.map((m) => m.text), ['m0', 'm1', 'm2']);
    assert.equal(r.messages[0].c.id, r.clients[0].id);
    assert.match(String(v.json.find((m) => m.type === 'error')?.message), /too many messages \(max 3 a second\)/);
    for (let i = 0; i < 20; i++) v.ws.send('flood');
    await until('closed', () => v.closed !== null, 5000);
    assert.equal(v.closed, 1008);
  } finally {
    await done(r);
  }
});

test('JSON to one viewer and to all; stats every period with each viewer its own counts', async () => {
  const r = await rig({ statsIntervalMs: 100 });
  try {
    const a = await peer(r.port);
    const b = await peer(r.port);
    r.b.send(r.clients[0], { type: 'just-a' });
    r.b.broadcastJson({ type: 'everyone' });
    await until('everyone at both', () => [a, b].every((p) => p.json.some((m) => m.type === 'everyone')), 5000);
    assert.ok(a.json.some((m) => m.type === 'just-a'));
    assert.ok(!b.json.some((m) => m.type === 'just-a'));
    await until('stats', () => [a, b].every((p) => p.json.some((m) => m.type === 'stats')), 5000);
    const s = a.json.find((m) => m.type === 'stats');
    assert.deepEqual(Object.keys(s ?? {}).sort(), ['dropped', 'fps', 'sent', 'type']);
  } finally {
    await done(r);
  }
});

test('keepalive: a peer that never answers a ping is cut; one that answers stays', async () => {
  const lines: string[] = [];
  const r = await rig({ pingIntervalMs: 150, log: (l) => lines.push(l) });
  try {
    const live = await peer(r.port);
    const dead = await peer(r.port, { autoPong: false });
    await until('the silent peer cut', () => dead.closed !== null, 5000);
    assert.equal(live.closed, null);
    await until('one viewer left', () => r.b.size === 1, 5000);
    assert.ok(lines.some((l) => /did not answer a ping; disconnected/.test(l)), lines.join('\n'));
  } finally {
    await done(r);
  }
});

test('close: every viewer gets 1001, nothing is published after', async () => {
  const r = await rig();
  const a = await peer(r.port);
  const b = await peer(r.port);
  await r.b.close(1000);
  await until('both closed', () => a.closed !== null && b.closed !== null, 5000);
  assert.deepEqual([a.closed, b.closed], [1001, 1001]);
  r.b.publish(frame(1), STAGES);
  assert.equal(r.b.framesPublished, 0);
  r.server.closeAllConnections();
  await new Promise((res) => r.server.close(res));
});
