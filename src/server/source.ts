// The live source: what --input names (URL, camera, file, lavfi graph or stdin), how ffmpeg should
// open it, its frame size, and a supervisor that keeps an ffmpeg decoder running. When the stream
// drops (EOF on a live URL, camera unplugged, server restart, ffmpeg killed, or no frame for a
// while) the decoder is restarted with exponential backoff; viewers are told through status events.
import { execFile } from 'node:child_process';
import { Subscription } from 'rxjs';
import { decodeFrames } from '../operators/decode-frames.js';
import { probeMedia } from '../media/probe.js';
import { FFPROBE, FFPROBE_ENV } from '../media/ffmpeg-paths.js';
import { ChromaError, inputError, usageError } from '../core/errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { LagMeter } from './sources/lag.js';
import type { FlowGate } from '../core/flow-gate.js';
import type { RawFrame } from '../core/frames.js';

export * from './source-spec.js';
import type { SourceSpec } from './source-spec.js';

export interface SourceGeometry {
  width: number;
  height: number;
  fps: number | null;
}

interface ProbeStream {
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

function rate(s: string | undefined): number | null {
  if (!s) return null;
  const [n, d] = s.split('/').map(Number);
  return Number.isFinite(n) && Number.isFinite(d) && n > 0 && d > 0 ? n / d : null;
}

/** Frame size and rate of the source. Files go through probeMedia; live sources get a bounded ffprobe. */
export async function probeSource(spec: SourceSpec, timeoutMs = 15000): Promise<SourceGeometry> {
  if (spec.kind === 'stdin') throw usageError('--input -: give --width and --height (stdin cannot be probed without consuming it)');
  if (spec.kind === 'file') {
    const info = await probeMedia(spec.ffmpegInput);
    if (info.still) throw inputError(`${spec.label}: a still image is not a video source`);
    return { width: info.width, height: info.height, fps: info.fps };
  }
  const args = ['-v', 'error', ...spec.probeArgs, '-select_streams', 'v:0', '-show_streams', '-of', 'json', '-i', spec.ffmpegInput];
  const out = await new Promise<string>((resolve, reject) => {
    execFile(FFPROBE, args, { timeout: timeoutMs, maxBuffer: 4 << 20, env: FFPROBE_ENV }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as { killed?: boolean }).killed
          ? `no answer within ${Math.round(timeoutMs / 1000)} s`
          : String(stderr).trim().split('\n').pop()?.replace(/^.*?: /, '') || err.message;
        reject(new ChromaError('source', `${spec.label}: cannot open the source (${why})`));
      } else resolve(stdout);
    });
  });
  let stream: ProbeStream | undefined;
  try {
    stream = (JSON.parse(out) as { streams?: ProbeStream[] }).streams?.[0];
  } catch {
    stream = undefined;
  }
  if (!stream?.width || !stream.height) throw new ChromaError('source', `${spec.label}: no video stream found`);
  const rot = Number(stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? -Number(stream.tags?.rotate ?? 0));
  const swap = Math.abs(Math.round(rot / 90)) % 2 === 1;
  return {
    width: swap ? stream.height : stream.width,
    height: swap ? stream.width : stream.height,
    fps: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate),
  };
}

/** waiting: never reached yet (retried with the same backoff as a drop); reconnecting: reached before, then lost. */
export type SourceStatus = 'waiting' | 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'stopped';

export interface SourceState {
  status: SourceStatus;
  /** Reconnection attempts since the last stable connection. */
  attempt: number;
  /** While waiting or reconnecting: ms until the next attempt. */
  retryInMs: number | null;
  /** Why the last connection dropped (no URL or credentials in it). */
  message: string | null;
  /** Wall-clock ms of this status change. */
  since: number;
}

export interface LiveSourceOptions {
  spec: SourceSpec;
  /** Frame size and rate; null when the source could not be probed yet (it is probed before each attempt until it answers). */
  geometry: SourceGeometry | null;
  /** Finds the geometry of a source that was not up at start (default probeSource). */
  probe?: (spec: SourceSpec) => Promise<SourceGeometry>;
  /** The geometry, once, when it was not known at start. */
  onGeometry?: (geometry: SourceGeometry) => void;
  gate: FlowGate;
  onFrame: (frame: RawFrame) => void;
  onStatus?: (state: SourceState) => void;
  /** Called for each reconnection attempt. */
  onReconnect?: () => void;
  backoff?: BackoffOptions;
  /** Restart a decoder that delivered nothing for this long (default 10 s). */
  stallMs?: number;
  /** A connection that lasted this long resets the backoff (default 3 s). */
  stableMs?: number;
  /**
   * Network sources: when decoding falls this far behind the stream's own clock (data piles up in
   * socket buffers), reconnect once to jump back to live (default 3000 ms; 0 disables). When it
   * happens again within a minute the machine is too slow for the stream: the decoder then drops
   * frames (see LagMeter) instead of reconnecting again.
   */
  maxLagMs?: number;
}

/**
 * Decoder options for a machine that cannot keep up: skip the deblocking filter, and every other
 * frame before conversion and the pipe. Measured on 640x480 H.264: ffmpeg's CPU a third lower
 * (1.4 -> 0.97 ms a frame), and half the frames for this process to read and drop.
 */
const THIN_INPUT_ARGS = ['-skip_loop_filter', 'all'];
const THIN_FILTER = 'framestep=2';

/** Keeps one decoder running for a source, restarting it when it drops. */
export class LiveSource {
  framesIn = 0;
  reconnects = 0;
  private sub: Subscription | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private connectedAt: number | null = null;
  private attemptStartedAt = 0;
  private lastFrameAt = 0;
  private stopped = false;
  private readonly lag: LagMeter;
  /** Set for good once the machine proved too slow: the decoder drops frames. */
  thin = false;
  /** Frames ever delivered: before the first one a failed attempt means "waiting", after it "reconnecting". */
  private everConnected = false;
  private geometry: SourceGeometry | null;
  private current: SourceState = { status: 'connecting', attempt: 0, retryInMs: null, message: null, since: Date.now() };

  constructor(private readonly o: LiveSourceOptions) {
    this.backoff = new Backoff(o.backoff);
    this.lag = new LagMeter({ limitMs: o.maxLagMs });
    this.geometry = o.geometry;
  }

  /** How far the last frame was behind the stream's clock, in ms. */
  get lagMs(): number {
    return this.lag.lagMs;
  }

  get state(): SourceState {
    return this.current;
  }

  /** Ms since the last frame, or null before the first. */
  get lastFrameAgeMs(): number | null {
    return this.lastFrameAt ? performance.now() - this.lastFrameAt : null;
  }

  /** Start decoding; with `failure` (the first probe failed), start as waiting: retry after the first backoff delay. */
  start(failure?: string): void {
    if (this.sub || this.retryTimer || this.stopped) return;
    if (failure) this.dropped(failure, false);
    else this.connect();
    this.watchdog = setInterval(() => this.checkStall(), 250);
    this.watchdog.unref();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.retryTimer = this.watchdog = null;
    const s = this.sub;
    this.sub = null;
    s?.unsubscribe();
    this.setState({ status: 'stopped', retryInMs: null, message: null });
  }

  private setState(p: Partial<SourceState> & { status: SourceStatus }): void {
    this.current = { ...this.current, attempt: this.backoff.attempts, retryInMs: null, ...p, since: Date.now() };
    this.o.onStatus?.(this.current);
  }

  private connect(): void {
    this.retryTimer = null;
    if (this.stopped) return;
    this.connectedAt = null;
    this.attemptStartedAt = performance.now();
    this.lag.restart();
    if (this.current.status !== 'reconnecting' && this.current.status !== 'waiting') this.setState({ status: 'connecting' });
    if (!this.geometry) return this.probeThenConnect();
    const { spec, gate } = this.o;
    const { width, height, fps } = this.geometry;
    let finished = false;
    const sub = decodeFrames({
      input: spec.ffmpegInput,
      width,
      height,
      inputArgs: this.thin ? [...THIN_INPUT_ARGS, ...spec.inputArgs] : spec.inputArgs,
      // A source that changes size (mid-stream or after a reconnect) must not break the frame layout.
      filters: [...(this.thin ? [THIN_FILTER] : []), `scale=${width}:${height}:flags=bilinear`],
      gate,
      fps,
      label: spec.label,
      errorKind: 'source',
    }).subscribe({
      next: (f) => this.frame(f),
      error: (e: unknown) => {
        finished = true;
        this.dropped(e instanceof Error ? e.message : String(e), false);
      },
      complete: () => {
        finished = true;
        this.dropped('the stream ended', true);
      },
    });
    // decodeFrames may fail synchronously (e.g. spawn errors); only keep a live subscription.
    if (!finished) this.sub = sub;
  }

  /** A source that was not up at start: learn its size first (a failed probe is a failed attempt). */
  private probeThenConnect(): void {
    const probe = this.o.probe ?? ((s: SourceSpec) => probeSource(s, 10000));
    // The watchdog must not fire while the probe runs: it bounds itself.
    const marker = new Subscription();
    this.sub = marker;
    probe(this.o.spec).then(
      (g) => {
        if (this.sub !== marker || this.stopped) return;
        this.sub = null;
        this.geometry = g;
        this.o.onGeometry?.(g);
        this.connect();
      },
      (err: unknown) => {
        if (this.sub !== marker) return;
        this.dropped(err instanceof Error ? err.message : String(err), false);
      },
    );
  }

  private frame(f: RawFrame): void {
    this.framesIn++;
    this.lastFrameAt = performance.now();
    if (this.connectedAt === null) {
      this.connectedAt = this.lastFrameAt;
      this.everConnected = true;
      this.setState({ status: 'connected', message: null });
    }
    if (this.behind(f)) return;
    this.o.onFrame(f);
  }

  /** True (and the decoder restarted) when a network stream has fallen too far behind live. */
  private behind(f: RawFrame): boolean {
    if (this.o.spec.kind !== 'url' || f.pts === null || !this.sub) return false;
    const verdict = this.lag.observe(this.lastFrameAt, f.pts);
    if (verdict === 'ok' || (verdict === 'slow' && this.thin)) return false;
    const behindS = (this.lag.lagMs / 1000).toFixed(1);
    let reason = `decoding fell ${behindS} s behind the live stream`;
    if (verdict === 'slow') {
      this.thin = true;
      reason += ' again within a minute: this machine decodes slower than the stream, so every other frame is dropped from now on';
    }
    const s = this.sub;
    this.sub = null;
    this.o.onFrame(f); // hand the frame on (it holds a decoder slot) before the decoder goes
    s.unsubscribe();
    this.backoff.reset();
    this.dropped(reason, false);
    return true;
  }

  private checkStall(): void {
    if (!this.sub || this.stopped) return;
    const stallMs = this.o.stallMs ?? 10000;
    const since = this.connectedAt === null ? this.attemptStartedAt : this.lastFrameAt;
    if (performance.now() - since > stallMs) {
      const s = this.sub;
      this.sub = null;
      s.unsubscribe(); // kills ffmpeg; undelivered frames give their gate slots back
      this.dropped(`no frames for ${(stallMs / 1000).toFixed(1)} s`, false);
    }
  }

  private dropped(reason: string, ended: boolean): void {
    this.sub = null;
    if (this.stopped) return;
    const lasted = this.connectedAt === null ? 0 : performance.now() - this.connectedAt;
    this.connectedAt = null;
    if (ended && !this.o.spec.restartOnEnd) {
      this.setState({ status: 'ended', message: reason });
      return;
    }
    if (lasted >= (this.o.stableMs ?? 3000)) this.backoff.reset();
    const delay = this.backoff.next();
    // Messages go to viewers: without the source's name (it may carry credentials, and they know it).
    const { label, ffmpegInput } = this.o.spec;
    const message = reason.split(`${label}: `).join('').split(`${ffmpegInput}: `).join('').trim();
    this.setState({ status: this.everConnected ? 'reconnecting' : 'waiting', retryInMs: delay, message });
    this.retryTimer = setTimeout(() => {
      this.reconnects++;
      this.o.onReconnect?.();
      this.connect();
    }, delay);
  }
}
