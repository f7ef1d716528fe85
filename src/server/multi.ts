// Several cameras on one server: `--input lobby=rtsp://... --input door=rtsp://...`. One model
// load, inference batched across the sources (SharedInference), one port: each source has its own
// page, socket, /healthz and /metrics under /NAME/, the overview page at / shows them all, and
// /healthz sums them up. Each source is a full one-source server without a port of its own
// (startServer `embedded`), so a source that fails (not up, dropped, 404, bad credentials)
// reconnects on its own and never disturbs the others.
import type { IncomingMessage } from 'node:http';
import { usageError } from '../core/errors.js';
import { startServer } from './live-server.js';
import type { ServerHandle, ServerOptions, ServerStats } from './server-types.js';
import { SharedInference } from './shared-inference.js';
import { buildOverviewPage } from './overview-page.js';
import { listenHttp, shownUrl, type HttpEntry } from './listen.js';
import { LIVE_TOKEN_HINT } from './routes.js';
import { createFront, reply, replyJson, replyPage, type Route } from './http-front.js';
import { createLogger, urlSecrets } from './log.js';
import { openLiveModel } from './live-model.js';

export interface NamedInput {
  /** Letters, digits, - and _ (1..32); the page is at /NAME/. No default. */
  name: string;
  /** The source, as ServerOptions.input. No default. */
  input: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** Paths of the server itself, so not source names. */
const RESERVED = new Set(['healthz', 'metrics', 'ws', 'index.html']);

/** `NAME=SRC` from the command line; null when the argument has no name (a plain source). */
export function parseNamedInput(arg: string): NamedInput | null {
  const eq = arg.indexOf('=');
  if (eq <= 0) return null;
  const name = arg.slice(0, eq);
  // rtsp://h/p?x=1 or a lavfi graph: what precedes '=' is not a name.
  if (!NAME_RE.test(name)) return null;
  return { name, input: arg.slice(eq + 1) };
}

export interface MultiServerOptions extends Omit<ServerOptions, 'input' | 'name'> {
  /** The sources, each with its name; at least one. No default. */
  inputs: readonly NamedInput[];
}

export interface MultiServerHandle {
  url: string;
  host: string;
  port: number;
  names: string[];
  /** Each source's stats, by name. */
  stats(): Record<string, ServerStats>;
  /** Inference calls so far and frames they carried (frames / calls: the batching achieved). */
  inference(): { calls: number; frames: number };
  close(): Promise<void>;
}

/** The checks of a several-source server's own options (each source checks the rest as it starts). */
function checkMultiOptions(opts: MultiServerOptions): void {
  const { inputs } = opts;
  if (inputs.length === 0) throw usageError('missing --input NAME=SRC');
  // Every source would write the same file.
  if (opts.record && inputs.length > 1) throw usageError('--record takes one source; several --input cannot share one recording');
  const seen = new Set<string>();
  for (const { name } of inputs) {
    if (!NAME_RE.test(name) || RESERVED.has(name)) throw usageError(`--input ${name}=...: a source name is 1-32 letters, digits, - or _ (not ${[...RESERVED].join(', ')})`);
    if (seen.has(name)) throw usageError(`--input ${name}=...: two sources named ${name}`);
    seen.add(name);
  }
}

/** Every source's health, and the sum: ok when all are up, down when none is. */
function sumHealth(sources: ReadonlyMap<string, ServerHandle>): object {
  const each = Object.fromEntries([...sources].map(([n, s]) => [n, s.handlers!.health() as { ok: boolean }]));
  const up = Object.values(each).filter((h) => h.ok).length;
  const all = sources.size;
  return { ok: up === all, status: up === all ? 'ok' : up === 0 ? 'down' : 'degraded', sources: each };
}

export async function startMultiServer(opts: MultiServerOptions): Promise<MultiServerHandle> {
  checkMultiOptions(opts);
  const { inputs } = opts;
  const token = opts.token || null;
  const logger = createLogger('server', {
    write: opts.log, format: opts.logFormat, secrets: [...inputs.flatMap((i) => urlSecrets(i.input)), ...(token ? [token] : [])],
  });
  const host = opts.host ?? '127.0.0.1';
  const lm = await openLiveModel(opts, (l) => logger.info(l));
  const { model } = lm;
  const shared = new SharedInference(model, { batch: opts.batch ?? inputs.length, maxWaitMs: opts.maxWaitMs });
  const sources = new Map<string, ServerHandle>();
  const closeAll = async () => {
    await Promise.all([...sources.values()].map((s) => s.close()));
    shared.close();
  };
  let listening: Awaited<ReturnType<typeof listenHttp>>;
  try {
    // One after the other: each probes its source (the slow part is ffprobe, not us).
    for (const { name, input } of inputs) {
      sources.set(name, await startServer({ ...opts, input, name, model, batch: 1 }, { embedded: true, sharedInference: shared }));
    }
    listening = await listenHttp(multiFront(sources, host, token), host, opts.port ?? 8080);
  } catch (err) {
    await closeAll();
    await lm.release();
    throw err;
  }
  const { server, port } = listening;
  const names = [...sources.keys()];
  logger.info(`${names.length} sources on one model: ${names.map((n) => `/${n}/`).join(' ')}`);
  let closing: Promise<void> | null = null;
  return {
    url: shownUrl(host, port),
    host,
    port,
    names,
    stats: () => Object.fromEntries(names.map((n) => [n, sources.get(n)!.stats()])),
    inference: () => ({ calls: shared.calls, frames: shared.frames }),
    close: () => (closing ??= (async () => {
      await closeAll();
      server.close();
      server.closeAllConnections();
      await lm.release(600);
    })()),
  };
}

/** The overview at /, the summed /healthz, and each source under /NAME/. */
function multiFront(sources: ReadonlyMap<string, ServerHandle>, host: string, token: string | null): HttpEntry {
  const overview = buildOverviewPage([...sources.keys()]);
  const page: Route = { get: (_req, res) => replyPage(res, overview) };
  return createFront({
    bindHost: host,
    token,
    tokenHint: LIVE_TOKEN_HINT,
    routes: { '/': page, '/index.html': page, '/healthz': { open: true, get: (_req, res) => replyJson(res, sumHealth(sources)) } },
    resolve: (path) => sourceRoute(sources, path),
  });
}

/**
 * /NAME/...: handed on to that source's own front (which checks the token, Origin and the rest)
 * with the path inside it; /NAME alone is sent to /NAME/, where its page finds its socket beside itself.
 */
function sourceRoute(sources: ReadonlyMap<string, ServerHandle>, path: string): Route | null {
  const m = /^\/([^/]+)(\/.*)?$/.exec(path);
  const handlers = m ? sources.get(m[1])?.handlers : undefined;
  if (!m || !handlers) return null;
  const rest = m[2] ?? '';
  const inside = (req: IncomingMessage) => {
    req.url = rest + (req.url ?? '').slice(path.length);
  };
  return {
    open: true,
    get: (req, res) => {
      if (rest === '') return reply(res, 301, 'text/plain; charset=utf-8', 'moved\n', { Location: `/${m[1]}/${(req.url ?? '').slice(path.length)}` });
      inside(req);
      handlers.request(req, res);
    },
    forwardUpgrade: (req, socket, head) => {
      inside(req);
      handlers.upgrade(req, socket, head);
    },
  };
}
