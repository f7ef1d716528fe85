// A real RTSP camera on loopback for tests and benchmarks: test/rtsp-server.py (GStreamer's
// gst-rtsp-server) in a child process. `rtspUnavailable` says why it cannot run here (tests skip
// with that reason); `readStamp` reads the capture time the camera draws into every frame.
import { before, after } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { tempDir } from './media.js';
import { loadFixtureModel } from './live-server.js';
import type { LoadedModel } from '../../src/core/model-contract.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'rtsp-server.py');
/** The system Python, where apt puts python3-gi (a pyenv or venv python3 on PATH has no gi). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function check(): string | null {
  const probe = [
    'import gi',
    "gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')",
    'from gi.repository import Gst, GstRtspServer',
    'Gst.init(None)',
    "missing = [e for e in ('appsrc', 'videoconvert', 'x264enc', 'rtph264pay') if not Gst.ElementFactory.find(e)]",
    "assert not missing, 'missing GStreamer elements: ' + ', '.join(missing)",
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 30000 });
  if (r.status === 0) return null;
  const why = (r.stderr || r.error?.message || 'python3 failed').trim().split('\n').pop();
  return `no GStreamer RTSP server here (apt: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-ugly): ${why}`;
}

/** Why the RTSP camera cannot run on this machine, or null when it can. */
export const rtspUnavailable: string | null = check();

export interface CameraOptions {
  /** Default 0: a free port (restarts reuse the port first bound). */
  port?: number;
  /** Mount path (default /cam). */
  path?: string;
  width?: number;
  height?: number;
  fps?: number;
  user?: string;
  password?: string;
  auth?: 'basic' | 'digest';
  /** Switch to resizeTo this many seconds after the first client connects. */
  resizeAfter?: number;
  resizeTo?: [number, number];
}

export interface Camera {
  /** rtsp://127.0.0.1:PORT/PATH, without credentials. */
  url: string;
  port: number;
  /** url with user:password (percent-encoded) when the camera has them. */
  authUrl: string;
  /** SIGKILL the server (an outage). */
  kill(): void;
  /** Start it again on the same port. */
  restart(): Promise<void>;
  close(): void;
}

function launch(o: CameraOptions, port: number): Promise<{ child: ChildProcess; port: number }> {
  const args = [SCRIPT, '--port', String(port), '--path', o.path ?? '/cam', '--size', `${o.width ?? 640}x${o.height ?? 480}`, '--fps', String(o.fps ?? 15)];
  if (o.user) args.push('--user', o.user, '--password', o.password ?? '', '--auth', o.auth ?? 'basic');
  if (o.resizeAfter !== undefined) args.push('--resize-after', String(o.resizeAfter), '--resize-to', (o.resizeTo ?? [320, 240]).join('x'));
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`rtsp-server.py did not start: ${err}`)), 20000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve({ child, port: (JSON.parse(out.slice(0, nl)) as { port: number }).port });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rtsp-server.py exited (${code}): ${err}`));
    });
  });
}

export async function startCamera(o: CameraOptions = {}): Promise<Camera> {
  let { child, port } = await launch(o, o.port ?? 0);
  const path = o.path ?? '/cam';
  const url = `rtsp://127.0.0.1:${port}${path}`;
  const cred = o.user ? `${encodeURIComponent(o.user)}:${encodeURIComponent(o.password ?? '')}@` : '';
  const kill = () => void child.kill('SIGKILL');
  return {
    url,
    port,
    authUrl: `rtsp://${cred}127.0.0.1:${port}${path}`,
    kill,
    restart: async () => {
      kill();
      // The old socket may linger for a moment after the kill.
      for (let i = 0; ; i++) {
        try {
          ({ child } = await launch(o, port));
          return;
        } catch (e) {
          if (i >= 20) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    close: kill,
  };
}

/**
 * A test file's setup for camera tests: the fixture model, loaded before the tests unless RTSP
 * cannot run here (then `skip` says why), and every camera started through `camera` closed after.
 */
export function rtspSuite(prefix: string): { skip: string | false; model: () => LoadedModel; camera: (o?: CameraOptions) => Promise<Camera> } {
  const tmp = tempDir(prefix);
  const cameras: Camera[] = [];
  let model: LoadedModel | null = null;
  before(async () => {
    if (!rtspUnavailable) model = await loadFixtureModel(tmp.dir);
  });
  after(async () => {
    for (const c of cameras) c.close();
    await model?.release();
    tmp.cleanup();
  });
  return {
    skip: rtspUnavailable ?? false,
    model: () => model!,
    camera: async (o = {}) => {
      const c = await startCamera(o);
      cameras.push(c);
      return c;
    },
  };
}

/** Bits in the camera's stamp (rtsp-server.py): 32 of epoch ms, 8 of checksum. */
const STAMP_BITS = 40;

/**
 * The capture time (epoch ms) drawn in the top rows of a frame, from its luma (one byte per pixel,
 * `width` per row), or null when the stripe does not read back (checksum). The 32 low bits are
 * completed from `nowMs`, the reader's clock (same machine).
 */
export function readStamp(luma: Uint8Array, width: number, nowMs = Date.now()): number | null {
  const block = Math.floor(width / STAMP_BITS);
  const row = 8 * width;
  let value = 0n;
  for (let i = 0; i < STAMP_BITS; i++) {
    const x = i * block + (block >> 1);
    value = (value << 1n) | (luma[row + x] > 128 ? 1n : 0n);
  }
  const low = Number(value >> 8n);
  const check = Number(value & 0xffn);
  if ((((low >>> 24) + ((low >>> 16) & 255) + ((low >>> 8) & 255) + (low & 255)) & 255) !== check) return null;
  const high = nowMs - (nowMs % 2 ** 32);
  let t = high + low;
  if (t > nowMs + 2 ** 31) t -= 2 ** 32;
  return t;
}
