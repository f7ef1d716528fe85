// Resilience on loopback: a live MPEG-TS source served by ffmpeg over HTTP (listen mode) is killed
// and restarted; the server reconnects with backoff while the viewer stays connected and is told.
// Also: the server's own decoder killed from outside is restarted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type ServerHandle } from '../src/server/index.js';
import { loadModel } from '../src/model/load-model.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { makeLogitsFixture } from './helpers/model-fixtures.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { tempDir } from './helpers/media.js';
import { until } from './helpers/until.js';
import { freePort, watch as watchPort } from './helpers/live-server.js';

const tmp = tempDir('chroma-reconnect-');
let model: LoadedModel;
const children = new Set<ChildProcess>();

before(async () => {
  const path = join(tmp.dir, 'fixture-logits.onnx');
  writeFileSync(path, makeLogitsFixture());
  model = await loadModel(path, { device: 'cpu', threads: 1, log: () => {} });
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await model?.release();
  tmp.cleanup();
});

/** ffmpeg as a live camera: a test pattern, real time, MPEG-TS over HTTP on loopback (one client). */
function liveSource(port: number, halfSpeedClock = false): ChildProcess {
  const child = spawn(FFMPEG, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15,format=gray',
    ...(halfSpeedClock ? ['-vf', 'setpts=0.5*PTS', '-r', '30'] : []),
    '-c:v', 'mpeg2video', '-q:v', '5', '-g', '15', '-f', 'mpegts', '-listen', '1', `http://127.0.0.1:${port}`,
  ], { stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}


const watch = (srv: ServerHandle) => watchPort(srv.port);

test('source killed and restarted: frames resume within 5 s, viewer stays connected and sees the status', async () => {
  const port = await freePort();
  let src = liveSource(port);
  const srv = await startServer({
    input: `http://127.0.0.1:${port}`, width: 320, height: 240, fps: 15, model, port: 0, log: process.env.DEBUG_LIVE ? (l) => process.stdout.write(`# ${(performance.now() / 1000).toFixed(2)} ${l}\n`) : () => {},
  });
  try {
    const w = await watch(srv);
    await until('first frames', () => w.frames.length >= 10, 20000);
    src.kill('SIGKILL');
    await until('reconnecting status', () => w.statuses.includes('reconnecting'), 15000);
    const lastSeq = w.frames[w.frames.length - 1].seq;
    await new Promise((r) => setTimeout(r, 1500)); // down for a while: several failed attempts
    src = liveSource(port);
    const restarted = performance.now();
    if (process.env.DEBUG_LIVE) process.stdout.write(`# ${(restarted / 1000).toFixed(2)} restarted\n`);
    const resumed = await until('frames after the restart', () => w.frames.find((f) => f.seq > lastSeq && f.at > restarted), 20000);
    const seconds = (resumed.at - restarted) / 1000;
    process.stdout.write(`# frames resumed ${seconds.toFixed(2)} s after the source restarted\n`);
    assert.ok(seconds < 5, `frames resumed after ${seconds.toFixed(2)} s`);
    assert.equal(w.closed, false);
    const after = w.statuses.slice(w.statuses.indexOf('reconnecting'));
    assert.ok(after.includes('connected'), `statuses: ${w.statuses.join(', ')}`);
    const st = srv.stats();
    assert.ok(st.source.reconnects >= 1);
    assert.equal(st.source.status, 'connected');
    w.ws.close();
  } finally {
    await srv.close();
    src.kill('SIGKILL');
  }
});

/** Our own ffmpeg decoder: a direct child whose command line names the test pattern. */
function decoderPid(marker: string): number | null {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) return Number(d);
    } catch {
      /* gone */
    }
  }
  return null;
}

test('the decoder child dies: it is restarted and frames resume', async () => {
  const marker = 'testsrc2=size=328x240:rate=15';
  const srv = await startServer({ input: `${marker},format=gray`, format: 'lavfi', model, port: 0, log: () => {} });
  try {
    const w = await watch(srv);
    await until('first frames', () => w.frames.length >= 5, 20000);
    const pid = await until('the decoder process', () => decoderPid(marker));
    process.kill(pid, 'SIGKILL');
    await until('reconnecting status', () => w.statuses.includes('reconnecting'));
    const killedAt = performance.now();
    await until('frames from a new decoder', () => w.frames.some((f) => f.at > killedAt), 10000);
    assert.notEqual(decoderPid(marker), pid);
    assert.equal(w.closed, false);
    w.ws.close();
  } finally {
    await srv.close();
  }
  // No decoder left behind.
  await until('decoder gone', () => decoderPid(marker) === null, 3000);
});

test('falling behind: one reconnect to get back to live; behind again soon: frames dropped, no reconnect loop', async () => {
  // A 30 fps stream delivered at 15 frames a second: its clock runs at half the wall clock, as if
  // decoding lagged further and further behind, and it does again after every reconnect, as on a
  // machine too slow for the stream.
  const port = await freePort();
  // ffmpeg's HTTP listener serves one client: start it again for each reconnect.
  let src = liveSource(port, true);
  let done = false;
  const respawn = () => {
    if (done) return;
    src = liveSource(port, true);
    src.once('exit', respawn);
  };
  src.once('exit', respawn);
  const lines: string[] = [];
  const srv = await startServer({
    input: `http://127.0.0.1:${port}`, width: 320, height: 240, fps: 15, model, port: 0, log: (l) => lines.push(l), maxLagMs: 1000,
  });
  try {
    const w = await watch(srv);
    await until('first frames', () => w.frames.length >= 3, 20000);
    const msg = await until('a catch-up reconnect', () => w.messages.find((m) => /behind the live stream/.test(m)), 20000);
    assert.match(msg, /fell \d+\.\d s behind/);
    await until(`the slow-machine verdict (log: ${lines.join(" / ")})`, () => lines.some((l) => /slower than the stream/.test(l)), 30000).catch((e) => { throw new Error(`${(e as Error).message}: ${lines.join("\n")}`); });
    // The reconnect that applies the frame-dropping decoder, then never another one.
    await until('connected again', () => srv.stats().source.status === 'connected', 20000);
    const reconnects = srv.stats().source.reconnects;
    const settled = performance.now();
    await new Promise((r) => setTimeout(r, 8000));
    assert.equal(srv.stats().source.reconnects, reconnects, lines.join('\n'));
    const since = w.frames.filter((f) => f.at > settled + 2000).length;
    assert.ok(since >= 10, `${since} frames in the last 6 s`);
    assert.ok(srv.stats().source.lagMs > 1000, 'still behind: frames are dropped, not reconnected');
    assert.equal(w.closed, false);
    w.ws.close();
  } finally {
    done = true;
    await srv.close();
    src.kill('SIGKILL');
  }
});
