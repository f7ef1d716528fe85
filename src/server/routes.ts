// The routes of one live source on the shared front (http-front.ts): the viewer page, /healthz
// (open, for load balancers), /metrics, and the viewers' WebSocket at /ws.
import type { Registry } from 'prom-client';
import { createFront, replyJson, replyPage, reply, type Route, type SocketGate } from './http-front.js';
import type { HttpEntry } from './listen.js';
import type { ViewerPage } from './page-shell.js';

/** What a request without the token is told, by a live server of one source or several. */
export const LIVE_TOKEN_HINT = 'this server needs its token (open /?token=... or send Authorization: Bearer ...)';

export interface LiveRoutes {
  token: string | null;
  bindHost: string;
  page: ViewerPage;
  registry: Registry;
  health: () => object;
  socket: SocketGate;
}

export function createLiveFront(ctx: LiveRoutes): HttpEntry {
  const page: Route = { get: (_req, res) => replyPage(res, ctx.page) };
  return createFront({
    bindHost: ctx.bindHost,
    token: ctx.token,
    tokenHint: LIVE_TOKEN_HINT,
    routes: {
      '/': page,
      '/index.html': page,
      '/healthz': { open: true, get: (_req, res) => replyJson(res, ctx.health()) },
      '/metrics': { get: async (_req, res) => reply(res, 200, ctx.registry.contentType, await ctx.registry.metrics()) },
      '/ws': { socket: ctx.socket },
    },
  });
}
