// The one HTTP front (src/server/http-front.ts) on a real loopback port: the order of its checks,
// the same headers everywhere, and one way to refuse (status, a short body, the connection closed)
// for requests and WebSocket upgrades alike; then the several-source server, whose routes to each
// source go through the same front twice (lavfi sources: no camera needed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { createFront, type FrontOptions } from '../src/server/http-front.js';
import { listenHttp } from '../src/server/listen.js';
import { buildPage } from '../src/server/page-shell.js';
import { startMultiServer } from '../src/server/multi.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { loadFixtureModel } from './helpers/live-server.js';
import { tempDir } from './helpers/media.js';
import { until } from './helpers/until.js';

const TOKEN = 'front-token';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).once('error', reject).end();
  });
}

/** A WebSocket handshake by hand: everything the server wrote, once it closed the connection. */
function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('close', () => resolve(text));
    s.on('error', reject);
    const lines = {
      Host: `127.0.0.1:${port}`, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers,
    };
    s.write(`GET ${path} HTTP/1.1\r\n${Object.entries(lines).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    setTimeout(() => reject(new Error(`${path}: the server kept the connection open`)), 5000).unref();
  });
}

/** A socket that is open, and the text messages it has had (from the first on). */
function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket & { texts: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = Object.assign(new WebSocket(url, { headers }), { texts: [] as string[] });
    ws.on('message', (d, isBinary) => void (isBinary || ws.texts.push(String(d))));
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** A front with one of each kind of route, and what reached it. */
async function rig(extra: Partial<FrontOptions> = {}) {
  const page = buildPage({ title: 't', css: 'p{}', body: '<p>hi</p>\n', scripts: ['1;'], allow: [], frameAncestors: "'none'" });
  const wss = new WebSocketServer({ noServer: true });
  const seen = { sockets: 0, forwarded: 0, room: true };
  const entry = createFront({
    bindHost: '127.0.0.1',
    token: TOKEN,
    tokenHint: 'send the token',
    routes: {
      '/': { get: (_q, res) => void res.writeHead(200, { 'Content-Type': 'text/html' }).end(page.body) },
      '/healthz': { open: true, get: (_q, res) => void res.end('{}') },
      '/boom': { get: () => Promise.reject(new Error('kaput')) },
      '/ws': { socket: { wss, allowOrigins: ['http://friend.example'], canAccept: () => seen.room, onConnection: () => void seen.sockets++ } },
    },
    resolve: (path) => (path.startsWith('/fwd/') ? { open: true, forwardUpgrade: (_q, socket) => { seen.forwarded++; socket.destroy(); } } : null),
    ...extra,
  });
  const { server, port } = await listenHttp(entry, '127.0.0.1', 0);
  return {
    port, seen, close: () => {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

test('requests: Host, then route, method, token, socket-only; every refusal a status, one line and Connection: close', async () => {
  const r = await rig();
  try {
    const cases: [string, Record<string, string>, string, number, RegExp][] = [
      ['/', { Host: 'evil.example' }, 'GET', 403, /^forbidden: unexpected Host header\n$/],
      ['/nope', {}, 'POST', 404, /^not found\n$/],
      ['/%2e%2e/', {}, 'GET', 404, /^not found\n$/],
      ['/', {}, 'POST', 405, /^method not allowed\n$/],
      ['/', {}, 'GET', 401, /^unauthorized: send the token\n$/],
      ['/ws', {}, 'GET', 401, /^unauthorized:/],
      [`/ws?token=${TOKEN}`, {}, 'GET', 426, /^this endpoint speaks WebSocket only\n$/],
      [`/boom?token=${TOKEN}`, {}, 'GET', 500, /^internal error: kaput\n$/],
    ];
    for (const [path, headers, method, status, body] of cases) {
      const a = await get(r.port, path, headers, method);
      const what = `${method} ${path}`;
      assert.equal(a.status, status, what);
      assert.match(a.body, body, what);
      assert.equal(a.headers.connection, 'close', what);
      assert.equal(a.headers['content-type'], 'text/plain; charset=utf-8', what);
      assert.equal(a.headers['x-content-type-options'], 'nosniff', what);
      assert.equal(a.headers['cache-control'], 'no-store', what);
    }
    assert.equal((await get(r.port, '/', {}, 'POST')).headers.allow, 'GET, HEAD');
    assert.equal((await get(r.port, '/')).headers['www-authenticate'], 'Bearer realm="chroma"');
    assert.equal((await get(r.port, `/ws?token=${TOKEN}`)).headers.upgrade, 'websocket');
    // HEAD: the same status and length, no body.
    const head = await get(r.port, '/nope', {}, 'HEAD');
    assert.equal(head.status, 404);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], '10');
    // Open routes need no token; the others take it from the query, Bearer or X-Chroma-Token.
    assert.equal((await get(r.port, '/healthz')).status, 200);
    assert.equal((await get(r.port, `/?token=${TOKEN}`)).status, 200);
    assert.equal((await get(r.port, '/', { Authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get(r.port, '/', { 'X-Chroma-Token': TOKEN })).status, 200);
  } finally {
    await r.close();
  }
});

test('upgrades: Host, route, Origin, token, room; each refusal a status line, one line of body, then closed', async () => {
  const r = await rig();
  try {
    const cases: [string, Record<string, string>, string][] = [
      [`/ws?token=${TOKEN}`, { Host: 'evil.example' }, '403 Forbidden'],
      [`/nope?token=${TOKEN}`, {}, '404 Not Found'],
      [`/ws?token=${TOKEN}`, { Origin: 'http://evil.example' }, '403 Forbidden'],
      ['/ws', {}, '401 Unauthorized'],
      ['/ws?token=wrong', {}, '401 Unauthorized'],
    ];
    for (const [path, headers, status] of cases) {
      const text = await rawUpgrade(r.port, path, headers);
      const reason = status.slice(4);
      assert.ok(text.startsWith(`HTTP/1.1 ${status}\r\n`), `${path}: ${text}`);
      assert.match(text, /\r\nConnection: close\r\n/);
      assert.match(text, /\r\nX-Content-Type-Options: nosniff\r\n/);
      assert.ok(text.endsWith(`\r\n\r\n${reason}\n`), `${path}: ${JSON.stringify(text)}`);
      assert.match(text, new RegExp(`Content-Length: ${reason.length + 1}\\r\\n`));
    }
    // This server's own page and an allowed origin may open it; a full room may not.
    (await open(`ws://127.0.0.1:${r.port}/ws?token=${TOKEN}`, { Origin: `http://127.0.0.1:${r.port}` })).close();
    (await open(`ws://127.0.0.1:${r.port}/ws?token=${TOKEN}`, { Origin: 'http://friend.example' })).close();
    assert.equal(r.seen.sockets, 2);
    r.seen.room = false;
    assert.match(await rawUpgrade(r.port, `/ws?token=${TOKEN}`), /^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*\r\n\r\nService Unavailable\n$/);
    // A forwarded path is handed on after the Host check only (its own front checks the rest).
    await rawUpgrade(r.port, '/fwd/ws');
    assert.equal(r.seen.forwarded, 1);
    assert.match(await rawUpgrade(r.port, '/fwd/ws', { Host: 'evil.example' }), /^HTTP\/1\.1 403 /);
    assert.equal(r.seen.forwarded, 1);
  } finally {
    await r.close();
  }
});

const tmp = tempDir('chroma-front-');
let model: LoadedModel;
before(async () => {
  model = await loadFixtureModel(tmp.dir);
});
after(async () => {
  await model?.release();
  tmp.cleanup();
});

test('several sources on one front: overview, each source under /NAME/, redirects, token and refusals as for one', async () => {
  const pattern = 'testsrc2=size=160x120:rate=10,format=gray';
  const srv = await startMultiServer({
    inputs: [{ name: 'a', input: pattern }, { name: 'b', input: pattern }], format: 'lavfi', model, port: 0, token: TOKEN, log: () => {},
  });
  try {
    const q = `?token=${TOKEN}`;
    const overview = await get(srv.port, `/${q}`);
    assert.equal(overview.status, 200);
    assert.match(overview.body, /data-src="a\/"/);
    assert.equal(overview.headers['x-frame-options'], 'DENY');
    assert.match(String(overview.headers['content-security-policy']), /frame-ancestors 'none'/);
    const page = await get(srv.port, `/a/${q}`);
    assert.equal(page.status, 200);
    // A source's page may be framed by the overview (same origin), by nobody else.
    assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
    const moved = await get(srv.port, `/b${q}`);
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, `/b/${q}`);
    for (const [path, status] of [['/', 401], ['/a/', 401], ['/a/metrics', 401], ['/c/', 404], ['/a/nope', 404]] as const) {
      const a = await get(srv.port, path);
      assert.equal(a.status, status, path);
      assert.equal(a.headers.connection, 'close', path);
    }
    assert.match((await get(srv.port, '/')).body, /^unauthorized: this server needs its token/);
    assert.equal((await get(srv.port, `/a/${q}`, {}, 'POST')).status, 405);
    const health = JSON.parse((await get(srv.port, '/healthz')).body) as { sources: Record<string, unknown> };
    assert.deepEqual(Object.keys(health.sources).sort(), ['a', 'b']);
    assert.match((await get(srv.port, `/b/metrics${q}`)).body, /chroma_live_frames_in_total/);
    // Sockets: through to the source's own front, refused the same way when they should be.
    const ws = await open(`ws://127.0.0.1:${srv.port}/a/ws${q}`);
    await until('hello', () => ws.texts.length > 0, 5000);
    assert.equal((JSON.parse(ws.texts[0]) as { type: string }).type, 'hello');
    ws.close();
    assert.match(await rawUpgrade(srv.port, '/a/ws'), /^HTTP\/1\.1 401 Unauthorized\r\n[\s\S]*\r\n\r\nUnauthorized\n$/);
    assert.match(await rawUpgrade(srv.port, `/c/ws${q}`), /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*\r\n\r\nNot Found\n$/);
    assert.match(await rawUpgrade(srv.port, `/a/ws${q}`, { Origin: 'http://evil.example' }), /^HTTP\/1\.1 403 Forbidden\r\n/);
  } finally {
    await srv.close();
  }
});
