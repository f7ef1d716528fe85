// The editor's server (`chroma serve --input film.mp4 --edit`): the page, its socket (edit-room.ts),
// the hints file as a download, any frame as a PNG, the shot strip's thumbnails and the rendered
// film, all behind a token, on the shared front (http-front.ts). The editor changes files (it saves
// hints and renders beside the film), so it always has a token: the one given, or a random one
// printed in the URL.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import sharp from 'sharp';
import { listenHttp, shownUrl } from './listen.js';
import { SECURITY_HEADERS, createFront, refuse, reply, replyPage, type Route } from './http-front.js';
import { rawQuery } from './request-target.js';
import { buildEditPage } from './edit-page.js';
import { MAX_EDIT_MESSAGE_BYTES } from './edit-control.js';
import { EditRoom } from './edit-room.js';
import { EditSession } from '../editor/session.js';
import { serializeHints } from '../hints/hints-file.js';

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

export { EDIT_FRAME_MAGIC, EDIT_FRAME_HEADER_BYTES } from './edit-room.js';

/** Serve `session` for editing; the session is closed with the server. */
export async function startEditServer(session: EditSession, opts: EditServerOptions = {}): Promise<EditServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token || randomBytes(12).toString('hex');
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_EDIT_MESSAGE_BYTES });
  const room = new EditRoom(session, wss, opts.quality ?? 85);
  const editPage = buildEditPage();
  const page: Route = { get: (_req, res) => replyPage(res, editPage) };
  const front = createFront({
    bindHost: host,
    token,
    tokenHint: 'the editor needs its token (open the URL it printed: /?token=...)',
    routes: {
      '/': page,
      '/index.html': page,
      '/hints.json': { get: (_req, res) => sendHints(res, session) },
      '/frame.png': { get: (req, res) => sendFramePng(res, session, rawQuery(req.url)) },
      '/shot.jpg': { get: (req, res) => sendShotThumb(res, session, rawQuery(req.url)) },
      '/rendered': { get: (_req, res) => sendRendered(res, room.renderJob.finished) },
      '/ws': {
        socket: {
          wss,
          allowOrigins: opts.allowOrigins ?? [],
          canAccept: () => wss.clients.size < (opts.maxViewers ?? 8),
          onConnection: (ws) => room.join(ws),
        },
      },
    },
  });

  const { server, port } = await listenHttp(front, host, opts.port ?? 8080);
  return {
    port, token, session, url: `${shownUrl(host, port)}?token=${token}`,
    close: async () => {
      await room.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await session.close();
    },
  };
}

/** The hints as a download named like the file they are saved to. */
function sendHints(res: ServerResponse, session: EditSession): void {
  const name = session.hintsPath.split('/').pop() ?? 'hints.json';
  reply(res, 200, 'application/json', serializeHints(session.hintsFile()), { 'Content-Disposition': `attachment; filename="${name.replace(/"/g, '')}"` });
}

/** Width of the shot strip's thumbnails, pixels. */
const THUMB_WIDTH = 160;

/** A shot's poster frame as decoded (gray: the strip is for finding a shot), small, as a JPEG (?shot=N). */
async function sendShotThumb(res: ServerResponse, session: EditSession, query: string): Promise<void> {
  const n = Number(new URLSearchParams(query).get('shot') ?? '0');
  const { shots } = session.shots;
  if (!Number.isInteger(n) || n < 0 || n >= shots.length) return refuse(res, 400, `shot must be an integer 0..${shots.length - 1}`);
  const f = await session.rawFrame(shots[n].posterFrame);
  const jpeg = await sharp(f.rgb, { raw: { width: f.width, height: f.height, channels: 3 } }).resize({ width: THUMB_WIDTH }).jpeg({ quality: 80 }).toBuffer();
  reply(res, 200, 'image/jpeg', jpeg, { 'Cache-Control': 'private, max-age=3600' });
}

/** The film the last render finished, as a download. */
async function sendRendered(res: ServerResponse, path: string | null): Promise<void> {
  const size = path ? await stat(path).then((s) => s.size, () => null) : null;
  if (!path || size === null) return refuse(res, 404, 'no rendered film yet (press render)');
  res.writeHead(200, {
    ...SECURITY_HEADERS, 'Content-Type': 'application/octet-stream', 'Content-Length': size,
    'Content-Disposition': `attachment; filename="${basename(path).replace(/"/g, '')}"`,
  });
  if (res.req.method === 'HEAD') return void res.end();
  createReadStream(path).pipe(res);
}

/**
 * One frame, colorized with the hints, as a PNG (?frame=N, default 0): from the restored L when
 * the editor restores, or from the L as decoded with &view=original (what it shows without --restore).
 */
async function sendFramePng(res: ServerResponse, session: EditSession, query: string): Promise<void> {
  const q = new URLSearchParams(query);
  const n = Number(q.get('frame') ?? '0');
  if (!Number.isInteger(n) || n < 0 || n >= session.frames) return refuse(res, 400, `frame must be an integer 0..${session.frames - 1}`);
  const view = q.get('view') ?? 'restored';
  if (view !== 'restored' && view !== 'original') return refuse(res, 400, 'view must be original or restored');
  const f = await session.render(n, view);
  reply(res, 200, 'image/png', await sharp(f.out, { raw: { width: f.width, height: f.height, channels: 3 } }).png().toBuffer());
}
