// Soak: `chroma serve` (a child process, as users run it) for a while under churn, sampling its
// resident memory and open file descriptors (/proc/PID/status, /proc/PID/fd) every few seconds.
// The churn: viewers join and leave all the time, some never read, hints are added and cleared,
// junk messages and dropped TCP connections arrive, and the source (ffmpeg serving MPEG-TS over
// HTTP, started by this script) is killed and restarted. The model is the small logits fixture, so
// the hints are refused (no hints input): the refusal path under churn, at a frame rate this shared
// machine can keep. Prints the curve as a table and a JSON summary; flat RSS and fds are the pass
// mark (no growth from the middle third to the last; the first is warm-up).
//
//   node --import tsx bench/soak.ts                      # 10 minutes
//   node --import tsx bench/soak.ts --minutes 1 --every 5
//   options: --minutes N (10) --every S (sample period, 10) --viewers N (steady viewers, 4)
//            --outage-every S (60) --outage S (5) --json
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { decodeFrameMessage } from '../src/server/frame-header.js';
import { makeLogitsFixture } from '../test/helpers/model-fixtures.js';
import { freePort } from '../test/helpers/live-server.js';

const { values: a } = parseArgs({
  options: {
    minutes: { type: 'string' }, every: { type: 'string' }, viewers: { type: 'string' },
    'outage-every': { type: 'string' }, outage: { type: 'string' }, json: { type: 'boolean' },
  },
});
const MINUTES = Number(a.minutes ?? 10);
const EVERY_S = Number(a.every ?? 10);
const VIEWERS = Number(a.viewers ?? 4);
const OUTAGE_EVERY_S = Number(a['outage-every'] ?? 60);
const OUTAGE_S = Number(a.outage ?? 5);
const TOKEN = 'soak-token';
const REPO = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chroma-soak-'));

// ---- the source: ffmpeg serving MPEG-TS on loopback, killed and restarted ---------------------

const camPort = await freePort();
let camera: ChildProcess | null = null;
function startCamera(): void {
  camera = spawn(FFMPEG, ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10,format=gray',
    '-c:v', 'mpeg2video', '-q:v', '4', '-g', '10', '-f', 'mpegts', '-listen', '1', `http://127.0.0.1:${camPort}`], { stdio: 'ignore' });
  // One client per ffmpeg -listen: when the server's connection ends, serve the next one.
  camera.once('exit', () => { if (camera && !stopping && !outage) startCamera(); });
}
let outage = false;
let stopping = false;
startCamera();

// ---- the server -------------------------------------------------------------------------------

const modelPath = join(dir, 'logits.onnx');
writeFileSync(modelPath, makeLogitsFixture());
const port = await freePort();
const errors: string[] = [];
const server = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), 'serve', '--input', `http://127.0.0.1:${camPort}`,
  '--model', modelPath, '--port', String(port), '--token', TOKEN, '--threads', '1', '--max-viewers', '64'], { stdio: ['ignore', 'ignore', 'pipe'] });
server.stderr!.setEncoding('utf8');
let stderrTail = '';
server.stderr!.on('data', (s: string) => {
  stderrTail = (stderrTail + s).slice(-4000);
  for (const l of s.split('\n')) if (/\b(error|warn)\b/i.test(l) && !/source:/.test(l)) errors.push(l.slice(0, 200));
});
const ws = (path = '/ws') => `ws://127.0.0.1:${port}${path}?token=${TOKEN}`;

async function waitUp(): Promise<void> {
  // Minutes, not seconds: on a loaded machine (and under nice) loading the model alone can take that.
  const began = Date.now();
  for (let i = 0; i < 3000; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) {
      process.stderr.write(`serve up after ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
      return;
    }
    if (server.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`serve did not come up: ${stderrTail}`);
}
await waitUp();

// ---- the churn --------------------------------------------------------------------------------

let frames = 0;
let joins = 0;
let hintsAdded = 0;
let refusals = 0;
interface Steady { sock: WebSocket; frames: number }
const steady: Steady[] = [];

function join1(read = true): Steady {
  const sock = new WebSocket(ws());
  const s: Steady = { sock, frames: 0 };
  joins++;
  sock.on('message', (d: Buffer, bin) => {
    if (bin && decodeFrameMessage(d)) { s.frames++; frames++; }
    if (!bin && /"type":"error"/.test(d.toString())) refusals++;
  });
  sock.on('error', () => {});
  if (!read) sock.once('open', () => (sock as unknown as { _socket: { pause(): void } })._socket.pause());
  return s;
}
for (let i = 0; i < VIEWERS; i++) steady.push(join1());

const timers: NodeJS.Timeout[] = [];
// Every 2 s: one steady viewer leaves (sometimes abruptly) and another joins.
timers.push(setInterval(() => {
  const old = steady.shift();
  if (old) (Math.random() < 0.5 ? old.sock.close() : old.sock.terminate());
  steady.push(join1());
}, 2000));
// Every 5 s: a burst of 20 viewers that open and drop, 5 raw TCP drops, a viewer that never reads for 5 s.
timers.push(setInterval(() => {
  for (let i = 0; i < 20; i++) {
    const s = new WebSocket(ws());
    joins++;
    s.on('error', () => {});
    s.once('open', () => s.terminate());
  }
  for (let i = 0; i < 5; i++) {
    const t = tcpConnect(port, '127.0.0.1', () => t.destroy());
    t.on('error', () => {});
  }
  const stuck = join1(false);
  setTimeout(() => stuck.sock.terminate(), 5000);
}, 5000));
// Every 3 s: a hint placed by the first steady viewer, cleared every 4th time; some junk.
let tick = 0;
timers.push(setInterval(() => {
  const s = steady[steady.length - 1];
  if (s?.sock.readyState !== WebSocket.OPEN) return;
  tick++;
  if (tick % 4 === 0) s.sock.send(JSON.stringify({ type: 'clear-hints' }));
  else {
    s.sock.send(JSON.stringify({ type: 'hint', x: Math.random() * 159, y: Math.random() * 119, color: '#c03020' }));
    hintsAdded++;
  }
  s.sock.send('{"type":"set","temperature":7}');
  s.sock.send(Buffer.from([0x43, 0x48, 0x55, 0x31, 1, 2, 3]), { binary: true });
}, 3000));
// Every OUTAGE_EVERY_S: the camera goes away for OUTAGE_S.
let outages = 0;
timers.push(setInterval(() => {
  outage = true;
  outages++;
  camera?.kill('SIGKILL');
  setTimeout(() => { outage = false; startCamera(); }, OUTAGE_S * 1000);
}, OUTAGE_EVERY_S * 1000));

// ---- sampling ---------------------------------------------------------------------------------

interface Sample { t: number; rssMb: number; fds: number; threads: number; frames: number; viewers: number; status: string }
const samples: Sample[] = [];
const pid = server.pid!;
function procRssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const procThreads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const procFds = () => readdirSync(`/proc/${pid}/fd`).length;
const t0 = Date.now();
async function sample(): Promise<void> {
  const h = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json() as Promise<{ viewers: number; source: { status: string } }>, () => null);
  const s: Sample = { t: (Date.now() - t0) / 1000, rssMb: procRssMb(), fds: procFds(), threads: procThreads(), frames, viewers: h?.viewers ?? -1, status: h?.source.status ?? 'down' };
  samples.push(s);
  if (!a.json) process.stderr.write(`${s.t.toFixed(0).padStart(5)} s  rss ${s.rssMb.toFixed(1)} MB  fds ${s.fds}  threads ${s.threads}  frames ${s.frames}  viewers ${s.viewers}  source ${s.status}\n`);
}
await sample();
await new Promise<void>((resolve) => {
  const iv = setInterval(() => void sample().then(() => {
    if (Date.now() - t0 >= MINUTES * 60_000) { clearInterval(iv); resolve(); }
  }), EVERY_S * 1000);
});

// ---- stop and report --------------------------------------------------------------------------

stopping = true;
for (const t of timers) clearInterval(t);
for (const s of steady) s.sock.terminate();
server.kill('SIGTERM');
const code = await new Promise<number | null>((r) => server.once('exit', (c) => r(c)));
(camera as ChildProcess | null)?.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });

const third = Math.max(1, Math.floor(samples.length / 3));
const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
// The first third is warm-up (model, JIT, pools); the curve must not keep climbing after it.
const mid = samples.slice(third, 2 * third), last = samples.slice(-third);
const summary = {
  minutes: MINUTES, samples: samples.length, joins, hintsAdded, refusals, outages, framesDelivered: frames, exitCode: code,
  rssMb: { first: samples[0].rssMb, max: Math.max(...samples.map((s) => s.rssMb)), middleThird: mean(mid.map((s) => s.rssMb)), lastThird: mean(last.map((s) => s.rssMb)) },
  fds: { first: samples[0].fds, max: Math.max(...samples.map((s) => s.fds)), middleThird: mean(mid.map((s) => s.fds)), lastThird: mean(last.map((s) => s.fds)) },
  errorLines: errors.slice(0, 10),
};
const flat = summary.rssMb.lastThird - summary.rssMb.middleThird < 25 && summary.fds.lastThird - summary.fds.middleThird < 10;
// A compact curve: one row per tenth of the run.
const step = Math.max(1, Math.floor(samples.length / 10));
const rows = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
process.stdout.write(`| t (s) | RSS (MB) | fds | threads | frames delivered | viewers | source |\n| ---: | ---: | ---: | ---: | ---: | ---: | --- |\n`);
for (const r of rows) process.stdout.write(`| ${r.t.toFixed(0)} | ${r.rssMb.toFixed(1)} | ${r.fds} | ${r.threads} | ${r.frames} | ${r.viewers} | ${r.status} |\n`);
process.stdout.write(`${JSON.stringify({ ...summary, flat })}\n`);
process.exitCode = flat && code === 0 ? 0 : 1;
