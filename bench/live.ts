// Live benchmark: `chroma serve` against a 640x480 15 fps camera on loopback with N WebSocket
// viewers. The camera is a real RTSP server (test/rtsp-server.py, H.264; the default where GStreamer
// is installed) or ffmpeg serving MPEG-TS over HTTP (--source mpegts). Reports per-viewer fps,
// latency from the source (the RTSP camera draws its capture time into every frame; the viewer
// reads it back from the colorized JPEG) and from the decoder (frame headers), the server's RSS
// over the run, and how long frames take to come back after the camera is killed for each of
// --down seconds and restarted. Prints a table and a JSON summary.
//
//   node --import tsx bench/live.ts                 # 60 s, 10 viewers, built-in model, outages 5 s and 30 s
//   node --import tsx bench/live.ts --minutes 10    # soak: is memory flat?
//   options: --seconds N --minutes N --viewers N --width N --height N --fps N --model PATH
//            --size N --threads N --batch N --down S[,S...] (outages, default 5,30) --browser --json
//            --source rtsp|mpegts --rtsp-transport tcp|udp|auto
//            --parts viewers,compare,webcam (default all: compare = two RTSP cameras in one server vs
//            two servers, fps and CPU per frame; webcam = "use my camera" round trip in Chromium)
//            --part-seconds N (length of each compare/webcam measurement, default 30)
//            --slow N (extra viewers that never read; e.g. --viewers 50 --slow 1 --minutes 10)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { makeLogitsFixture } from '../test/helpers/model-fixtures.js';
import { decodeFrameMessage } from '../src/server/frame-header.js';
import sharp from 'sharp';
import { rtspUnavailable, startCamera, readStamp, type Camera } from '../test/helpers/rtsp-camera.js';
import { freePort } from '../test/helpers/live-server.js';
import { measureLayout, measureWebcam, startServe, type CompareResult, type WebcamResult } from './lib/live-compare.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string' },
    minutes: { type: 'string' },
    viewers: { type: 'string', default: '10' },
    slow: { type: 'string', default: '0' },
    width: { type: 'string', default: '640' },
    height: { type: 'string', default: '480' },
    fps: { type: 'string', default: '15' },
    model: { type: 'string' },
    size: { type: 'string' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    down: { type: 'string', default: '5,30' },
    source: { type: 'string' },
    'rtsp-transport': { type: 'string', default: 'tcp' },
    parts: { type: 'string', default: 'viewers,compare,webcam' },
    'part-seconds': { type: 'string', default: '30' },
    browser: { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const seconds = a.minutes ? Number(a.minutes) * 60 : Number(a.seconds ?? 60);
const nViewers = Number(a.viewers);
/** Extra viewers that never read (their socket is paused): they must not hurt the others. */
const nSlow = Number(a.slow);
const width = Number(a.width);
const height = Number(a.height);
const fps = Number(a.fps);
const downList = a.down!.split(',').map(Number).filter((x) => x >= 0);
const parts = new Set(a.parts!.split(','));
const partSeconds = Number(a['part-seconds']);
const useRtsp = (a.source ?? (rtspUnavailable ? 'mpegts' : 'rtsp')) === 'rtsp';
if (useRtsp && rtspUnavailable) throw new Error(rtspUnavailable);
const say = (s: string) => (a.json ? process.stderr : process.stdout).write(`${s}\n`);

const work = mkdtempSync(join(tmpdir(), 'chroma-live-bench-'));
const children = new Set<ChildProcess>();
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

let modelPath = a.model ?? join(REPO, 'models', 'chroma-default.onnx');
let modelNote = 'built-in';
if (!a.model && !existsSync(modelPath)) {
  modelPath = join(work, 'fixture-logits.onnx');
  writeFileSync(modelPath, makeLogitsFixture());
  modelNote = 'FIXTURE (models/chroma-default.onnx missing)';
  process.stderr.write('WARNING: models/chroma-default.onnx is missing; benchmarking the tiny fixture model instead (numbers say nothing about the real network)\n');
} else if (a.model) modelNote = a.model;

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

/** The fallback camera: a moving gray test pattern at real time, MPEG-TS over HTTP (listen mode, one client). */
function startSource(port: number): ChildProcess {
  return track(spawn(FFMPEG, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps},format=gray`,
    '-c:v', 'mpeg2video', '-q:v', '4', '-g', String(fps), '-f', 'mpegts', '-listen', '1', `http://127.0.0.1:${port}`,
  ], { stdio: 'ignore' }));
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Capture time (epoch ms) of each frame sequence number, read once from the first viewer's JPEG. */
const stamps = new Map<number, Promise<number | null>>();
function stampOf(seq: number, jpeg: Buffer): Promise<number | null> {
  let p = stamps.get(seq);
  if (!p) {
    p = sharp(jpeg).extract({ left: 0, top: 0, width, height: 16 }).greyscale().raw().toBuffer()
      .then((luma) => readStamp(luma, width), () => null);
    stamps.set(seq, p);
    if (stamps.size > 2000) stamps.delete(stamps.keys().next().value!);
  }
  return p;
}

interface ViewerLog {
  frames: number;
  latencies: number[];
  /** From the camera's own capture time (RTSP camera only). */
  sourceLatencies: number[];
  gaps: number;
  lastSeq: number;
  arrivals: number[];
  closed: boolean;
}

function viewer(url: string, log: ViewerLog): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return;
      const f = decodeFrameMessage(data);
      if (!f) return;
      const now = performance.timeOrigin + performance.now();
      log.frames++;
      log.latencies.push(now - f.header.decodedAt);
      if (useRtsp) {
        const at = Date.now();
        const list = log.sourceLatencies;
        void stampOf(f.header.seq, f.jpeg).then((t) => {
          if (t !== null) list.push(at - t);
        });
      }
      log.arrivals.push(performance.now());
      if (log.lastSeq >= 0 && f.header.seq > log.lastSeq + 1) log.gaps += f.header.seq - log.lastSeq - 1;
      log.lastSeq = f.header.seq;
    });
    ws.on('close', () => (log.closed = true));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const srcPort = await freePort();
  let source: ChildProcess | null = null;
  let camera: Camera | null = null;
  if (useRtsp) {
    camera = await startCamera({ port: srcPort, width, height, fps });
    process.once('exit', () => camera?.close());
  }
  else source = startSource(srcPort);
  const input = camera ? ['--input', camera.url, '--rtsp-transport', a['rtsp-transport']!]
    : ['--input', `http://127.0.0.1:${srcPort}`, '--width', String(width), '--height', String(height), '--fps', String(fps)];
  const serverArgs = [...input, '--model', modelPath,
    '--max-viewers', String(Math.max(64, nViewers + nSlow + 2))];
  for (const k of ['size', 'threads', 'batch'] as const) if (a[k]) serverArgs.push(`--${k}`, a[k]!);
  const { child: server, url } = await startServe(REPO, serverArgs, track);
  say(`server ${url} (pid ${server.pid}), model ${modelNote}, source ${camera ? `RTSP (${a['rtsp-transport']})` : 'MPEG-TS/HTTP'} ${width}x${height} @ ${fps} fps, ${nViewers} viewers, ${seconds} s`);

  const newLog = (): ViewerLog => ({ frames: 0, latencies: [], sourceLatencies: [], gaps: 0, lastSeq: -1, arrivals: [], closed: false });
  const logs: ViewerLog[] = Array.from({ length: nViewers }, newLog);
  const sockets = await Promise.all(logs.map((l) => viewer(`${url.replace('http', 'ws')}ws`, l)));
  const slowSockets = await Promise.all(Array.from({ length: nSlow }, async () => {
    const ws = await viewer(`${url.replace('http', 'ws')}ws`, newLog());
    ws.pause(); // stops reading: the server's send buffer for it fills, and it must start losing frames
    return ws;
  }));

  // Optional: one real browser viewer, reporting what it paints.
  let browserStats: { fps: number[]; latency: number[] } | null = null;
  let closeBrowser: (() => Promise<void>) | null = null;
  if (a.browser) {
    const { chromium } = await import('playwright-core');
    const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const page = await b.newPage();
    await page.goto(url);
    browserStats = { fps: [], latency: [] };
    closeBrowser = () => b.close();
    const poll = setInterval(() => {
      void page.evaluate(() => (window as unknown as { chromaViewer: { fps: number; latencyMs: number | null } }).chromaViewer)
        .then((s) => {
          browserStats!.fps.push(s.fps);
          if (s.latencyMs !== null) browserStats!.latency.push(s.latencyMs);
        }, () => {});
    }, 1000);
    closeBrowser = async () => {
      clearInterval(poll);
      await b.close();
    };
  }

  // Warm-up: wait until every viewer has frames, then measure.
  const warmEnd = Date.now() + 60000;
  while (logs.some((l) => l.frames < 3) && Date.now() < warmEnd) await sleep(100);
  await sleep(2000);
  for (const l of logs) {
    l.frames = 0;
    l.latencies = [];
    l.sourceLatencies = [];
    l.gaps = 0;
  }
  if (browserStats) browserStats = { fps: [], latency: [] };
  const rss: { t: number; bytes: number }[] = [];
  const lags: number[] = [];
  let sourceReconnects = NaN;
  const health = async () => {
    try {
      const h = (await (await fetch(`${url}healthz`)).json()) as { source: { lagMs: number; reconnects: number } };
      lags.push(h.source.lagMs);
      sourceReconnects = h.source.reconnects;
    } catch {
      /* the next sample will do */
    }
  };
  const reconnects0 = await health().then(() => sourceReconnects);
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    rss.push({ t: (performance.now() - t0) / 1000, bytes: rssOf(server.pid!) });
    await health();
    await sleep(1000);
  }
  const elapsed = (performance.now() - t0) / 1000;
  await sleep(300); // the last stamps to read back
  const snapshot = logs.map((l) => ({ frames: l.frames, latencies: [...l.latencies], sourceLatencies: [...l.sourceLatencies], gaps: l.gaps, closed: l.closed }));
  const metricsText = await fetch(`${url}metrics`).then((r) => r.text(), () => '');
  const metric = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(metricsText);
    return m ? Number(m[1]) : NaN;
  };

  // Reconnection: kill the camera, keep it down, restart, time until every viewer has a new frame.
  const outages: { downSeconds: number; resumeAfterRestartS: number | null; resumeAfterKillS: number | null }[] = [];
  for (const downSeconds of downList) {
    const killedAt = performance.now();
    if (camera) camera.kill();
    else source!.kill('SIGKILL');
    await sleep(downSeconds * 1000);
    const seqBefore = Math.max(...logs.map((l) => l.lastSeq));
    if (camera) await camera.restart();
    else source = startSource(srcPort);
    const restartedAt = performance.now();
    const firstAfter: (number | null)[] = logs.map(() => null);
    const reconnectDeadline = performance.now() + 30000;
    while (firstAfter.some((x) => x === null) && performance.now() < reconnectDeadline) {
      logs.forEach((l, i) => {
        if (firstAfter[i] === null && l.lastSeq > seqBefore) firstAfter[i] = l.arrivals[l.arrivals.length - 1];
      });
      await sleep(20);
    }
    const resumeS = firstAfter.every((x) => x !== null) ? (Math.max(...(firstAfter as number[])) - restartedAt) / 1000 : null;
    outages.push({ downSeconds, resumeAfterRestartS: resumeS, resumeAfterKillS: resumeS === null ? null : resumeS + (restartedAt - killedAt) / 1000 });
    await sleep(3000); // settle before the next outage
  }
  const viewersStayed = logs.every((l) => !l.closed);

  // Results.
  const perViewer = snapshot.map((s, i) => ({
    viewer: i + 1,
    fps: s.frames / elapsed,
    p50: pct(s.latencies, 50),
    p95: pct(s.latencies, 95),
    sourceP95: pct(s.sourceLatencies, 95),
    skipped: s.gaps,
  }));
  const allLat = snapshot.flatMap((s) => s.latencies);
  const srcLat = snapshot.flatMap((s) => s.sourceLatencies);
  const rssMb = rss.map((r) => r.bytes / 1048576);
  const steady = rss.filter((r) => r.t >= Math.min(10, seconds / 4));
  const n = steady.length;
  const mt = steady.reduce((s, r) => s + r.t, 0) / Math.max(n, 1);
  const mb = steady.reduce((s, r) => s + r.bytes, 0) / Math.max(n, 1);
  const slope = n > 2 ? steady.reduce((s, r) => s + (r.t - mt) * (r.bytes - mb), 0) / steady.reduce((s, r) => s + (r.t - mt) ** 2, 0) : 0;
  const slopeMbPerMin = (slope * 60) / 1048576;
  // Growth: the mean of the last third of the steady samples over the mean of the first third.
  const third = Math.max(1, Math.floor(n / 3));
  const avg = (xs: { bytes: number }[]) => xs.reduce((s, r) => s + r.bytes, 0) / Math.max(xs.length, 1) / 1048576;
  const growthMb = n >= 3 ? avg(steady.slice(-third)) - avg(steady.slice(0, third)) : 0;
  // The hardening target: peak RSS after the first minute within 1.2x of the one-minute level.
  const atMinute = rss.find((r) => r.t >= Math.min(60, seconds / 2)) ?? rss[0];
  const maxAfterMinute = Math.max(...rss.filter((r) => r.t >= atMinute.t).map((r) => r.bytes));
  const vsMinute = maxAfterMinute / atMinute.bytes;
  const minFps = Math.min(...perViewer.map((v) => v.fps));
  // The target is on latency from the source where the source can tell (RTSP camera), else from the decoder.
  const p95 = srcLat.length ? pct(srcLat, 95) : pct(allLat, 95);
  const summary = {
    model: modelNote,
    source: { width, height, fps },
    viewers: nViewers,
    slowViewers: nSlow,
    seconds: Math.round(elapsed),
    viewerFps: { min: minFps, mean: perViewer.reduce((s, v) => s + v.fps, 0) / nViewers, max: Math.max(...perViewer.map((v) => v.fps)) },
    // (a loop, not Math.max(...): a 10-minute run with 50 viewers collects ~450k samples)
    latencyMs: { p50: pct(allLat, 50), p95: pct(allLat, 95), max: allLat.reduce((m, x) => (x > m ? x : m), -Infinity) },
    sourceLatencyMs: srcLat.length
      ? { p50: pct(srcLat, 50), p95: pct(srcLat, 95), max: srcLat.reduce((m, x) => (x > m ? x : m), -Infinity), samples: srcLat.length }
      : null,
    server: {
      framesIn: metric('chroma_live_frames_in_total'),
      framesOut: metric('chroma_live_frames_out_total'),
      droppedMailbox: Number((/chroma_live_frames_dropped_total\{reason="mailbox"\} (\d+)/.exec(metricsText) ?? [])[1] ?? NaN),
    },
    // How far decoding ran behind the stream's own clock (time in socket buffers, not in the header's latency).
    sourceLagMs: { median: pct(lags, 50), max: Math.max(...lags) },
    sourceReconnectsDuringRun: sourceReconnects - reconnects0,
    rssMb: { start: rssMb[0], end: rssMb[rssMb.length - 1], min: Math.min(...rssMb), max: Math.max(...rssMb), slopeMbPerMin, growthMb, atMinute: atMinute.bytes / 1048576, maxAfterMinuteVsMinute: vsMinute },
    reconnect: { outages, viewersStayedConnected: viewersStayed },
    browser: browserStats ? { fpsMedian: pct(browserStats.fps, 50), latencyMedianMs: pct(browserStats.latency, 50) } : null,
    perViewer,
    targets: {
      fpsPerViewerAtLeast14: minFps >= 14,
      latencyP95AtMost250ms: p95 <= 250,
      // Flat: no sustained growth (GC makes RSS wander by tens of MB; a leak climbs steadily).
      memoryFlat: growthMb < 16 && slopeMbPerMin < (seconds >= 300 ? 1 : 10),
      resumeWithin5s: outages.every((o) => o.resumeAfterRestartS !== null && o.resumeAfterRestartS <= 5),
      memoryWithin1_2xOfMinuteOne: vsMinute <= 1.2,
    },
  };

  for (const ws of [...sockets, ...slowSockets]) ws.terminate();
  await closeBrowser?.();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));

  // Two cameras: one server (one model, batched) against two servers.
  let compare: CompareResult[] | null = null;
  if (parts.has('compare') && camera) {
    const second = await startCamera({ width, height, fps });
    try {
      const common = ['--model', modelPath, ...(['size', 'threads'] as const).flatMap((k) => (a[k] ? [`--${k}`, a[k]!] : []))];
      const one = await startServe(REPO, ['--input', `a=${camera.url}`, '--input', `b=${second.url}`, ...common], track);
      const ws1 = one.url.replace('http', 'ws');
      const joint = await measureLayout('one server, two cameras', [one], [`${ws1}a/ws`, `${ws1}b/ws`], partSeconds);
      one.child.kill('SIGTERM');
      await new Promise((r) => one.child.once('exit', r));
      const pair = await Promise.all([camera.url, second.url].map((u) => startServe(REPO, ['--input', u, ...common], track)));
      const apart = await measureLayout('two servers', pair, pair.map((p) => `${p.url.replace('http', 'ws')}ws`), partSeconds);
      for (const p of pair) p.child.kill('SIGTERM');
      await Promise.all(pair.map((p) => new Promise((r) => p.child.once('exit', r))));
      compare = [joint, apart];
    } finally {
      second.close();
    }
  }
  // The browser's own camera, round trip through a server with a token.
  let webcam: WebcamResult | null = null;
  if (parts.has('webcam') && existsSync('/usr/bin/chromium')) {
    const token = 'bench-webcam';
    const srv = await startServe(REPO, ['--input', camera ? camera.url : `http://127.0.0.1:${srcPort}`, '--token', token, '--model', modelPath,
      ...(camera ? [] : ['--width', String(width), '--height', String(height), '--fps', String(fps)])], track);
    webcam = await measureWebcam(srv.url, token, partSeconds);
    srv.child.kill('SIGTERM');
    await new Promise((r) => srv.child.once('exit', r));
  }
  Object.assign(summary, { compare, webcam });

  const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  say('');
  say('viewer   fps    p50 ms   p95 ms  src p95   skipped');
  for (const v of perViewer) say(`${String(v.viewer).padStart(6)} ${f1(v.fps).padStart(5)} ${f1(v.p50).padStart(8)} ${f1(v.p95).padStart(8)} ${f1(v.sourceP95).padStart(8)} ${String(v.skipped).padStart(9)}`);
  say('');
  say(`all viewers: fps min ${f1(summary.viewerFps.min)} mean ${f1(summary.viewerFps.mean)}; latency from the decoder p50 ${f1(summary.latencyMs.p50)} ms, p95 ${f1(summary.latencyMs.p95)} ms`);
  if (summary.sourceLatencyMs) say(`latency from the camera's capture time: p50 ${f1(summary.sourceLatencyMs.p50)} ms, p95 ${f1(summary.sourceLatencyMs.p95)} ms (${summary.sourceLatencyMs.samples} frames)`);
  say(`server: ${summary.server.framesIn} frames in, ${summary.server.framesOut} out, ${summary.server.droppedMailbox} dropped before the model`);
  say(`source: decoding behind the stream's clock median ${f1(summary.sourceLagMs.median)} ms, max ${f1(summary.sourceLagMs.max)} ms; reconnects during the run ${summary.sourceReconnectsDuringRun}`);
  say(`RSS: start ${f1(summary.rssMb.start)} MB, end ${f1(summary.rssMb.end)} MB, range ${f1(summary.rssMb.min)}..${f1(summary.rssMb.max)} MB, trend ${slopeMbPerMin.toFixed(2)} MB/min, growth (last third vs first) ${growthMb.toFixed(1)} MB; peak after ${atMinute.t.toFixed(0)} s = ${vsMinute.toFixed(2)}x that level`);
  for (const o of outages) say(`camera down ${o.downSeconds} s: frames back at every viewer ${o.resumeAfterRestartS === null ? 'NEVER (30 s)' : `${o.resumeAfterRestartS.toFixed(2)} s`} after the restart`);
  say(`viewers stayed connected: ${viewersStayed}`);
  if (summary.browser) say(`browser viewer: painted fps ${f1(summary.browser.fpsMedian)}, latency (decode to paint) median ${f1(summary.browser.latencyMedianMs)} ms`);
  for (const c of compare ?? []) say(`${c.layout}: fps ${c.fps.map(f1).join(' / ')}; CPU ${c.cpuMsPerFrame.toFixed(1)} ms per frame (${c.cpuCores.toFixed(2)} cores, decoders included)`);
  if (webcam) say(`browser camera (Chromium fake camera): ${f1(webcam.fps)} fps back, round trip median ${webcam.roundTripMs === null ? '-' : f1(webcam.roundTripMs)} ms (${webcam.back} of ${webcam.sent} sent came back)`);
  say(`targets: ${Object.entries(summary.targets).map(([k, v]) => `${k} ${v ? 'PASS' : 'FAIL'}`).join(', ')}`);
  process.stdout.write(`${JSON.stringify(summary, (_key, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v), a.json ? 0 : 2)}\n`);

  source?.kill('SIGKILL');
  camera?.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/live: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
