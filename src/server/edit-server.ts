// The editor's server (`chroma serve --input film.mp4 --edit`): the page, its socket (edit-room.ts),
// the hints file as a download and any frame as a PNG, all behind a token, on the shared front
// (http-front.ts). The editor changes files (it saves hints beside the film), so it always has a
// token: the one given, or a random one printed in the URL.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import sharp from 'sharp';
import { listenHttp, shownUrl } from './listen.js';
import { createFront, refuse, reply, replyPage, type Route } from './http-front.js';
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
      room.close();
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

/** One frame, colorized with the hints, as a PNG (?frame=N, default 0). */
async function sendFramePng(res: ServerResponse, session: EditSession, query: string): Promise<void> {
  const n = Number(new URLSearchParams(query).get('frame') ?? '0');
  if (!Number.isInteger(n) || n < 0 || n >= session.frames) return refuse(res, 400, `frame must be an integer 0..${session.frames - 1}`);
  const f = await session.render(n);
  reply(res, 200, 'image/png', await sharp(f.out, { raw: { width: f.width, height: f.height, channels: 3 } }).png().toBuffer());
}
