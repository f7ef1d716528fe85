// `startServer`: a live source colorized and broadcast to browsers. The source's server is a
// SourceServer (source-server.ts); here: the options checked (live-options.ts), the source's first
// look, the model, a port of its own (or none, embedded in startMultiServer), and shutdown.
import { listenHttp, shownUrl } from './listen.js';
import { classifySource, checkSourceExists, redactUrl } from './source.js';
import { isLoopbackHost } from './auth.js';
import { startSource } from './sources/start.js';
import { createLogger, urlSecrets } from './log.js';
import { checkServerOptions } from './live-options.js';
import { SourceServer } from './source-server.js';
import { openLiveModel } from './live-model.js';
import type { ServerOptions, EmbeddedSource, ServerHandle } from './server-types.js';

/** Log lines with the source's name, credentials and the token scrubbed; "warning: ..." at warn level. */
function serverLog(opts: ServerOptions, token: string | null): (line: string) => void {
  const logger = createLogger(opts.name ?? redactUrl(opts.input), {
    write: opts.log, format: opts.logFormat, secrets: [...urlSecrets(opts.input), ...(token ? [token] : [])],
  });
  return (line: string) => (/^warning: /.test(line) ? logger.warn(line.slice(9)) : logger.info(line));
}

export async function startServer(opts: ServerOptions, embed?: EmbeddedSource): Promise<ServerHandle> {
  checkServerOptions(opts);
  const token = opts.token || null;
  const log = serverLog(opts, token);
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !token) log(`warning: listening on ${host} without --token: anyone who can reach this port can watch`);

  const spec = classifySource(opts.input, {
    loop: opts.loop, format: opts.format, realtime: opts.realtime,
    width: opts.width, height: opts.height, fps: opts.fps, extraInputArgs: opts.inputArgs, rtspTransport: opts.rtspTransport,
  });
  checkSourceExists(spec);
  const first = await startSource(spec, opts, log);
  const lm = await openLiveModel(opts, log);
  const { model } = lm;

  let live: SourceServer | null = null;
  try {
    live = new SourceServer({ opts, token, model, spec, first, log, embed });
    const running = live;
    const handlers = { ...live.front(host), health: () => running.health() };
    const stats = () => running.stats();
    if (embed) {
      live.start();
      let stopping: Promise<void> | null = null;
      return { url: '', host, port: 0, stats, close: () => (stopping ??= running.stop(() => {})), handlers };
    }
    const { server, port } = await listenHttp(handlers, host, opts.port ?? 8080);
    live.start();
    const closeHttp = () => {
      server.close();
      server.closeAllConnections();
    };
    let closing: Promise<void> | null = null;
    const close = () => (closing ??= running.stop(closeHttp).then(() => lm.release(600)));
    return { url: shownUrl(host, port), host, port, stats, close };
  } catch (err) {
    live?.abort();
    await lm.release();
    throw err;
  }
}
