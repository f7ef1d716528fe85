// Two measurements for bench/live.ts beside the ten-viewer run:
//  - two RTSP cameras in one server (`serve --input a=... --input b=...`: one model, inference
//    batched across them) against two servers (one camera each): fps per camera and CPU per
//    delivered frame, the servers' process trees (ffmpeg decoders included);
//  - the browser's own camera: "use my camera" in Chromium with its fake camera, the page's own
//    round-trip fps and latency.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { decodeFrameMessage } from '../../src/server/frame-header.js';

const TICK_MS = 10; // USER_HZ = 100

/** CPU ms (user + system) of a process and all its live descendants, plus what they reaped. */
export function treeCpuMs(root: number): number {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS);
    } catch {
      /* gone */
    }
  }
  let total = 0;
  for (const [pid, ms] of cpu) {
    for (let p: number | undefined = pid; p; p = parent.get(p)) {
      if (p === root) {
        total += ms;
        break;
      }
    }
  }
  return total;
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
}

/** `chroma serve ARGS` from the checkout; resolves with its URL. */
export function startServe(repo: string, args: string[], track: (c: ChildProcess) => ChildProcess): Promise<ServeProcess> {
  const child = track(spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args, '--port', '0'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 120000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

/** Frames a WebSocket viewer of `wsUrl` receives; `count()` since the last reset. */
export function countFrames(wsUrl: string): { ws: WebSocket; count: () => number; reset: () => void } {
  const ws = new WebSocket(wsUrl);
  let n = 0;
  ws.on('message', (d: Buffer, bin) => {
    if (bin && decodeFrameMessage(d)) n++;
  });
  return { ws, count: () => n, reset: () => void (n = 0) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CompareResult {
  layout: 'one server, two cameras' | 'two servers';
  fps: number[];
  cpuMsPerFrame: number;
  cpuCores: number;
}

/** Warm up, then count frames and CPU over `seconds`. */
export async function measureLayout(
  layout: CompareResult['layout'], servers: ServeProcess[], wsUrls: string[], seconds: number,
): Promise<CompareResult> {
  const viewers = wsUrls.map(countFrames);
  const end = Date.now() + 60000;
  while (viewers.some((v) => v.count() < 5) && Date.now() < end) await sleep(200);
  await sleep(3000);
  viewers.forEach((v) => v.reset());
  const cpu0 = servers.reduce((s, p) => s + treeCpuMs(p.child.pid!), 0);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const dt = (performance.now() - t0) / 1000;
  const cpu = servers.reduce((s, p) => s + treeCpuMs(p.child.pid!), 0) - cpu0;
  const fps = viewers.map((v) => v.count() / dt);
  for (const v of viewers) v.ws.terminate();
  const frames = fps.reduce((a, b) => a + b, 0) * dt;
  return { layout, fps, cpuMsPerFrame: cpu / Math.max(1, frames), cpuCores: cpu / 1000 / dt };
}

export interface WebcamResult {
  fps: number;
  roundTripMs: number | null;
  sent: number;
  back: number;
}

/** "use my camera" in headless Chromium with its fake camera, against a server at `url` with `token`. */
export async function measureWebcam(url: string, token: string, seconds: number): Promise<WebcamResult> {
  const { chromium } = await import('playwright-core');
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  try {
    const page = await b.newPage();
    await page.goto(`${url}?token=${encodeURIComponent(token)}`);
    await page.waitForSelector('#useCamera:not([hidden]):not([disabled])', { timeout: 30000 });
    await page.click('#useCamera');
    type Cam = { fps: number; latencyMs: number | null; frames: number; sent: number };
    const read = () => page.evaluate(() => (window as unknown as { chromaViewer: { camera: Cam } }).chromaViewer.camera);
    await page.waitForFunction(() => (window as unknown as { chromaViewer: { camera: Cam } }).chromaViewer.camera.frames >= 5, null, { timeout: 60000 });
    await sleep(2000);
    const start = await read();
    const fps: number[] = [];
    const lat: number[] = [];
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      const c = await read();
      fps.push(c.fps);
      if (c.latencyMs !== null) lat.push(c.latencyMs);
    }
    const end = await read();
    const med = (xs: number[]) => (xs.length ? [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] : null);
    return { fps: med(fps) ?? 0, roundTripMs: med(lat), sent: end.sent - start.sent, back: end.frames - start.frames };
  } finally {
    await b.close();
  }
}
