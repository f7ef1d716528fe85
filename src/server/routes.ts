// HTTP on the viewer's port: a fixed table of routes matched against the raw request path (never
// decoded or normalised, never joined to a filesystem path), so `/../x`, `/%2e%2e/` and friends
// simply do not match anything and get 404. The WebSocket lives at /ws.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { authorized, hostAllowed, originAllowed } from './auth.js';
import type { ViewerPage } from './page-shell.js';
import type { Registry } from 'prom-client';

export interface RouteContext {
  token: string | null;
  bindHost: string;
  allowOrigins: readonly string[];
  page: ViewerPage;
  registry: Registry;
  health: () => object;
  wss: WebSocketServer;
  /** Whether another viewer may join. */
  canAccept: () => boolean;
  onConnection: (ws: WebSocket, req: IncomingMessage) => void;
}

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** The request path exactly as sent, without the query. */
export function rawPath(url: string | undefined): string {
  const u = url ?? '';
  const q = u.search(/[?#]/);
  return q < 0 ? u : u.slice(0, q);
}

function text(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': buf.length, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

export function createRequestHandler(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(ctx, req, res).catch((err: unknown) => {
      if (!res.headersSent) text(res, 500, `internal error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  };
}

async function handle(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!hostAllowed(req, ctx.bindHost)) return text(res, 403, 'forbidden: unexpected Host header\n');
  const path = rawPath(req.url);
  const known = path === '/' || path === '/index.html' || path === '/healthz' || path === '/metrics' || path === '/ws';
  if (!known) return text(res, 404, 'not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });

  if (path === '/healthz') {
    const body = Buffer.from(`${JSON.stringify(ctx.health())}\n`, 'utf8');
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (!authorized(req, ctx.token)) {
    return text(res, 401, 'unauthorized: this server needs its token (open /?token=... or send Authorization: Bearer ...)\n', {
      'WWW-Authenticate': 'Bearer realm="chroma"',
    });
  }
  if (path === '/ws') return text(res, 426, 'this endpoint speaks WebSocket only\n', { Upgrade: 'websocket' });
  if (path === '/metrics') {
    const body = Buffer.from(await ctx.registry.metrics(), 'utf8');
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': ctx.registry.contentType, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': ctx.page.body.length,
    'Content-Security-Policy': ctx.page.contentSecurityPolicy,
    'X-Frame-Options': 'SAMEORIGIN',
  });
  res.end(req.method === 'HEAD' ? undefined : ctx.page.body);
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function createUpgradeHandler(ctx: RouteContext): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (rawPath(req.url) !== '/ws') return refuse(socket, 404, 'Not Found');
    if (!hostAllowed(req, ctx.bindHost)) return refuse(socket, 403, 'Forbidden');
    if (!originAllowed(req, ctx.allowOrigins)) return refuse(socket, 403, 'Forbidden');
    if (!authorized(req, ctx.token)) return refuse(socket, 401, 'Unauthorized');
    if (!ctx.canAccept()) return refuse(socket, 503, 'Service Unavailable');
    ctx.wss.handleUpgrade(req, socket, head, (ws) => ctx.onConnection(ws, req));
  };
}
