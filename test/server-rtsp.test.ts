// RTSP for real: a GStreamer RTSP server on loopback (test/rtsp-server.py) serving 640x480 H.264,
// and `startServer` reading it as a user would. Connect over TCP and UDP, frames at the source's
// rate, the camera killed and restarted, a wrong path, nothing listening, a camera not up yet
// (waiting), a size change mid-stream, and basic/digest credentials that never leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer, type ServerHandle, type ServerOptions } from '../src/server/index.js';
import { ChromaError } from '../src/core/errors.js';
import { until } from './helpers/until.js';
import { rtspSuite } from './helpers/rtsp-camera.js';
import { freePort, httpGet, recentFps, watch as watchPort } from './helpers/live-server.js';

const watch = (srv: ServerHandle) => watchPort(srv.port);
const get = async (port: number, path: string) => (await httpGet(port, path)).body;

const { skip, model, camera } = rtspSuite('chroma-rtsp-');

function serve(input: string, extra: Partial<ServerOptions> = {}, lines: string[] = []): Promise<ServerHandle> {
  return startServer({ input, model: model(), port: 0, log: (l) => lines.push(l), backoff: { initialMs: 200, maxMs: 1000 }, ...extra });
}

for (const transport of ['tcp', 'udp'] as const) {
  test(`RTSP over ${transport}: 640x480 frames at the source's 15 fps`, { skip }, async () => {
    const cam = await camera();
    const srv = await serve(cam.url, { rtspTransport: transport });
    try {
      const st = srv.stats();
      assert.deepEqual([st.width, st.height], [640, 480]);
      const w = await watch(srv);
      await until('first frames', () => w.frames.length >= 5, 20000);
      await new Promise((r) => setTimeout(r, 4000));
      const fps = recentFps(w, 4);
      process.stdout.write(`# ${transport}: ${fps.toFixed(1)} fps at the viewer\n`);
      assert.ok(fps >= 7, `${fps.toFixed(1)} fps`);
      assert.deepEqual([w.frames[0].width, w.frames[0].height], [640, 480]);
      assert.equal(srv.stats().source.reconnects, 0);
      w.ws.close();
    } finally {
      await srv.close();
      cam.close();
    }
  });
}

test('RTSP camera killed and restarted: frames back within 5 s, the viewer stays connected', { skip }, async () => {
  const cam = await camera();
  const srv = await serve(cam.url);
  try {
    const w = await watch(srv);
    await until('first frames', () => w.frames.length >= 10, 20000);
    cam.kill();
    await until('reconnecting status', () => w.statuses.includes('reconnecting'), 15000);
    const lastSeq = w.frames[w.frames.length - 1].seq;
    await new Promise((r) => setTimeout(r, 1500));
    await cam.restart();
    const restarted = performance.now();
    const resumed = await until('frames after the restart', () => w.frames.find((f) => f.seq > lastSeq && f.at > restarted), 20000);
    const seconds = (resumed.at - restarted) / 1000;
    process.stdout.write(`# frames back ${seconds.toFixed(2)} s after the camera restarted\n`);
    assert.ok(seconds < 5, `${seconds.toFixed(2)} s`);
    assert.equal(w.closed, false);
    assert.equal(srv.stats().source.status, 'connected');
    w.ws.close();
  } finally {
    await srv.close();
  }
});

test('a camera that is not up yet: waiting (hello, /healthz, metrics, the page banner), then connected when it comes up', { skip }, async () => {
  const port = await freePort();
  const lines: string[] = [];
  const srv = await serve(`rtsp://127.0.0.1:${port}/cam`, {}, lines);
  try {
    const w = await watch(srv);
    assert.equal(w.statuses[0], 'waiting');
    const health = JSON.parse(await get(srv.port, '/healthz')) as { ok: boolean; status: string; source: { status: string } };
    assert.equal(health.ok, false);
    assert.equal(health.status, 'waiting');
    assert.equal(health.source.status, 'waiting');
    assert.match(await get(srv.port, '/metrics'), /chroma_live_source_status\{status="waiting"\} 1/);
    assert.ok(lines.some((l) => /waiting/.test(l)), lines.join('\n'));
    // The page says so in its banner (real Chromium), and clears it once frames come.
    const browser = existsSync('/usr/bin/chromium')
      ? await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
      : null;
    const page = await browser?.newPage();
    await page?.goto(srv.url);
    await page?.waitForFunction(() => /Waiting for the source/.test(document.getElementById('banner')!.textContent ?? '') && document.getElementById('source')!.dataset.state === 'waiting', null, { timeout: 15000 });
    const cam = await camera({ port });
    await until('frames once the camera is up', () => w.frames.length >= 3, 20000);
    await page?.waitForFunction(() => document.getElementById('banner')!.hidden, null, { timeout: 15000 });
    await browser?.close();
    assert.deepEqual([srv.stats().width, srv.stats().height], [640, 480]);
    assert.equal(srv.stats().source.status, 'connected');
    assert.match(await get(srv.port, '/metrics'), /chroma_live_source_status\{status="connected"\} 1/);
    w.ws.close();
    cam.close();
  } finally {
    await srv.close();
  }
});

test('a wrong path (404) and nothing listening: waiting with the reason; fail fast with exitOnSourceFailure', { skip }, async () => {
  const cam = await camera();
  const wrong = cam.url.replace('/cam', '/nope');
  const refused = `rtsp://127.0.0.1:${await freePort()}/cam`;
  for (const [input, why] of [[wrong, /404/], [refused, /refused/i]] as const) {
    await assert.rejects(serve(input, { exitOnSourceFailure: true }), (e: unknown) => e instanceof ChromaError && e.kind === 'source' && why.test(e.message));
    const srv = await serve(input);
    try {
      const w = await watch(srv);
      const msg = await until('a retry with the reason', () => {
        const st = srv.stats().source;
        return st.status === 'waiting' && st.attempt >= 2 && st.message;
      }, 20000);
      assert.match(msg, why);
      assert.equal(w.closed, false);
      w.ws.close();
    } finally {
      await srv.close();
    }
  }
  cam.close();
});

test('a stream that changes size mid-way keeps its first size and keeps flowing', { skip }, async () => {
  const cam = await camera({ resizeAfter: 2, resizeTo: [320, 240] });
  const lines: string[] = [];
  const srv = await serve(cam.url, {}, lines);
  try {
    const w = await watch(srv);
    await until('first frames', () => w.frames.length >= 3, 20000);
    const before = w.frames.length;
    await new Promise((r) => setTimeout(r, 5000)); // the switch happens 2 s in; frames must keep coming (they stalled before)
    assert.ok(recentFps(w, 2) >= 3, `${recentFps(w, 2).toFixed(1)} fps after the size change`);
    assert.ok(w.frames.length > before + 30);
    assert.ok(w.frames.every((f) => f.width === 640 && f.height === 480));
    assert.equal(srv.stats().source.reconnects, 0, lines.join('\n'));
    w.ws.close();
  } finally {
    await srv.close();
    cam.close();
  }
});

for (const auth of ['basic', 'digest'] as const) {
  test(`RTSP ${auth} authentication: frames with the password, 401 without, the password never shown`, { skip }, async () => {
    const password = `pw-${auth}-Zq7!x`;
    const cam = await camera({ user: 'alice', password, auth });
    const lines: string[] = [];
    const srv = await serve(cam.authUrl, {}, lines);
    const wrongLines: string[] = [];
    const wrongUrl = cam.authUrl.replace(encodeURIComponent(password), 'not-it-9');
    const bad = await serve(wrongUrl, {}, wrongLines);
    try {
      const w = await watch(srv);
      await until('frames', () => w.frames.length >= 5, 20000);
      const b = await watch(bad);
      const msg = await until('401', () => bad.stats().source.attempt >= 1 && bad.stats().source.message, 20000);
      assert.match(msg, /401|unauthori[sz]ed/i);
      const seen = [
        ...lines, ...wrongLines, ...w.texts, ...b.texts,
        await get(srv.port, '/healthz'), await get(bad.port, '/healthz'), await get(srv.port, '/'), await get(srv.port, '/metrics'),
        JSON.stringify(srv.stats()), JSON.stringify(bad.stats()),
      ].join('\n');
      for (const secret of [password, encodeURIComponent(password), 'not-it-9']) assert.ok(!seen.includes(secret), `${secret} leaked`);
      assert.ok(lines.length > 0 && wrongLines.length > 0);
      w.ws.close();
      b.ws.close();
    } finally {
      await srv.close();
      await bad.close();
      cam.close();
    }
  });
}
