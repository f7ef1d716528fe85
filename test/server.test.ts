// The live server end to end on loopback: a lavfi test pattern as the source, the logits fixture
// as the model, raw ws clients as viewers. Frames and headers, HTTP routes, token, Origin/Host
// checks, control messages, a slow viewer, pause, recording, and a clean stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { startServer, decodeFrameMessage, type ServerHandle, type ServerOptions, type FrameHeader } from '../src/server/index.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { makeLogitsFixture } from './helpers/model-fixtures.js';
import { tempDir, probeStreams } from './helpers/media.js';
import { until } from './helpers/until.js';

const PATTERN = 'testsrc2=size=320x240:rate=15,format=gray';
const tmp = tempDir('chroma-server-');
let model: LoadedModel;

before(async () => {
  const path = join(tmp.dir, 'fixture-logits.onnx');
  writeFileSync(path, makeLogitsFixture());
  model = await loadModel(path, { device: 'cpu', threads: 1, log: () => {} });
});
after(async () => {
  await model?.release();
  tmp.cleanup();
});

async function serve(extra: Partial<ServerOptions> = {}): Promise<ServerHandle> {
  return startServer({ input: PATTERN, format: 'lavfi', model, port: 0, log: () => {}, ...extra });
}


interface Viewer {
  ws: WebSocket;
  json: Record<string, unknown>[];
  frames: { header: FrameHeader; jpeg: Buffer }[];
  closed: { code: number } | null;
}

function wsUrl(srv: ServerHandle, query = ''): string {
  return `ws://127.0.0.1:${srv.port}/ws${query}`;
}

/** Open a viewer; rejects with the HTTP status when the handshake is refused. */
function connect(url: string, headers: Record<string, string> = {}): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const v: Viewer = { ws, json: [], frames: [], closed: null };
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) v.json.push(JSON.parse(data.toString()) as Record<string, unknown>);
      else {
        const f = decodeFrameMessage(data);
        if (f) v.frames.push(f);
      }
    });
    ws.on('close', (code) => (v.closed = { code }));
    ws.once('open', () => resolve(v));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', (e) => reject(e));
  });
}

function lastOfType(v: Viewer, type: string, after = 0): Record<string, unknown> | undefined {
  return v.json.slice(after).reverse().find((m) => m.type === type);
}

/** GET with the path sent exactly as given (no URL normalisation). */
function get(srv: ServerHandle, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: srv.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('frames reach a viewer: hello, header, colour JPEG, stats', async () => {
  const srv = await serve();
  try {
    const v = await connect(wsUrl(srv));
    await until('5 frames', () => v.frames.length >= 5);
    const hello = v.json[0];
    assert.equal(hello.type, 'hello');
    assert.equal(hello.width, 320);
    assert.equal(hello.height, 240);
    const { header, jpeg } = v.frames[v.frames.length - 1];
    assert.equal(header.width, 320);
    assert.equal(header.height, 240);
    assert.ok(header.seq > v.frames[0].header.seq);
    assert.ok(header.sentAt >= header.decodedAt && header.sentAt - header.decodedAt < 5000);
    assert.ok(header.stages.infer > 0 && header.stages.jpeg > 0);
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
    // The fixture paints bright areas red: the picture must contain clearly red pixels.
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    let red = 0;
    for (let i = 0; i < data.length; i += info.channels) if (data[i] > data[i + 1] + 40 && data[i] > data[i + 2] + 40) red++;
    assert.ok(red > (info.width * info.height) / 50, `only ${red} red pixels`);
    await until('a stats message', () => lastOfType(v, 'stats'));
    const st = srv.stats();
    assert.equal(st.viewers, 1);
    assert.equal(st.source.status, 'connected');
    assert.ok(st.framesOut >= 5);
    v.ws.close();
  } finally {
    await srv.close();
  }
});

test('HTTP: page, healthz, metrics; traversal and unknown paths 404; other methods 405', async () => {
  const srv = await serve();
  try {
    const page = await get(srv, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /<canvas id="view"/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'sha256-/);
    const health = await get(srv, '/healthz');
    assert.equal(health.status, 200);
    const h = JSON.parse(health.body) as { source: { status: string }; viewers: number };
    assert.ok(['connecting', 'connected'].includes(h.source.status));
    // Nobody watching: frames are decoded but skip the model.
    await until('idle frames', () => srv.stats().dropped.idle > 3);
    assert.equal(srv.stats().framesOut, 0);
    const v = await connect(wsUrl(srv));
    await until('frames out', () => srv.stats().framesOut > 2);
    const metrics = await get(srv, '/metrics');
    v.ws.close();
    assert.equal(metrics.status, 200);
    for (const name of ['chroma_live_frames_in_total', 'chroma_live_frames_out_total', 'chroma_live_frames_dropped_total', 'chroma_live_frames_idle_total',
      'chroma_live_viewers', 'chroma_live_stage_seconds_bucket', 'chroma_live_source_reconnects_total', 'chroma_process_resident_memory_bytes']) {
      assert.ok(metrics.body.includes(name), `metrics lack ${name}`);
    }
    for (const p of ['/../package.json', '/%2e%2e/', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2E%2E/%2E%2E/etc/passwd',
      '//etc/passwd', '/index.html/../package.json', '/src/server/index.ts', '/package.json', '/viewer.js', '/.git/config', '/%00']) {
      assert.equal((await get(srv, p)).status, 404, p);
    }
    assert.equal((await get(srv, '/', {}, 'POST')).status, 405);
    assert.equal((await get(srv, '/ws')).status, 426);
  } finally {
    await srv.close();
  }
});

test('token: page, metrics and socket need it; healthz does not', async () => {
  const srv = await serve({ token: 's3cret-token' });
  try {
    assert.equal((await get(srv, '/')).status, 401);
    assert.equal((await get(srv, '/?token=wrong')).status, 401);
    assert.equal((await get(srv, '/?token=s3cret-token')).status, 200);
    assert.equal((await get(srv, '/', { authorization: 'Bearer s3cret-token' })).status, 200);
    assert.equal((await get(srv, '/metrics')).status, 401);
    assert.equal((await get(srv, '/metrics', { 'x-chroma-token': 's3cret-token' })).status, 200);
    assert.equal((await get(srv, '/healthz')).status, 200);
    await assert.rejects(connect(wsUrl(srv)), { status: 401 });
    await assert.rejects(connect(wsUrl(srv, '?token=nope')), { status: 401 });
    const v = await connect(wsUrl(srv, '?token=s3cret-token'));
    await until('hello', () => v.json.length > 0);
    v.ws.close();
    const h = await connect(wsUrl(srv), { authorization: 'Bearer s3cret-token' });
    h.ws.close();
  } finally {
    await srv.close();
  }
});

test('Origin and Host checks on the socket and the page', async () => {
  const srv = await serve({ allowOrigin: ['http://dashboard.example:3000'] });
  try {
    await assert.rejects(connect(wsUrl(srv), { Origin: 'http://evil.example' }), { status: 403 });
    await assert.rejects(connect(wsUrl(srv), { Origin: 'http://127.0.0.1:1' }), { status: 403 });
    (await connect(wsUrl(srv), { Origin: `http://127.0.0.1:${srv.port}` })).ws.close();
    (await connect(wsUrl(srv), { Origin: 'http://dashboard.example:3000' })).ws.close();
    // DNS rebinding: a foreign name in Host is refused while bound to loopback.
    assert.equal((await get(srv, '/', { Host: `evil.example:${srv.port}` })).status, 403);
    await assert.rejects(connect(wsUrl(srv), { Host: `evil.example:${srv.port}` }), { status: 403 });
  } finally {
    await srv.close();
  }
});

test('control messages: bad ones get an error and change nothing; good ones reach every viewer', async () => {
  const srv = await serve();
  try {
    const a = await connect(wsUrl(srv));
    const b = await connect(wsUrl(srv));
    await until('hellos', () => a.json.length && b.json.length);
    const before = srv.stats().settings;
    const bad: (string | Buffer)[] = [
      'not json', '{"type":"set","temperature":"hot"}', '{"type":"set","temperature":7}', '{"type":"set","colour":"blue"}',
      '{"type":"explode"}', '[1,2]', '{"type":"set","paused":"yes"}', '{"type":"set","smooth":0.5}',
    ];
    for (const [i, m] of bad.entries()) {
      const n = a.json.length;
      a.ws.send(m);
      await until(`error reply ${i}`, () => a.json.slice(n).find((x) => x.type === 'error'));
    }
    let n = a.json.length;
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const binErr = await until('binary error', () => a.json.slice(n).find((x) => x.type === 'error'));
    assert.match(String(binErr.message), /binary/);
    assert.deepEqual(srv.stats().settings, before);

    n = b.json.length;
    a.ws.send(JSON.stringify({ type: 'set', temperature: 0.2, paused: false }));
    const st = await until('state broadcast', () => b.json.slice(n).find((x) => x.type === 'state'));
    assert.deepEqual(st.state, { ...before, temperature: 0.2 });
    assert.equal(srv.stats().settings.temperature, 0.2);

    // Oversized: the socket is closed (1009) and nothing changes.
    a.ws.send(JSON.stringify({ type: 'set', temperature: 0.9, pad: 'x'.repeat(8192) }));
    await until('close on oversized message', () => a.closed);
    assert.equal(a.closed?.code, 1009);
    assert.equal(srv.stats().settings.temperature, 0.2);
    assert.equal(b.closed, null);
    b.ws.close();
  } finally {
    await srv.close();
  }
});

test('a viewer that stops reading loses frames; the others keep the full rate; memory stays bounded', async () => {
  // Noisy frames make big JPEGs, so the stalled socket's kernel buffers fill within a second or two.
  const srv = await serve({ input: 'testsrc2=size=640x480:rate=15,format=gray,noise=alls=90:allf=t', quality: 90 });
  try {
    const slow = await connect(wsUrl(srv));
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const fast = await connect(wsUrl(srv));
    const fast2 = await connect(wsUrl(srv));
    const slowStats = () => srv.stats().clients.find((c) => c.id === 1); // the first viewer of this server
    await until('the slow viewer to drop frames', () => (slowStats()?.dropped ?? 0) > 3, 30000);
    const rss0 = srv.stats().memory.rssBytes;
    const f0 = fast.frames.length;
    const g0 = fast2.frames.length;
    const out0 = srv.stats().framesOut;
    const t0 = performance.now();
    await until('30 more frames published', () => srv.stats().framesOut - out0 >= 30, 30000);
    const published = srv.stats().framesOut - out0;
    // Fast viewers got (nearly) everything published meanwhile.
    await until('fast viewers caught up', () => fast.frames.length - f0 >= published * 0.9 && fast2.frames.length - g0 >= published * 0.9, 5000);
    const secs = (performance.now() - t0) / 1000;
    const s = slowStats();
    assert.ok(s, 'slow viewer still listed');
    assert.ok(s.pending <= 2, `pending ${s.pending}`);
    assert.ok(s.bufferedAmount < 4 << 20, `buffered ${s.bufferedAmount}`);
    assert.ok(s.dropped > 10, `slow viewer dropped only ${s.dropped}`);
    const rss1 = srv.stats().memory.rssBytes;
    assert.ok(rss1 - rss0 < 80 << 20, `RSS grew ${((rss1 - rss0) / 1e6).toFixed(0)} MB`);
    const metrics = await get(srv, '/metrics');
    assert.match(metrics.body, /chroma_live_client_frames_dropped_total\{client="\d+"\} [1-9]/);
    assert.ok(published / secs > 5, `published ${(published / secs).toFixed(1)} fps`);
    fast.ws.close();
    fast2.ws.close();
    slow.ws.terminate();
  } finally {
    await srv.close();
  }
});

test('pause stops the model and resumes it', async () => {
  const srv = await serve();
  try {
    const v = await connect(wsUrl(srv));
    await until('frames', () => v.frames.length > 2);
    v.ws.send(JSON.stringify({ type: 'set', paused: true }));
    await until('paused state', () => srv.stats().settings.paused);
    await until('paused drops', () => srv.stats().dropped.paused > 5);
    const out = srv.stats().framesOut;
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(srv.stats().framesOut - out <= 1);
    v.ws.send(JSON.stringify({ type: 'set', paused: false }));
    await until('frames again', () => srv.stats().framesOut > out + 3);
    v.ws.close();
  } finally {
    await srv.close();
  }
});

test('close: viewers are told, children stopped, within 2 s; --record is finalised', async () => {
  const out = join(tmp.dir, 'live.mp4');
  const srv = await serve({ record: out });
  const v = await connect(wsUrl(srv));
  await until('20 frames', () => srv.stats().framesOut >= 20 && v.frames.length > 0);
  const t0 = performance.now();
  await srv.close();
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `close took ${ms.toFixed(0)} ms`);
  await until('viewer closed', () => v.closed);
  assert.equal(v.closed?.code, 1001);
  assert.ok(v.json.some((m) => m.type === 'status' && (m.source as { status: string }).status === 'stopped'));
  assert.ok(statSync(out).size > 1000);
  const [video] = probeStreams(out);
  assert.equal(video.codec_name, 'h264');
  assert.equal(video.width, 320);
  assert.ok(Number(video.nb_read_frames) >= 15, `recorded ${video.nb_read_frames} frames`);
  await srv.close(); // idempotent
});

test('causal smoothing: on with --smooth, adjustable by viewers', async () => {
  const srv = await serve({ smooth: 0.75 });
  try {
    const v = await connect(wsUrl(srv));
    await until('frames', () => v.frames.length >= 5, 20000);
    assert.equal(v.json[0].smoothAvailable, true);
    assert.equal((v.json[0].state as { smooth: number }).smooth, 0.75);
    assert.ok(v.frames.some((f) => f.header.stages.smooth > 0));
    v.ws.send(JSON.stringify({ type: 'set', smooth: 0.3 }));
    await until('smooth changed', () => srv.stats().settings.smooth === 0.3);
    const n = v.frames.length;
    await until('frames keep coming', () => v.frames.length > n + 3);
    v.ws.close();
  } finally {
    await srv.close();
  }
});

test('keepalive: a peer that never answers pings is cut; the viewer limit is enforced', async () => {
  const srv = await serve({ pingIntervalMs: 150, maxViewers: 2 });
  try {
    const good = await connect(wsUrl(srv));
    const mute = await new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(srv), { autoPong: false });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
    await assert.rejects(connect(wsUrl(srv)), { status: 503 });
    let muteClosed = false;
    mute.on('close', () => (muteClosed = true));
    await until('the silent peer to be terminated', () => muteClosed, 10000);
    await until('server forgot it', () => srv.stats().viewers === 1);
    assert.equal(good.closed, null, 'a peer that answers pings stays');
    (await connect(wsUrl(srv))).ws.close(); // room again
    good.ws.close();
  } finally {
    await srv.close();
  }
});
