// The hints editor's response time: from a click (an `add` message on the editor's socket) to the
// re-coloured frame arriving, at 640x480 with the built-in model, as the page measures it (the
// page shows the same figure as "click → frame"). Also a seek (step to another frame) and the
// tracking pass after a click (the hint followed through the shot, one hint at a time).
//
//   node --import tsx bench/editor.ts [--film FILE] [--clicks N] [--json]
//
// Default film: the first 4 s of ../shared/data/videos/intel_asl_book.mp4 scaled to 640x480 and
// made gray, or a 640x480 lavfi test pattern when that clip is not there. Timings are wall clock
// on whatever else the machine runs: stop other work for the figure (this bench prints the load).
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { probeMedia } from '../src/media/probe.js';
import { loadModel } from '../src/model/load-model.js';
import { EditSession } from '../src/editor/session.js';
import { startEditServer } from '../src/server/edit-server.js';

const { values: opts } = parseArgs({
  options: {
    film: { type: 'string' },
    clicks: { type: 'string', default: '12' },
    json: { type: 'boolean', default: false },
  },
});
const CLICKS = Number(opts.clicks);
const dir = mkdtempSync(join(tmpdir(), 'chroma-bench-editor-'));
const SOURCE = '/work/shared/data/videos/intel_asl_book.mp4';
let film = opts.film;
if (!film) {
  film = join(dir, 'film.mp4');
  const input = existsSync(SOURCE) ? ['-t', '4', '-i', SOURCE] : ['-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=25:duration=4'];
  execFileSync(FFMPEG, ['-v', 'error', '-y', ...input, '-vf', 'scale=640:480,format=gray', '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', film]);
}

const quantile = (v: number[], q: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const model = await loadModel('default', { log: () => {} });
const info = await probeMedia(film);
const t0 = performance.now();
const session = await EditSession.open(model, info, { hintsPath: join(dir, 'film.hints.json') });
const openMs = performance.now() - t0;
const srv = await startEditServer(session, { port: 0 });
const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws?token=${srv.token}`);
let onFrame: ((frame: number, rev: number) => void) | null = null;
let tracking = true;
ws.on('message', (d, bin) => {
  if (bin) onFrame?.((d as Buffer).readUInt32LE(4), (d as Buffer).readUInt32LE(8));
  else {
    const m = JSON.parse(String(d)) as { type: string; tracking?: boolean };
    if (m.type === 'state') tracking = m.tracking ?? false;
  }
});
const frameWhere = (ok: (frame: number, rev: number) => boolean) => new Promise<number>((resolve) => {
  const start = performance.now();
  onFrame = (f, r) => {
    if (ok(f, r)) {
      onFrame = null;
      resolve(performance.now() - start);
    }
  };
});
await new Promise<void>((r) => ws.once('open', () => r()));
await frameWhere(() => true);

const clickMs: number[] = [], seekMs: number[] = [], trackMs: number[] = [];
let rev = 0;
for (let i = 0; i < CLICKS; i++) {
  const frame = Math.floor(((i + 0.5) * session.frames) / CLICKS);
  const seen = frameWhere((f) => f === frame);
  ws.send(JSON.stringify({ type: 'seek', frame }));
  seekMs.push(await seen);
  // Wait for the previous click's tracking so it does not share the CPU with this click.
  while (tracking) await new Promise((r) => setTimeout(r, 10));
  const want = ++rev;
  const clicked = frameWhere((f, r) => f === frame && r >= want);
  const tTrack = performance.now();
  ws.send(JSON.stringify({ type: 'add', frame, x: 120 + ((i * 37) % 400), y: 100 + ((i * 53) % 280), color: '#b22222' }));
  clickMs.push(await clicked);
  await new Promise<void>((resolve) => {
    const check = () => (tracking ? setTimeout(check, 5) : resolve());
    setTimeout(check, 5);
  });
  trackMs.push(performance.now() - tTrack);
  rev++; // the re-render after tracking
}
ws.close();
await srv.close();
await model.release();
rmSync(dir, { recursive: true, force: true });

const result = {
  film: `${info.width}x${info.height}, ${session.frames} frames`,
  clicks: CLICKS,
  openSeconds: +(openMs / 1000).toFixed(2),
  clickToFrameMs: { median: +quantile(clickMs, 0.5).toFixed(1), p95: +quantile(clickMs, 0.95).toFixed(1), max: +Math.max(...clickMs).toFixed(1) },
  seekMs: { median: +quantile(seekMs, 0.5).toFixed(1), p95: +quantile(seekMs, 0.95).toFixed(1) },
  clickToTrackedMs: { median: +quantile(trackMs, 0.5).toFixed(1), p95: +quantile(trackMs, 0.95).toFixed(1) },
  cores: cpus().length,
  load1: +loadavg()[0].toFixed(2),
};
if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`editor at ${result.film} (${result.cores} cores, load ${result.load1}); opened in ${result.openSeconds} s\n`);
  process.stdout.write(`  click -> re-coloured frame: median ${result.clickToFrameMs.median} ms, p95 ${result.clickToFrameMs.p95} ms, max ${result.clickToFrameMs.max} ms (${CLICKS} clicks)\n`);
  process.stdout.write(`  seek -> frame:              median ${result.seekMs.median} ms, p95 ${result.seekMs.p95} ms\n`);
  process.stdout.write(`  click -> tracked through the shot: median ${result.clickToTrackedMs.median} ms, p95 ${result.clickToTrackedMs.p95} ms\n`);
}
