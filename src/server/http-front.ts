// The one HTTP front of every server in this folder (one source, several sources, the editor): a
// table of routes matched against the raw path (request-target.ts), the same headers on every
// answer, the token (auth.ts), the WebSocket upgrade checks (Host, Origin, token, room), and one way
// to refuse, on a request as on an upgrade: a status, a short plain-text body, the connection closed.
//
// Checks run in one order. A request: Host (403), route (404), method (405), token (401, except
// open routes), socket-only route (426). An upgrade: Host (403), route (404), Origin (403), token
// (401), room (503).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { authorized, hostAllowed, originAllowed } from './auth.js';
import type { HttpEntry } from './listen.js';
import type { ViewerPage } from './page-shell.js';
import { rawPath } from './request-target.js';

/** On every answer: no type sniffing, no referrer, nothing cached (pages carry tokens and live state). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** A WebSocket endpoint: who may open one, and what becomes of it. */
export interface SocketGate {
  wss: WebSocketServer;
  /** Page origins accepted besides this server's own ('*': any). */
  allowOrigins: readonly string[];
  /** Whether another socket may open now (no: 503). */
  canAccept: () => boolean;
  onConnection: (ws: WebSocket, req: IncomingMessage) => void;
}

export interface Route {
  /** Served without the token (health checks; requests handed on to a front that checks its own). */
  open?: boolean;
  /** Answers GET and HEAD. Without it the route takes WebSocket upgrades only (a plain GET: 426). */
  get?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** The WebSocket endpoint at this path. */
  socket?: SocketGate;
  /** Hands an upgrade on untouched after the Host check (the front it goes to checks the rest). */
  forwardUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface FrontOptions {
  /** The address bound (Host checks apply while it is loopback). */
  bindHost: string;
  token: string | null;
  /** What a request without the token is told, after "unauthorized: ". */
  tokenHint: string;
  /** Routes by exact raw path. */
  routes: Readonly<Record<string, Route>>;
  /** The route of a path not in the table (e.g. /NAME/... of a several-source server); null: 404. */
  resolve?: (path: string) => Route | null;
}

/** Answer with `body` (nothing for HEAD) and the security headers. */
export function reply(res: ServerResponse, status: number, type: string, body: Buffer | string, extra: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': buf.length, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

export function replyJson(res: ServerResponse, value: unknown, extra: Record<string, string> = {}): void {
  reply(res, 200, 'application/json', `${JSON.stringify(value)}\n`, extra);
}

/** A page with its Content-Security-Policy; X-Frame-Options says the same as its frame-ancestors. */
export function replyPage(res: ServerResponse, page: ViewerPage): void {
  reply(res, 200, 'text/html; charset=utf-8', page.body, {
    'Content-Security-Policy': page.contentSecurityPolicy,
    'X-Frame-Options': page.frameOptions,
  });
}

/** Refuse a request: the status, one line saying why, and the connection closed after it. */
export function refuse(res: ServerResponse, status: number, why: string, extra: Record<string, string> = {}): void {
  reply(res, status, 'text/plain; charset=utf-8', `${why}\n`, { Connection: 'close', ...extra });
}

/** Refuse an upgrade the same way, written by hand (no response object yet); gone within a second. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n` +
      Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The request and upgrade handlers of one front. */
export function createFront(o: FrontOptions): HttpEntry {
  const routeOf = (path: string): Route | null => (Object.hasOwn(o.routes, path) ? o.routes[path] : o.resolve?.(path) ?? null);

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req, o.bindHost)) return refuse(res, 403, 'forbidden: unexpected Host header');
    const route = routeOf(rawPath(req.url));
    if (!route) return refuse(res, 404, 'not found');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    if (!route.open && !authorized(req, o.token)) {
      return refuse(res, 401, `unauthorized: ${o.tokenHint}`, { 'WWW-Authenticate': 'Bearer realm="chroma"' });
    }
    if (!route.get) return refuse(res, 426, 'this endpoint speaks WebSocket only', { Upgrade: 'websocket' });
    await route.get(req, res);
  };

  return {
    request: (req, res) => {
      answer(req, res).catch((err: unknown) => {
        if (!res.headersSent) refuse(res, 500, `internal error: ${(err as Error).message}`);
        else res.destroy();
      });
    },
    upgrade: (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      if (!hostAllowed(req, o.bindHost)) return refuseUpgrade(socket, 403, 'Forbidden');
      const route = routeOf(rawPath(req.url));
      if (route?.forwardUpgrade) return route.forwardUpgrade(req, socket, head);
      const gate = route?.socket;
      if (!gate) return refuseUpgrade(socket, 404, 'Not Found');
      if (!originAllowed(req, gate.allowOrigins)) return refuseUpgrade(socket, 403, 'Forbidden');
      if (!authorized(req, o.token)) return refuseUpgrade(socket, 401, 'Unauthorized');
      if (!gate.canAccept()) return refuseUpgrade(socket, 503, 'Service Unavailable');
      gate.wss.handleUpgrade(req, socket, head, (ws) => gate.onConnection(ws, req));
    },
  };
}
