// What --input names (URL, camera, file, lavfi graph or stdin) and how ffmpeg should open it: the
// part of the live source that needs no process (src/server/source.ts supervises the decoder).
import { existsSync, statSync } from 'node:fs';
import { ChromaError, inputError, usageError } from '../core/errors.js';
import { rtspInputArgs, type RtspTransport } from './sources/rtsp.js';

export type SourceKind = 'url' | 'device' | 'file' | 'stdin' | 'lavfi';

export interface SourceSpec {
  kind: SourceKind;
  /** What ffmpeg opens after -i. */
  ffmpegInput: string;
  /** Options before -i for decoding (format, pacing, loop, timeouts). */
  inputArgs: string[];
  /** Options before -i for ffprobe (format and timeouts only). */
  probeArgs: string[];
  /** Restart the decoder when the stream ends normally (live sources, --loop). */
  restartOnEnd: boolean;
  /** Safe to show: URLs lose their credentials. */
  label: string;
}

export interface SourceSpecOptions {
  /** Replay a file forever (-stream_loop -1). */
  loop?: boolean;
  /** ffmpeg input format (-f), e.g. v4l2, lavfi, mpegts, rawvideo. */
  format?: string;
  /** Read at the stream's own rate (-re). Default: on for files and lavfi graphs, off otherwise. */
  realtime?: boolean;
  /** Requested capture size / rate for cameras (also the rawvideo size for stdin). */
  width?: number;
  height?: number;
  fps?: number;
  /** More ffmpeg options placed before -i. */
  extraInputArgs?: string[];
  /** rtsp:// only: how RTP travels (default tcp). */
  rtspTransport?: RtspTransport;
}

const URL_RE = /^([a-z][a-z0-9+.-]*):\/\//i;
const NETWORK_TIMEOUT_US = '10000000';

/** Hide user:password in URLs. */
export function redactUrl(input: string): string {
  return input.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1***@');
}

export function classifySource(input: string, o: SourceSpecOptions = {}): SourceSpec {
  if (!input) throw usageError('missing --input SRC');
  const extra = o.extraInputArgs ?? [];
  const fmt = o.format ? ['-f', o.format] : [];
  const sized = o.width && o.height ? ['-video_size', `${o.width}x${o.height}`] : [];
  const frameRate = o.fps ? ['-framerate', String(o.fps)] : [];

  if (input === '-') {
    if (process.stdin.isTTY) throw usageError('--input -: stdin is a terminal; pipe a stream in');
    // ffmpeg reopens our own stdin through /proc, so the bytes never pass through this process.
    return {
      kind: 'stdin', ffmpegInput: `/proc/${process.pid}/fd/0`, inputArgs: [...fmt, ...(o.realtime ? ['-re'] : []), ...extra],
      probeArgs: fmt, restartOnEnd: false, label: 'stdin',
    };
  }
  if (o.format === 'lavfi') {
    return {
      kind: 'lavfi', ffmpegInput: input, inputArgs: [...(o.realtime === false ? [] : ['-re']), '-f', 'lavfi', ...extra],
      probeArgs: ['-f', 'lavfi'], restartOnEnd: Boolean(o.loop), label: `lavfi:${input.slice(0, 60)}`,
    };
  }
  if (/^\/dev\/video\d+$/.test(input) || o.format === 'v4l2') {
    return {
      kind: 'device', ffmpegInput: input, inputArgs: ['-f', o.format ?? 'v4l2', ...sized, ...frameRate, ...extra],
      probeArgs: ['-f', o.format ?? 'v4l2', ...sized, ...frameRate], restartOnEnd: true, label: input,
    };
  }
  const scheme = URL_RE.exec(input)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'file') {
    const net: string[] = [];
    const rtsp = scheme === 'rtsp' || scheme === 'rtsps';
    if (rtsp) net.push(...rtspInputArgs(o.rtspTransport));
    else if (['http', 'https', 'tcp', 'rtmp', 'rtmps', 'tls'].includes(scheme)) net.push('-rw_timeout', NETWORK_TIMEOUT_US);
    // Start quickly and keep no extra buffering: latency matters more than a perfect first GOP.
    const lowDelay = ['-fflags', 'nobuffer', '-flags', 'low_delay', '-analyzeduration', '500000', '-probesize', '500000'];
    return {
      kind: 'url', ffmpegInput: input, inputArgs: [...fmt, ...net, ...lowDelay, ...(o.realtime ? ['-re'] : []), ...extra],
      probeArgs: [...fmt, ...(rtsp ? rtspInputArgs(o.rtspTransport, 'ffprobe') : net)], restartOnEnd: true, label: redactUrl(input),
    };
  }
  const path = scheme === 'file' ? input.replace(/^file:\/\//i, '') : input;
  return {
    kind: 'file', ffmpegInput: path,
    inputArgs: [...fmt, ...(o.realtime === false ? [] : ['-re']), ...(o.loop ? ['-stream_loop', '-1'] : []), ...extra],
    probeArgs: fmt, restartOnEnd: Boolean(o.loop), label: path,
  };
}

/** Fail early, with one clear line, on sources that cannot exist. */
export function checkSourceExists(spec: SourceSpec): void {
  if (spec.kind === 'device' && !existsSync(spec.ffmpegInput)) {
    throw new ChromaError('source', `${spec.ffmpegInput}: no such video device (is the camera connected?)`);
  }
  if (spec.kind === 'file') {
    if (!existsSync(spec.ffmpegInput)) throw inputError(`${spec.ffmpegInput}: no such file`);
    if (statSync(spec.ffmpegInput).isDirectory()) throw inputError(`${spec.ffmpegInput}: is a folder, not a video`);
  }
}
