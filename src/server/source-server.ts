// One source's server, apart from its port (startServer in live-server.ts gives it one, or
// startMultiServer routes to it): source (ffmpeg decoder, reconnects) -> live graph (drop-latest, model) -> broadcaster (JPEG
// once, per-viewer bounded queues) + optional recorder, the viewers' messages (live-control.ts),
// their own cameras, and the HTTP routes (routes.ts) with /healthz and /metrics.
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LoadedModel } from '../core/model-contract.js';
import { FlowGate } from '../core/flow-gate.js';
import { DEFAULT_LIVE_BATCH, DEFAULT_TEMPERATURE } from '../core/defaults.js';
import { hintsUnsupported } from '../graph/color-graph.js';
import { restoresNothing } from '../restore/options.js';
import { authorized } from './auth.js';
import { Broadcaster } from './broadcaster.js';
import { MAX_CONTROL_BYTES, LIVE_TEMPERATURE_RANGE, SMOOTH_RANGE, type LiveSettings } from './control.js';
import { wallNow } from './frame-header.js';
import type { HttpEntry } from './listen.js';
import { ViewerControl } from './live-control.js';
import { LiveGraph, causalSmoothing } from './live-graph.js';
import { LiveHints } from './live-hints.js';
import { liveHealth, liveStats, publicSource, type LiveStatsParts } from './live-stats.js';
import { createMetrics, type LiveMetrics } from './metrics.js';
import { Recorder } from './recorder.js';
import { createLiveFront } from './routes.js';
import type { EmbeddedSource, ServerOptions, ServerStats } from './server-types.js';
import { LiveSource, type SourceGeometry, type SourceSpec, type SourceState } from './source.js';
import { probeGeometry, type SourceStart } from './sources/start.js';
import { buildViewerPage } from './viewer-page.js';
import { WebcamSessions } from './webcam-session.js';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_FPS, MAX_UPLOAD_HEIGHT, MAX_UPLOAD_WIDTH } from './webcam-upload.js';

export interface SourceServerContext {
  opts: ServerOptions;
  token: string | null;
  model: LoadedModel;
  spec: SourceSpec;
  /** The source's first look (startSource). */
  first: SourceStart;
  log: (line: string) => void;
  embed?: EmbeddedSource;
}

export class SourceServer implements LiveStatsParts {
  readonly settings: LiveSettings;
  readonly smoothAvailable: boolean;
  readonly metrics: LiveMetrics;
  readonly dropped = { mailbox: 0, paused: 0, idle: 0 };
  readonly started = performance.now();
  /** Zero size until a source that was not up at start answers (then fixed for the server's life). */
  readonly geom: SourceGeometry;
  recorder: Recorder | null = null;
  readonly hints: LiveHints;
  readonly control: ViewerControl;
  readonly broadcaster: Broadcaster;
  readonly webcam: WebcamSessions;
  readonly graph: LiveGraph;
  readonly source: LiveSource;
  /** Why colour hints are off here, or null. */
  private readonly hintsReason: string | null;
  /** Why the original/restored switch is off here (no --restore), or null. */
  private readonly restoreReason: string | null;
  private seq = 0;
  private lastStatus = '';
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly c: SourceServerContext) {
    const { opts, model, token } = c;
    this.settings = { temperature: opts.temperature ?? DEFAULT_TEMPERATURE, smooth: opts.smooth ?? 0, paused: false, view: 'restored' };
    this.smoothAvailable = opts.smooth !== undefined;
    this.restoreReason = restoresNothing(opts.restore ?? null) ? 'nothing to compare: this server does not restore the film (start it with --restore)' : null;
    this.metrics = createMetrics({ processMetrics: opts.processMetrics });
    this.geom = { ...(c.first.geometry ?? { width: 0, height: 0, fps: opts.fps ?? null }) };
    this.openRecorder();
    // Viewers' colour hints: only with a token (a hint changes what every viewer sees) and a model that takes them.
    this.hintsReason = !model.hintsName ? hintsUnsupported(model).message : !token ? 'colour hints need a server started with --token' : null;
    this.hints = new LiveHints({
      onLost: (lost, at) => {
        for (const l of lost) this.broadcaster.broadcastJson({ type: 'hint-lost', id: l.id, reason: l.reason, seq: at });
        this.control.announceHints();
      },
      onStart: () => this.control.announceHints(),
    });
    this.control = new ViewerControl({
      settings: this.settings, smoothAvailable: this.smoothAvailable, restoreReason: this.restoreReason, hints: this.hints, hintsReason: this.hintsReason,
      frameSize: () => ({ width: this.geom.width, height: this.geom.height }),
      nextSeq: () => this.seq,
      viewers: { send: (cl, obj) => this.broadcaster.send(cl, obj), broadcastJson: (obj) => this.broadcaster.broadcastJson(obj) },
      onUpload: (cl, buf) => this.webcam.handle(cl, buf),
      onRefused: () => this.metrics.controlErrors.inc(),
    });
    try {
      this.broadcaster = this.createBroadcaster();
      this.cleanups.push(() => void this.broadcaster.close(0));
      // The viewer's own camera, sent up its socket and colorized for it alone (needs the token).
      this.webcam = new WebcamSessions({
        model, quality: opts.quality ?? 75, size: opts.size, temperature: () => this.settings.temperature, enabled: token !== null,
        sendJson: (cl, obj) => this.broadcaster.send(cl, obj), log: c.log,
      });
      this.cleanups.push(() => this.webcam.close());
      // Decoder slots: the mailbox and the graph hold at most a batch each; the rest is slack for
      // frames parsed but waiting for their timestamp line. Never full in practice: frames are dropped first.
      const gate = new FlowGate((opts.batch ?? DEFAULT_LIVE_BATCH) * 2 + 6);
      this.graph = this.createGraph(gate);
      this.cleanups.push(() => this.graph.stop());
      this.source = this.createSource(gate);
      this.cleanups.push(() => this.source.stop());
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Start reading the source (after the HTTP side is up). */
  start(): void {
    this.source.start(this.c.first.failure);
  }

  stats(): ServerStats {
    return liveStats(this);
  }

  health(): object {
    return liveHealth(this);
  }

  /** The HTTP and WebSocket entry points of this source. */
  front(host: string): HttpEntry {
    const { opts, token } = this.c;
    // Camera frames are the largest messages a viewer may send; control text is checked for its own cap.
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_UPLOAD_BYTES, perMessageDeflate: false, clientTracking: false });
    const maxViewers = opts.maxViewers ?? 64;
    const remoteOf = (req: IncomingMessage) => `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    return createLiveFront({
      token, bindHost: host, page: buildViewerPage(), registry: this.metrics.registry, health: () => this.health(),
      socket: {
        wss, allowOrigins: opts.allowOrigin ?? [], canAccept: () => this.broadcaster.size < maxViewers,
        onConnection: (ws: WebSocket, req: IncomingMessage) => this.broadcaster.add(ws, remoteOf(req), token !== null && authorized(req, token)),
      },
    });
  }

  /** Viewers are told and closed before the HTTP side goes (`closeHttp`); the recording is finalised after. */
  async stop(closeHttp: () => void): Promise<void> {
    this.source.stop();
    this.graph.stop();
    this.webcam.close();
    await this.broadcaster.close(400);
    closeHttp();
    await this.recorder?.finish(1200);
  }

  /** Stop what was built, at once (start failed). */
  abort(): void {
    for (const f of this.cleanups.reverse()) f();
    this.cleanups.length = 0;
  }

  private openRecorder(): void {
    const { opts, log } = this.c;
    const { width, height, fps } = this.geom;
    if (opts.record && width) this.recorder = new Recorder({ path: opts.record, width, height, fps, log });
  }

  private hello(): object {
    const { model, token } = this.c;
    const { width, height, fps } = this.geom;
    return {
      type: 'hello', version: 1, width, height, fps, model: model.info.name,
      state: { ...this.settings }, smoothAvailable: this.smoothAvailable, restore: { enabled: this.restoreReason === null, reason: this.restoreReason }, source: publicSource(this.source.state),
      limits: { maxMessageBytes: MAX_CONTROL_BYTES, temperature: LIVE_TEMPERATURE_RANGE, smooth: SMOOTH_RANGE },
      hints: { enabled: this.hintsReason === null, reason: this.hintsReason, max: this.hints.max, list: this.hints.list() },
      camera: { enabled: token !== null, maxBytes: MAX_UPLOAD_BYTES, maxFps: MAX_UPLOAD_FPS, maxWidth: MAX_UPLOAD_WIDTH, maxHeight: MAX_UPLOAD_HEIGHT },
    };
  }

  private createBroadcaster(): Broadcaster {
    const { opts, log } = this.c;
    return new Broadcaster({
      quality: opts.quality ?? 75,
      queue: opts.clientQueue ?? 2,
      pingIntervalMs: opts.pingIntervalMs,
      statsIntervalMs: opts.statsIntervalMs,
      metrics: this.metrics,
      hello: () => this.hello(),
      stats: () => ({
        fps: Math.round(this.broadcaster.outFps * 10) / 10,
        viewers: this.broadcaster.size,
        droppedSource: this.dropped.mailbox,
        source: publicSource(this.source.state),
      }),
      headerCounters: () => ({ droppedSource: this.dropped.mailbox, reconnects: this.source.reconnects }),
      onMessage: (cl, data, isBinary) => this.control.onMessage(cl, data, isBinary),
      log,
    });
  }

  private createGraph(gate: FlowGate): LiveGraph {
    const { opts, model, log, embed } = this.c;
    const { metrics, broadcaster, dropped } = this;
    return new LiveGraph(model, {
      batch: opts.batch ?? DEFAULT_LIVE_BATCH,
      maxWaitMs: opts.maxWaitMs,
      size: opts.size,
      temperature: () => this.settings.temperature,
      paused: () => this.settings.paused,
      idle: () => broadcaster.size === 0 && !opts.record,
      // Smoothing costs optical flow per frame even at strength 0, so the stage exists only when asked for.
      smooth: this.smoothAvailable ? causalSmoothing(() => this.settings.smooth) : null,
      hints: model.hintsName ? this.hints.provider : null,
      restore: opts.restore ?? null,
      showOriginal: () => this.settings.view === 'original',
      release: (n) => gate.release(n),
      onOutput: (f, stages) => {
        metrics.framesOut.inc();
        for (const [k, v] of Object.entries(stages)) metrics.stageSeconds.observe({ stage: k }, v / 1000);
        const at = LiveHints.positionsOf(f);
        if (at) broadcaster.broadcastJson({ type: 'hints-at', seq: f.live.seq, hints: at });
        broadcaster.publish(f, stages);
        this.recorder?.write(f);
      },
      onDrop: (reason) => {
        dropped[reason]++;
        if (reason === 'idle') metrics.framesIdle.inc();
        else metrics.framesDropped.inc({ reason });
      },
      onError: (err) => log(`inference failed: ${err.message.split('\n')[0]} (restarting the model graph)`),
      infer: embed ? (t) => embed.sharedInference.stage(t) : undefined,
    });
  }

  private createSource(gate: FlowGate): LiveSource {
    const { opts, spec, first, log } = this.c;
    const { metrics } = this;
    return new LiveSource({
      spec,
      geometry: first.geometry,
      probe: (s) => probeGeometry(s, opts),
      onGeometry: (g) => {
        this.geom.width = g.width;
        this.geom.height = g.height;
        this.geom.fps = g.fps;
        log(`source: ${g.width}x${g.height}${g.fps ? ` at ${Math.round(g.fps * 100) / 100} fps` : ''}`);
        this.openRecorder();
      },
      gate,
      backoff: opts.backoff,
      stallMs: opts.stallMs,
      maxLagMs: opts.maxLagMs,
      onFrame: (f) => {
        metrics.framesIn.inc();
        this.graph.push(f, this.seq++, wallNow());
      },
      onReconnect: () => metrics.sourceReconnects.inc(),
      onStatus: (st) => this.onSourceStatus(st),
    });
  }

  /** A source status change: metrics, viewers, and one log line per change. */
  private onSourceStatus(st: SourceState): void {
    this.metrics.sourceUp.set(st.status === 'connected' ? 1 : 0);
    this.metrics.setSourceStatus(st.status);
    this.broadcaster.broadcastJson({ type: 'status', source: publicSource(st) });
    const line = st.status === 'reconnecting' || st.status === 'waiting'
      ? `source: ${st.message ?? 'dropped'}; ${st.status === 'waiting' ? 'waiting, next try' : 'reconnecting'} in ${((st.retryInMs ?? 0) / 1000).toFixed(1)} s`
      : `source: ${st.status}${st.message ? ` (${st.message})` : ''}`;
    if (line !== this.lastStatus && st.status !== 'stopped') this.c.log(line);
    this.lastStatus = line;
  }
}
