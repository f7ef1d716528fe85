// The option, handle and statistics types of startServer (src/server/index.ts), apart from its wiring.
import type { Device } from '../model/load-model.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { SourceState } from './source.js';
import type { ClientInfo } from './broadcaster.js';
import type { LiveSettings } from './control.js';
import type { RecorderStats } from './recorder.js';
import type { BackoffOptions } from './backoff.js';
import type { LogFormat } from './log.js';
import type { RtspTransport } from './sources/rtsp.js';
import type { SharedInference } from './shared-inference.js';
import type { RestoreSettings } from '../restore/options.js';
import type { HttpEntry } from './listen.js';

export interface ServerOptions {
  /** URL (rtsp/rtmp/http/hls/...), V4L2 device (/dev/videoN), file, lavfi graph (format 'lavfi') or '-' for stdin. */
  input: string;
  /** ffmpeg input format (-f). Default: ffmpeg's guess. */
  format?: string;
  /** Replay a file forever. Default false. */
  loop?: boolean;
  /** Read at the stream's own rate (-re); default on for files and lavfi, off for live sources. */
  realtime?: boolean;
  /** Frame width, 16..8192; default: probed from the source (required for stdin). */
  width?: number;
  /** Frame height, 16..8192; default: probed from the source (required for stdin). */
  height?: number;
  /** Nominal frame rate, 0.1..1000, when probing says nothing. Default: the probed rate. */
  fps?: number;
  /** More ffmpeg options before -i. Default: none. */
  inputArgs?: string[];
  /** rtsp:// sources: RTP over tcp, udp, or auto (ffmpeg tries UDP, then TCP); default tcp. */
  rtspTransport?: RtspTransport;
  /** Name of the source in log lines (default: its URL without credentials). */
  name?: string;
  /**
   * A network source that cannot be reached at start is an error (exit 6) instead of `waiting`
   * (retried with backoff until it answers). Default false.
   */
  exitOnSourceFailure?: boolean;

  /** Model path / name ('default'), or an already loaded model (not released on close). */
  model?: string | LoadedModel;
  /** 'auto' (default), 'cpu' or 'cuda', as for files. */
  device?: Device;
  /** CPU inference threads. Default: ONNX Runtime's choice (all cores). */
  threads?: number;
  /** Model input short side, 32..4096. Default: the model's live size (ModelInfo.liveSize: 120 for the built-in model, else its training size). */
  size?: number;
  /** Frames per inference call (default 1). */
  batch?: number;
  /** A partial batch waits at most this long (default 40 ms). */
  maxWaitMs?: number;
  /** Initial annealed-mean temperature (default 0.38). */
  temperature?: number;
  /** Causal temporal smoothing at this strength (0..1; viewers may change it). Default: none (no smoothing stage). */
  smooth?: number;
  /** Film repair on L before colouring, causal (past frames only). Default: none. */
  restore?: RestoreSettings | null;

  /** JPEG quality (default 75). */
  quality?: number;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Shared secret for the page, /metrics and the socket. Default: none (loopback only is safe). */
  token?: string | null;
  /** Origins allowed besides this server's own ('*' for any). Default: none. */
  allowOrigin?: string[];
  /** Most viewers at once (default 64). */
  maxViewers?: number;
  /** Frame messages a viewer may have in flight before it skips frames (default 2). */
  clientQueue?: number;
  /** Keepalive ping period per viewer. Default 15000 ms. */
  pingIntervalMs?: number;
  /** Stats message period. Default 1000 ms. */
  statsIntervalMs?: number;

  /** Also record the colorized stream to this file. Default: no recording. */
  record?: string;

  /** Reconnect delays. Default: 200 ms, growing 1.6x, at most 5000 ms. */
  backoff?: BackoffOptions;
  /** Restart the decoder after this long without frames (default 10 s). */
  stallMs?: number;
  /** Network sources: reconnect when decoding falls this far behind live (default 3000 ms; 0 = never). */
  maxLagMs?: number;
  /** Give up probing the source after this long. Default 15000 ms. */
  probeTimeoutMs?: number;
  /** Include process metrics (CPU, RSS, event loop) in /metrics (default true). */
  processMetrics?: boolean;
  /** Where log lines go (default: stderr); each has an ISO timestamp, a level and the source's name. */
  log?: (line: string) => void;
  /** text (default) or json: one object per line with time, level, source, message. */
  logFormat?: LogFormat;
}

/** How startMultiServer runs each of its sources (not part of the public options). */
export interface EmbeddedSource {
  /** No port of its own: the caller routes to `handlers`. */
  embedded: true;
  /** Inference shared with the other sources instead of this source's own batches. */
  sharedInference: SharedInference;
}

/** A source's HTTP and WebSocket entry points, for a server that routes several sources. */
export interface SourceHandlers extends HttpEntry {
  /** The /healthz body. */
  health: () => object;
}

export interface ServerStats {
  uptimeSeconds: number;
  /** Frame size; 0 while a source that was not up at start is still waiting. */
  width: number;
  height: number;
  fps: number | null;
  /** lagMs: how far decoding runs behind a network stream's own clock. */
  source: SourceState & { framesIn: number; reconnects: number; lastFrameAgeMs: number | null; lagMs: number };
  framesIn: number;
  framesOut: number;
  /** Frames published per second over the last second. */
  outFps: number;
  /** mailbox: model busy; paused: by a viewer; idle: nobody watching (not an error); encoder: JPEG busy; viewers: sum of per-viewer skips. */
  dropped: { mailbox: number; paused: number; idle: number; encoder: number; viewers: number };
  viewers: number;
  clients: ClientInfo[];
  settings: LiveSettings;
  smoothAvailable: boolean;
  inferenceErrors: number;
  memory: { rssBytes: number; heapUsedBytes: number; externalBytes: number };
  record: RecorderStats | null;
}

export interface ServerHandle {
  /** http://host:port/ (without the token). */
  url: string;
  host: string;
  port: number;
  stats(): ServerStats;
  /** Stop: viewers closed, ffmpeg children killed, recording finalised. Idempotent. */
  close(): Promise<void>;
  /** Only for embedded sources (startMultiServer). */
  handlers?: SourceHandlers;
}
