// How ffmpeg opens an RTSP camera: which transport carries the RTP packets, and how long a silent
// socket may stay silent. A camera that stops answering must fail the attempt (so the source is
// retried with backoff) instead of hanging until the stall watchdog notices.
import { spawnSync } from 'node:child_process';
import { FFMPEG, FFPROBE, FFPROBE_ENV } from '../../media/ffmpeg-paths.js';

/** RTP over the RTSP TCP connection, over UDP, or ffmpeg's choice (UDP first, TCP when UDP gets nothing). */
export type RtspTransport = 'tcp' | 'udp' | 'auto';

export const RTSP_TRANSPORTS: readonly RtspTransport[] = ['tcp', 'udp', 'auto'];

/** Default transport: TCP, because UDP is lost through NAT, firewalls and VPNs and TCP always works. */
export const DEFAULT_RTSP_TRANSPORT: RtspTransport = 'tcp';

/** Socket I/O timeout for RTSP (µs): an unreachable or frozen camera fails an attempt after 5 s. */
export const RTSP_SOCKET_TIMEOUT_US = '5000000';

export function isRtspTransport(v: string): v is RtspTransport {
  return (RTSP_TRANSPORTS as readonly string[]).includes(v);
}

const timeoutOption = new Map<string, string | null>();

/**
 * The RTSP socket-timeout option of this ffmpeg/ffprobe build: `-stimeout` until ffmpeg 5, where it
 * became `-timeout` (which meant a listen timeout before). Asked once per binary; null if neither.
 */
function socketTimeoutOption(binary: string, env?: NodeJS.ProcessEnv): string | null {
  let opt = timeoutOption.get(binary);
  if (opt === undefined) {
    const help = spawnSync(binary, ['-hide_banner', '-h', 'demuxer=rtsp'], { encoding: 'utf8', timeout: 10000, env }).stdout ?? '';
    opt = /^\s*-stimeout\b/m.test(help) ? '-stimeout' : /^\s*-timeout\s.*socket/m.test(help) ? '-timeout' : null;
    timeoutOption.set(binary, opt);
  }
  return opt;
}

/** Input options (before -i) for an rtsp:// or rtsps:// URL, for the decoder (ffmpeg) or the probe (ffprobe). */
export function rtspInputArgs(transport: RtspTransport = DEFAULT_RTSP_TRANSPORT, tool: 'ffmpeg' | 'ffprobe' = 'ffmpeg'): string[] {
  const opt = tool === 'ffmpeg' ? socketTimeoutOption(FFMPEG) : socketTimeoutOption(FFPROBE, FFPROBE_ENV);
  return [...(transport === 'auto' ? [] : ['-rtsp_transport', transport]), ...(opt ? [opt, RTSP_SOCKET_TIMEOUT_US] : [])];
}
