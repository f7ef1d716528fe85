// The editor's server (`chroma serve --input film.mp4 --edit`): the page, its socket, the hints file
// as a download and any frame as a PNG, all behind a token. The editor changes files (it saves
// hints beside the film), so it always has one: the one given, or a random one printed in the URL.
//
// Every socket shares the session's hints (an edit is announced to all); each socket has its own
// frame. One worker does everything that costs CPU, in order of who waits for it: renders (only the
// newest frame asked for per socket, so holding an arrow key skips frames instead of queueing
// them), then the model's colour suggestions, then tracking, one hint at a time.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import sharp from 'sharp';
import { authorized, hostAllowed, originAllowed } from './auth.js';
import { listenHttp, shownUrl } from './listen.js';
import { rawPath } from './routes.js';
import { buildEditPage } from './edit-page.js';
import { MAX_EDIT_MESSAGE_BYTES, parseEditMessage, type EditMessage } from './edit-control.js';
import { EditSession } from '../jobs/edit-session.js';
import { serializeHints } from '../hints/hints-file.js';
import { ChromaError, describeError } from '../core/errors.js';

export interface EditServerOptions {
  /** Address to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** Default 8080; 0 = any free port. */
  port?: number;
  /** Required for everything (default: a random one, in `url`). */
  token?: string | null;
  /** JPEG quality of the frames shown, 1..100 (default 85). */
  quality?: number;
  /** Other page origins whose WebSocket connections are accepted (default: none, this server's own only). */
  allowOrigins?: readonly string[];
  /** Most editor pages at once (default 8). */
  maxViewers?: number;
}

export interface EditServerHandle {
  port: number;
  token: string;
  /** The page's address, with its token. */
  url: string;
  session: EditSession;
  close(): Promise<void>;
}

export const EDIT_FRAME_MAGIC = 0x31454843; // "CHE1"
export const EDIT_FRAME_HEADER_BYTES = 12;

const HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' };

function reply(res: ServerResponse, status: number, type: string, body: Buffer | string, extra: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': buf.length, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

/** Serve `session` for editing; the session is closed with the server. */
export async function startEditServer(session: EditSession, opts: EditServerOptions = {}): Promise<EditServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token || randomBytes(12).toString('hex');
  const quality = opts.quality ?? 85;
  const page = buildEditPage();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_EDIT_MESSAGE_BYTES });
  const frameOf = new Map<WebSocket, number>();
  const wanted = new Map<WebSocket, number>();
  let rev = 0;
  const suggests = new Map<WebSocket, { frame: number; x: number; y: number }>();
  let working = false;
  let closed = false;

  const film = {
    name: session.info.path.split('/').pop(), width: session.info.width, height: session.info.height,
    frames: session.frames, fps: session.fps, cuts: session.cuts,
  };
  const stateOf = (frame: number, added?: string | null) => JSON.stringify({
    type: 'state', rev, film, frame, hints: session.view(frame), losses: session.losses(), tracking: session.busy,
    hintsPath: session.hintsPath, ...(added ? { added } : {}),
  });
  const sendJson = (ws: WebSocket, o: object | string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(typeof o === 'string' ? o : JSON.stringify(o));
  };
  const broadcastState = (added?: string | null) => {
    for (const ws of wss.clients) sendJson(ws, stateOf(frameOf.get(ws) ?? 0, added));
  };
  const want = (ws: WebSocket, frame: number) => {
    wanted.set(ws, frame);
    void pump();
  };
  const render = async (ws: WebSocket, frame: number) => {
    const r = rev;
    const f = await session.render(frame);
    const jpeg = await sharp(f.out, { raw: { width: f.width, height: f.height, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();
    const head = Buffer.alloc(EDIT_FRAME_HEADER_BYTES);
    head.writeUInt32LE(EDIT_FRAME_MAGIC, 0);
    head.writeUInt32LE(frame, 4);
    head.writeUInt32LE(r, 8);
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([head, jpeg]));
  };
  const suggestFor = async (ws: WebSocket, m: { frame: number; x: number; y: number }) => {
    sendJson(ws, { type: 'suggest', frame: m.frame, x: m.x, y: m.y, colors: await session.suggest(m.frame, m.x, m.y) });
  };
  /**
   * The one worker: renders first (what the person waits for), then suggestions, then one track at
   * a time; when the last track is in, everyone's frame again (the hints may have moved there).
   */
  const pump = async () => {
    if (working) return;
    working = true;
    try {
      while (!closed) {
        const next = wanted.size ? 'render' : suggests.size ? 'suggest' : session.untracked > 0 ? 'track' : null;
        if (!next) break;
        try {
          if (next === 'track') {
            await session.trackNext();
            if (session.untracked === 0) {
              rev++;
              broadcastState();
              for (const ws of wss.clients) wanted.set(ws, frameOf.get(ws) ?? 0);
            }
            continue;
          }
          const queue: Map<WebSocket, unknown> = next === 'render' ? wanted : suggests;
          const [ws, what] = queue.entries().next().value as [WebSocket, unknown];
          queue.delete(ws);
          if (ws.readyState !== WebSocket.OPEN) continue;
          try {
            if (next === 'render') await render(ws, what as number);
            else await suggestFor(ws, what as { frame: number; x: number; y: number });
          } catch (err) {
            sendJson(ws, { type: 'error', message: describeError(err) });
          }
        } catch (err) {
          for (const ws of wss.clients) sendJson(ws, { type: 'error', message: `tracking failed: ${describeError(err)}` });
          break;
        }
      }
    } finally {
      working = false;
    }
  };
  /** After an edit: everyone's state and frame now; the new tracks follow (pump). */
  const edited = (added: string | null) => {
    rev++;
    broadcastState(added);
    for (const ws of wss.clients) wanted.set(ws, frameOf.get(ws) ?? 0);
    void pump();
  };

  const onMessage = async (ws: WebSocket, m: EditMessage) => {
    switch (m.type) {
      case 'get':
        return sendJson(ws, stateOf(frameOf.get(ws) ?? 0));
      case 'seek':
        if (m.frame >= session.frames) return sendJson(ws, { type: 'error', message: `frame ${m.frame}: not a frame of this film (0..${session.frames - 1})` });
        frameOf.set(ws, m.frame);
        sendJson(ws, stateOf(m.frame));
        return want(ws, m.frame);
      case 'suggest':
        if (m.frame >= session.frames || m.x > session.info.width - 1 || m.y > session.info.height - 1) {
          return sendJson(ws, { type: 'error', message: 'suggest: the point is outside the film' });
        }
        suggests.set(ws, m);
        return void pump();
      case 'save':
        return sendJson(ws, { type: 'saved', path: await session.save() });
      case 'load':
        return edited(session.edit({ type: 'replace', file: m.file }));
      default:
        edited(session.edit(m));
    }
  };

  const request = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (!hostAllowed(req, host)) return reply(res, 403, 'text/plain', 'forbidden: unexpected Host header\n');
      const path = rawPath(req.url);
      if (!['/', '/index.html', '/hints.json', '/frame.png', '/ws'].includes(path)) return reply(res, 404, 'text/plain', 'not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'method not allowed\n', { Allow: 'GET, HEAD' });
      if (!authorized(req, token)) return reply(res, 401, 'text/plain', 'unauthorized: the editor needs its token (open the URL it printed: /?token=...)\n');
      if (path === '/ws') return reply(res, 426, 'text/plain', 'this endpoint speaks WebSocket only\n');
      if (path === '/hints.json') {
        const name = session.hintsPath.split('/').pop() ?? 'hints.json';
        return reply(res, 200, 'application/json', serializeHints(session.hintsFile()), { 'Content-Disposition': `attachment; filename="${name.replace(/"/g, '')}"` });
      }
      if (path === '/frame.png') {
        const n = Number(new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('frame') ?? '0');
        if (!Number.isInteger(n) || n < 0 || n >= session.frames) return reply(res, 400, 'text/plain', `frame must be an integer 0..${session.frames - 1}\n`);
        const f = await session.render(n);
        return reply(res, 200, 'image/png', await sharp(f.out, { raw: { width: f.width, height: f.height, channels: 3 } }).png().toBuffer());
      }
      reply(res, 200, 'text/html; charset=utf-8', page.body, { 'Content-Security-Policy': page.contentSecurityPolicy, 'X-Frame-Options': 'DENY' });
    })().catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, 'text/plain', `internal error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  };
  const refuse = (socket: Duplex, status: number, reason: string) => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (rawPath(req.url) !== '/ws') return refuse(socket, 404, 'Not Found');
    if (!hostAllowed(req, host) || !originAllowed(req, opts.allowOrigins ?? [])) return refuse(socket, 403, 'Forbidden');
    if (!authorized(req, token)) return refuse(socket, 401, 'Unauthorized');
    if (wss.clients.size >= (opts.maxViewers ?? 8)) return refuse(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      frameOf.set(ws, 0);
      ws.on('message', (data, isBinary) => {
        const parsed = parseEditMessage(data as Buffer, isBinary);
        if (!parsed.ok) return sendJson(ws, { type: 'error', message: parsed.error });
        onMessage(ws, parsed.message).catch((err: unknown) => {
          sendJson(ws, { type: 'error', message: err instanceof ChromaError ? err.message : describeError(err) });
        });
      });
      ws.on('close', () => {
        frameOf.delete(ws);
        wanted.delete(ws);
        suggests.delete(ws);
      });
      sendJson(ws, stateOf(0));
      want(ws, 0);
    });
  };

  const { server, port } = await listenHttp({ request, upgrade }, host, opts.port ?? 8080);
  return {
    port, token, session, url: `${shownUrl(host, port)}?token=${token}`,
    close: async () => {
      closed = true;
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await session.close();
    },
  };
}
