// Helpers for the hardening, fault and resume tests: the CLI under a shell prefix (ulimit), its
// ffmpeg children, frame timestamps from ffprobe, and a real player's view of a video (Chromium).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FFPROBE, FFPROBE_ENV } from '../../src/media/ffmpeg-paths.js';
import { REPO, type CliResult } from './media.js';

export interface SpawnedCli {
  child: ChildProcess;
  done: Promise<CliResult & { signal: NodeJS.Signals | null; endedAt: number }>;
  /** Resolves with the first NDJSON event on stdout that satisfies `pred`. */
  waitFor(pred: (event: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * Starts the real CLI. `shell` runs it through `sh -c` with that text before it (e.g.
 * `ulimit -f 100;`); the node process then replaces the shell (exec), so child.pid is the CLI.
 */
export function spawnCli(args: string[], opts: { shell?: string; timeoutMs?: number } = {}): SpawnedCli {
  const nodeArgs = ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), ...args];
  const child = opts.shell
    ? spawn('sh', ['-c', `${opts.shell} exec "$0" "$@"`, process.execPath, ...nodeArgs], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, nodeArgs, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '', lineBuf = '';
  const waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c;
    lineBuf += c;
    const lines = lineBuf.split('\n');
    lineBuf = lines.pop() ?? '';
    for (const line of lines) {
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      for (const w of [...waiters]) if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null; endedAt: number }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, endedAt: Date.now() });
    });
  });
  return {
    child,
    done,
    waitFor(pred, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for an event\nstderr: ${stderr}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
        void done.then(() => setTimeout(() => reject(new Error(`the CLI ended before the event (code ${child.exitCode})\nstderr: ${stderr}`)), 50));
      });
    },
  };
}

export interface ProcInfo {
  pid: number;
  args: string;
}

/** The direct children of a process (`ps --ppid`). */
export function childrenOf(pid: number): ProcInfo[] {
  let out = '';
  try {
    out = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out.trim().split('\n').filter(Boolean).map((l) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), args: m[2] };
  });
}

/** Waits until the CLI has an ffmpeg child whose command line matches. */
export async function waitForChild(pid: number, match: RegExp, timeoutMs = 30_000): Promise<ProcInfo> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const c = childrenOf(pid).find((p) => /ffmpeg/.test(p.args) && match.test(p.args));
    if (c) return c;
    if (Date.now() > until) throw new Error(`no ffmpeg child matching ${match} under pid ${pid}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

export interface FrameFacts {
  pts: number;
  key: boolean;
}

/** Presentation times (and keyframe flags) of the first video stream's decoded frames. */
export function videoFrames(path: string): FrameFacts[] {
  const out = execFileSync(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time,key_frame', '-of', 'json', path], { maxBuffer: 64 << 20, env: FFPROBE_ENV });
  const frames = (JSON.parse(out.toString()) as { frames: { pts_time?: string; key_frame?: number }[] }).frames;
  return frames.map((f) => ({ pts: Number(f.pts_time), key: f.key_frame === 1 }));
}

export interface StreamInfo {
  index: number;
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  field_order?: string;
  duration?: string;
  start_time?: string;
  nb_read_frames?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

/** Every stream of a file, with decoded frame counts. */
export function streamsOf(path: string): StreamInfo[] {
  const out = execFileSync(FFPROBE, ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', path], { maxBuffer: 64 << 20, env: FFPROBE_ENV });
  return (JSON.parse(out.toString()) as { streams: StreamInfo[] }).streams;
}

export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

export interface PlayerView {
  width: number;
  height: number;
  /** Luma (0..255) of the first frame at the given fractions of the width and height. */
  luma: (fx: number, fy: number) => number;
}

/**
 * How a real player shows the first frame of an MP4: Chromium's <video> (which applies the MP4
 * display matrix), drawn into a canvas. The file is served through a route so the canvas is not
 * tainted.
 */
export async function playerView(path: string): Promise<PlayerView> {
  const exe = chromiumPath();
  if (!exe) throw new Error('no chromium');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.route('http://player.test/**', (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === '/') return route.fulfill({ body: '<!doctype html><body></body>', contentType: 'text/html' });
      return route.fulfill({ body: readFileSync(path), contentType: 'video/mp4' });
    });
    await page.goto('http://player.test/');
    // A string, not a function: tsx's helpers do not exist inside the page.
    const r = (await page.evaluate(`(async () => {
      const v = document.createElement('video');
      v.muted = true;
      v.preload = 'auto';
      v.src = 'http://player.test/video.mp4';
      document.body.appendChild(v);
      await new Promise((res, rej) => {
        v.onloadedmetadata = res;
        v.onerror = () => rej(new Error('video error ' + (v.error && v.error.message)));
      });
      v.currentTime = 0.001;
      await new Promise((res) => { v.onseeked = res; });
      const c = document.createElement('canvas');
      c.width = v.videoWidth;
      c.height = v.videoHeight;
      const g = c.getContext('2d');
      g.drawImage(v, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const luma = [];
      for (let i = 0; i < d.length; i += 4) luma.push(Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]));
      return { width: c.width, height: c.height, luma };
    })()`)) as { width: number; height: number; luma: number[] };
    return {
      width: r.width,
      height: r.height,
      luma: (fx, fy) => r.luma[Math.min(r.height - 1, Math.floor(fy * r.height)) * r.width + Math.min(r.width - 1, Math.floor(fx * r.width))],
    };
  } finally {
    await browser.close();
  }
}
