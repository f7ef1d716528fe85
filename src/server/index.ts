// `startServer`: a live source colorized and broadcast to browsers. Wires the pieces of this folder:
//   source (ffmpeg decoder, reconnects) -> live graph (drop-latest, model) -> broadcaster (JPEG once,
//   per-viewer bounded queues) + optional recorder; HTTP routes, auth, metrics on the same port.
import type { IncomingMessage } from 'node:http';
import { listenHttp, shownUrl } from './listen.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadModel } from '../model/load-model.js';
import type { LoadedModel } from '../core/model-contract.js';
import { FlowGate } from '../core/flow-gate.js';
import { DEFAULT_LIVE_BATCH, DEFAULT_TEMPERATURE } from '../core/defaults.js';
import { invalidOption, usageError } from '../core/errors.js';
import { checkNumber } from '../core/options.js';
import { classifySource, checkSourceExists, redactUrl, LiveSource, type SourceState, type SourceGeometry } from './source.js';
import { LiveGraph, causalSmoothing } from './live-graph.js';
import { Broadcaster, type Client } from './broadcaster.js';
import { parseControl, MAX_CONTROL_BYTES, LIVE_TEMPERATURE_RANGE, SMOOTH_RANGE, type ControlMessage, type LiveSettings } from './control.js';
import { createMetrics } from './metrics.js';
import { createRequestHandler, createUpgradeHandler } from './routes.js';
import { buildViewerPage } from './viewer-page.js';
import { Recorder } from './recorder.js';
import { wallNow } from './frame-header.js';
import { authorized, isLoopbackHost } from './auth.js';
import { LiveHints } from './live-hints.js';
import { hintsUnsupported } from '../graph/color-graph.js';
import { startSource, probeGeometry } from './sources/start.js';
import { createLogger, urlSecrets, LOG_FORMATS } from './log.js';
import { isRtspTransport, RTSP_TRANSPORTS } from './sources/rtsp.js';
import { WebcamSessions } from './webcam-session.js';
import { isUpload, MAX_UPLOAD_BYTES, MAX_UPLOAD_FPS, MAX_UPLOAD_HEIGHT, MAX_UPLOAD_WIDTH } from './webcam-upload.js';

export { decodeFrameMessage, FRAME_HEADER_BYTES, STAGE_NAMES, type FrameHeader } from './frame-header.js';
export type { LiveSettings } from './control.js';
export type { SourceState, SourceStatus } from './source.js';

export type { ServerOptions, EmbeddedSource, SourceHandlers, ServerStats, ServerHandle } from './server-types.js';
import type { ServerOptions, EmbeddedSource, ServerStats, ServerHandle, SourceHandlers } from './server-types.js';

function publicSource(s: SourceState): SourceState {
  return { ...s };
}

export async function startServer(opts: ServerOptions, embed?: EmbeddedSource): Promise<ServerHandle> {
  const token = opts.token || null;
  const logger = createLogger(opts.name ?? redactUrl(opts.input), {
    write: opts.log, format: opts.logFormat, secrets: [...urlSecrets(opts.input), ...(token ? [token] : [])],
  });
  const log = (line: string) => (/^warning: /.test(line) ? logger.warn(line.slice(9)) : logger.info(line));
  checkNumber('--width', opts.width, 16, 8192, true);
  checkNumber('--height', opts.height, 16, 8192, true);
  checkNumber('--fps', opts.fps, 0.1, 1000);
  checkNumber('--quality', opts.quality, 1, 100, true);
  checkNumber('--port', opts.port, 0, 65535, true);
  checkNumber('--batch', opts.batch, 1, 64, true);
  checkNumber('--max-wait', opts.maxWaitMs, 0, 10000);
  checkNumber('--size', opts.size, 32, 4096, true);
  checkNumber('--temperature', opts.temperature, LIVE_TEMPERATURE_RANGE[0], LIVE_TEMPERATURE_RANGE[1]);
  checkNumber('--smooth', opts.smooth, SMOOTH_RANGE[0], SMOOTH_RANGE[1]);
  checkNumber('--max-viewers', opts.maxViewers, 1, 10000, true);
  checkNumber('--client-queue', opts.clientQueue, 1, 64, true);
  if ((opts.width === undefined) !== (opts.height === undefined)) throw usageError('give both --width and --height, or neither');
  if (opts.rtspTransport !== undefined && !isRtspTransport(opts.rtspTransport)) throw invalidOption('rtspTransport', RTSP_TRANSPORTS.join(', '), opts.rtspTransport);
  if (opts.logFormat !== undefined && !LOG_FORMATS.includes(opts.logFormat)) throw invalidOption('logFormat', LOG_FORMATS.join(' or '), opts.logFormat);
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !token) log(`warning: listening on ${host} without --token: anyone who can reach this port can watch`);

  const spec = classifySource(opts.input, {
    loop: opts.loop, format: opts.format, realtime: opts.realtime,
    width: opts.width, height: opts.height, fps: opts.fps, extraInputArgs: opts.inputArgs, rtspTransport: opts.rtspTransport,
  });
  checkSourceExists(spec);
  const first = await startSource(spec, opts, log);
  // Zero until a source that was not up at start answers (then fixed for the server's life).
  const geom: SourceGeometry = first.geometry ?? { width: 0, height: 0, fps: opts.fps ?? null };
  let { width, height } = geom;

  const ownModel = typeof opts.model !== 'object';
  const model: LoadedModel = typeof opts.model === 'object'
    ? opts.model
    : await loadModel(opts.model, { device: opts.device ?? 'auto', threads: opts.threads, log });

  const cleanups: (() => void)[] = [];
  try {
    const settings: LiveSettings = { temperature: opts.temperature ?? DEFAULT_TEMPERATURE, smooth: opts.smooth ?? 0, paused: false };
    // Smoothing costs optical flow per frame even at strength 0, so the stage exists only when asked for.
    const smoothStage = opts.smooth !== undefined ? causalSmoothing(() => settings.smooth) : null;
    const metrics = createMetrics({ processMetrics: opts.processMetrics });
    const dropped = { mailbox: 0, paused: 0, idle: 0 };
    const batch = opts.batch ?? DEFAULT_LIVE_BATCH;
    // Decoder slots: the mailbox and the graph hold at most a batch each; the rest is slack for
    // frames parsed but waiting for their timestamp line. Never full in practice: frames are dropped first.
    const gate = new FlowGate(batch * 2 + 6);
    const started = performance.now();
    let seq = 0;

    let recorder: Recorder | null = null;
    const openRecorder = () => {
      if (opts.record && width) recorder = new Recorder({ path: opts.record, width, height, fps: geom.fps, log });
    };
    openRecorder();
    let source: LiveSource;

    // Viewers' colour hints: only with a token (a hint changes what every viewer sees) and a model that takes them.
    const hintsReason = !model.hintsName ? hintsUnsupported(model).message : !token ? 'colour hints need a server started with --token' : null;
    const announceHints = (by?: number) => broadcaster.broadcastJson({ type: 'hints', hints: liveHints.list(), ...(by ? { by } : {}) });
    const liveHints = new LiveHints({
      onLost: (lost, at) => {
        for (const l of lost) broadcaster.broadcastJson({ type: 'hint-lost', id: l.id, reason: l.reason, seq: at });
        announceHints();
      },
      onStart: () => announceHints(),
    });
    const onHint = (c: Client, m: Extract<ControlMessage, { type: 'hint' | 'unhint' | 'clear-hints' }>) => {
      const refuse = (message: string) => {
        metrics.controlErrors.inc();
        broadcaster.send(c, { type: 'error', message });
      };
      if (hintsReason) return refuse(hintsReason);
      if (!c.trusted) return refuse('colour hints need the server\'s token: open the viewer with ?token=...');
      if (m.type === 'hint') {
        if (m.hint.frame !== undefined && m.hint.frame >= seq) return refuse(`"frame" ${m.hint.frame} has not been sent yet (newest ${seq - 1})`);
        const id = liveHints.add(m.hint);
        if (!id) return refuse(`too many live hints (max ${liveHints.max}): remove one or clear them first`);
        broadcaster.send(c, { type: 'hint-added', id });
      } else if (m.type === 'unhint') {
        if (!liveHints.remove(m.id)) return refuse(`no live hint "${m.id.slice(0, 40)}"`);
      } else liveHints.clear();
      announceHints(c.id);
    };

    const hello = () => ({
      type: 'hello', version: 1, width, height, fps: geom.fps, model: model.info.name,
      state: { ...settings }, smoothAvailable: smoothStage !== null, source: publicSource(source.state),
      limits: { maxMessageBytes: MAX_CONTROL_BYTES, temperature: LIVE_TEMPERATURE_RANGE, smooth: SMOOTH_RANGE },
      hints: { enabled: hintsReason === null, reason: hintsReason, max: liveHints.max, list: liveHints.list() },
      camera: { enabled: token !== null, maxBytes: MAX_UPLOAD_BYTES, maxFps: MAX_UPLOAD_FPS, maxWidth: MAX_UPLOAD_WIDTH, maxHeight: MAX_UPLOAD_HEIGHT },
    });

    const onControl = (c: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary && isUpload(buf)) return webcam.handle(c, buf);
      // The socket takes camera-sized messages; text keeps the control cap, closing as ws would (1009).
      if (!isBinary && buf.length > MAX_CONTROL_BYTES) return c.ws.close(1009, 'message too big');
      const r = parseControl(data, isBinary, { smoothAvailable: smoothStage !== null, width, height });
      if (!r.ok) {
        metrics.controlErrors.inc();
        broadcaster.send(c, { type: 'error', message: r.error });
        return;
      }
      if (r.message.type === 'hint' || r.message.type === 'unhint' || r.message.type === 'clear-hints') return onHint(c, r.message);
      if (r.message.type === 'get') {
        broadcaster.send(c, { type: 'state', state: { ...settings } });
        return;
      }
      Object.assign(settings, r.message.patch);
      broadcaster.broadcastJson({ type: 'state', state: { ...settings }, by: c.id });
    };

    const broadcaster = new Broadcaster({
      quality: opts.quality ?? 75,
      queue: opts.clientQueue ?? 2,
      pingIntervalMs: opts.pingIntervalMs,
      statsIntervalMs: opts.statsIntervalMs,
      metrics,
      hello,
      stats: () => ({
        fps: Math.round(broadcaster.outFps * 10) / 10,
        viewers: broadcaster.size,
        droppedSource: dropped.mailbox,
        source: publicSource(source.state),
      }),
      headerCounters: () => ({ droppedSource: dropped.mailbox, reconnects: source.reconnects }),
      onMessage: onControl,
      log,
    });
    cleanups.push(() => void broadcaster.close(0));
    // The viewer's own camera, sent up its socket and colorized for it alone (needs the token).
    const webcam = new WebcamSessions({
      model, quality: opts.quality ?? 75, size: opts.size, temperature: () => settings.temperature, enabled: token !== null,
      sendJson: (c, obj) => broadcaster.send(c, obj), log,
    });
    cleanups.push(() => webcam.close());

    const graph = new LiveGraph(model, {
      batch,
      maxWaitMs: opts.maxWaitMs,
      size: opts.size,
      temperature: () => settings.temperature,
      paused: () => settings.paused,
      idle: () => broadcaster.size === 0 && !opts.record,
      smooth: smoothStage,
      hints: model.hintsName ? liveHints.provider : null,
      restore: opts.restore ?? null,
      release: (n) => gate.release(n),
      onOutput: (f, stages) => {
        metrics.framesOut.inc();
        for (const [k, v] of Object.entries(stages)) metrics.stageSeconds.observe({ stage: k }, v / 1000);
        const at = LiveHints.positionsOf(f);
        if (at) broadcaster.broadcastJson({ type: 'hints-at', seq: f.live.seq, hints: at });
        broadcaster.publish(f, stages);
        recorder?.write(f);
      },
      onDrop: (reason) => {
        dropped[reason]++;
        if (reason === 'idle') metrics.framesIdle.inc();
        else metrics.framesDropped.inc({ reason });
      },
      onError: (err) => log(`inference failed: ${err.message.split('\n')[0]} (restarting the model graph)`),
      infer: embed ? (t) => embed.sharedInference.stage(t) : undefined,
    });
    cleanups.push(() => graph.stop());

    let lastStatus = '';
    source = new LiveSource({
      spec,
      geometry: first.geometry,
      probe: (s) => probeGeometry(s, opts),
      onGeometry: (g) => {
        ({ width, height } = g);
        geom.fps = g.fps;
        log(`source: ${width}x${height}${g.fps ? ` at ${Math.round(g.fps * 100) / 100} fps` : ''}`);
        openRecorder();
      },
      gate,
      backoff: opts.backoff,
      stallMs: opts.stallMs,
      maxLagMs: opts.maxLagMs,
      onFrame: (f) => {
        metrics.framesIn.inc();
        graph.push(f, seq++, wallNow());
      },
      onReconnect: () => metrics.sourceReconnects.inc(),
      onStatus: (st) => {
        metrics.sourceUp.set(st.status === 'connected' ? 1 : 0);
        metrics.setSourceStatus(st.status);
        broadcaster.broadcastJson({ type: 'status', source: publicSource(st) });
        const line = st.status === 'reconnecting' || st.status === 'waiting'
          ? `source: ${st.message ?? 'dropped'}; ${st.status === 'waiting' ? 'waiting, next try' : 'reconnecting'} in ${((st.retryInMs ?? 0) / 1000).toFixed(1)} s`
          : `source: ${st.status}${st.message ? ` (${st.message})` : ''}`;
        if (line !== lastStatus && st.status !== 'stopped') log(line);
        lastStatus = line;
      },
    });
    cleanups.push(() => source.stop());

    // Camera frames are the largest messages a viewer may send; control text is checked for its own cap.
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_UPLOAD_BYTES, perMessageDeflate: false, clientTracking: false });
    const maxViewers = opts.maxViewers ?? 64;
    const remoteOf = (req: IncomingMessage) => `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const stats = (): ServerStats => {
      const mem = process.memoryUsage();
      const clients = broadcaster.list();
      return {
        uptimeSeconds: (performance.now() - started) / 1000,
        width, height, fps: geom.fps,
        source: { ...source.state, framesIn: source.framesIn, reconnects: source.reconnects, lastFrameAgeMs: source.lastFrameAgeMs, lagMs: source.lagMs },
        framesIn: source.framesIn,
        framesOut: graph.framesOut,
        outFps: broadcaster.outFps,
        dropped: { ...dropped, encoder: broadcaster.encoderDrops, viewers: clients.reduce((a, c) => a + c.dropped, 0) },
        viewers: clients.length,
        clients,
        settings: { ...settings },
        smoothAvailable: smoothStage !== null,
        inferenceErrors: graph.errors,
        memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, externalBytes: mem.external },
        record: recorder?.stats() ?? null,
      };
    };
    const ctx = {
      token,
      bindHost: host,
      allowOrigins: opts.allowOrigin ?? [],
      page: buildViewerPage(),
      registry: metrics.registry,
      health: () => {
        const st = source.state;
        return {
          ok: st.status === 'connected',
          status: st.status === 'connected' ? 'ok' : st.status === 'waiting' ? 'waiting' : 'degraded',
          source: { status: st.status, since: new Date(st.since).toISOString(), attempt: st.attempt, retryInMs: st.retryInMs,
            lastFrameAgeMs: source.lastFrameAgeMs === null ? null : Math.round(source.lastFrameAgeMs), reconnects: source.reconnects,
            lagMs: Math.round(source.lagMs) },
          viewers: broadcaster.size,
          framesIn: source.framesIn,
          framesOut: graph.framesOut,
          width, height,
          uptimeSeconds: Math.round((performance.now() - started) / 1000),
        };
      },
      wss,
      canAccept: () => broadcaster.size < maxViewers,
      onConnection: (ws: WebSocket, req: IncomingMessage) => broadcaster.add(ws, remoteOf(req), token !== null && authorized(req, token)),
    };
    const handlers: SourceHandlers = { request: createRequestHandler(ctx), upgrade: createUpgradeHandler(ctx), health: ctx.health };
    // Viewers are told and closed before the HTTP side goes; the recording is finalised after.
    const stopLive = async (closeHttp: () => void) => {
      source.stop();
      graph.stop();
      webcam.close();
      await broadcaster.close(400);
      closeHttp();
      await recorder?.finish(1200);
    };
    if (embed) {
      source.start(first.failure);
      let stopping: Promise<void> | null = null;
      return { url: '', host, port: 0, stats, close: () => (stopping ??= stopLive(() => {})), handlers };
    }
    const { server, port } = await listenHttp(handlers, host, opts.port ?? 8080);
    cleanups.push(() => {
      server.close();
      server.closeAllConnections();
    });
    source.start(first.failure);

    let closing: Promise<void> | null = null;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        await stopLive(() => {
          server.close();
          server.closeAllConnections();
        });
        // The inference worker finishes its current batch before it exits; do not wait long for it.
        if (ownModel) await Promise.race([model.release().catch(() => {}), new Promise((r) => setTimeout(r, 600).unref())]);
      })();
      return closing;
    };
    return { url: shownUrl(host, port), host, port, stats, close };
  } catch (err) {
    for (const c of cleanups.reverse()) c();
    if (ownModel) await model.release().catch(() => {});
    throw err;
  }
}
