// Several cameras on one server (startMultiServer): two real RTSP cameras and one that is not
// there, one model, one port. Each source has its page and socket under /NAME/, the overview at /
// frames them all (checked in real Chromium), inference is batched across sources, and a source
// that fails or drops never disturbs the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startMultiServer, parseNamedInput } from '../src/server/multi.js';
import { serveOptionsFromArgv } from '../src/cli/serve-cli.js';
import { until } from './helpers/until.js';
import { rtspSuite } from './helpers/rtsp-camera.js';
import { freePort, httpGet as get, recentFps, watch } from './helpers/live-server.js';

const CHROMIUM = '/usr/bin/chromium';
const { skip, model, camera } = rtspSuite('chroma-multi-');

const argvCases: { argv: string[]; inputs?: string[]; name?: string; error?: RegExp }[] = [
  { argv: ['--input', 'lobby=rtsp://a/b', '--input', 'door=rtsp://c/d?x=1'], inputs: ['lobby', 'door'] },
  { argv: ['--input', 'lobby=rtsp://a/b'], name: 'lobby' },
  { argv: ['--input', 'rtsp://a/b?x=1'], name: undefined },
  { argv: ['--input', 'testsrc2=size=64x64', '--format', 'lavfi'], name: undefined },
  { argv: ['--input', 'lobby=rtsp://a/b', '--input', 'rtsp://c/d'], error: /several --input need a name each/ },
];
for (const c of argvCases) {
  test(`serve argv: ${c.argv.join(' ')}`, () => {
    if (c.error) return assert.throws(() => serveOptionsFromArgv(c.argv, {}), c.error);
    const r = serveOptionsFromArgv(c.argv, {});
    assert.deepEqual(r.inputs?.map((i) => i.name), c.inputs);
    if (!c.inputs) assert.equal(r.options.name, c.name);
  });
}

test('several sources: bad names, duplicates and a shared --record are usage errors before anything starts', async () => {
  const two = [{ name: 'a', input: 'rtsp://x/1' }, { name: 'b', input: 'rtsp://x/2' }];
  for (const [opts, why] of [
    [{ inputs: [{ name: 'a', input: 'x' }, { name: 'a', input: 'y' }] }, /two sources named a/],
    [{ inputs: [{ name: 'healthz', input: 'x' }] }, /a source name is/],
    [{ inputs: two, record: 'out.mp4' }, /--record takes one source/],
  ] as const) {
    await assert.rejects(startMultiServer({ ...opts, port: 0, log: () => {} }), why);
  }
});

test('parseNamedInput: names and not-names', () => {
  assert.deepEqual(parseNamedInput('door=rtsp://x/y'), { name: 'door', input: 'rtsp://x/y' });
  assert.equal(parseNamedInput('rtsp://x/y?a=b'), null);
  assert.equal(parseNamedInput('=rtsp://x'), null);
});

test('two RTSP cameras and a dead one on one server: pages, overview, batching, isolation', { skip }, async () => {
  const lobby = await camera();
  const door = await camera();
  const dead = `rtsp://127.0.0.1:${await freePort()}/cam`;
  const lines: string[] = [];
  const srv = await startMultiServer({
    inputs: [{ name: 'lobby', input: lobby.url }, { name: 'door', input: door.url }, { name: 'dead', input: dead }],
    model: model(), port: 0, log: (l) => lines.push(l), backoff: { initialMs: 200, maxMs: 1000 }, maxWaitMs: 60,
  });
  try {
    const [l, d] = await Promise.all([watch(srv.port, '/lobby/ws'), watch(srv.port, '/door/ws')]);
    await until('frames from both cameras', () => l.frames.length >= 10 && d.frames.length >= 10, 30000);
    const calls0 = srv.inference();
    await new Promise((r) => setTimeout(r, 4000));
    assert.ok(recentFps(l, 4) >= 4 && recentFps(d, 4) >= 4, `lobby ${recentFps(l, 4)} fps, door ${recentFps(d, 4)} fps`);
    const inf = srv.inference();
    const perCall = (inf.frames - calls0.frames) / (inf.calls - calls0.calls);
    process.stdout.write(`# ${perCall.toFixed(2)} frames per inference call across two cameras\n`);
    assert.ok(perCall > 1.3, `${perCall.toFixed(2)} frames per call: not batched across sources`);

    // The dead source waits without touching the others; /healthz says which is which.
    const health = JSON.parse((await get(srv.port, '/healthz')).body) as { ok: boolean; status: string; sources: Record<string, { ok: boolean; source: { status: string } }> };
    assert.equal(health.status, 'degraded');
    assert.deepEqual(Object.keys(health.sources), ['lobby', 'door', 'dead']);
    assert.equal(health.sources.lobby.ok, true);
    assert.equal(health.sources.dead.source.status, 'waiting');
    assert.ok(lines.some((x) => /\[dead\].*waiting/.test(x)), lines.join('\n'));
    assert.ok(lines.some((x) => /\[lobby\]/.test(x)));

    // Routes: the overview, a page per source, redirects to the slash, 404 for the rest.
    const overview = await get(srv.port, '/');
    assert.equal(overview.status, 200);
    for (const n of ['lobby', 'door', 'dead']) assert.match(overview.body, new RegExp(`data-src="${n}/"`));
    assert.equal((await get(srv.port, '/lobby/')).status, 200);
    assert.equal((await get(srv.port, '/lobby')).status, 301);
    assert.equal((await get(srv.port, '/nope/')).status, 404);
    assert.match((await get(srv.port, '/door/metrics')).body, /chroma_live_frames_out_total/);

    // One camera drops: the other keeps its rate all through the outage.
    door.kill();
    await until('door reconnecting', () => srv.stats().door.source.status === 'reconnecting', 15000);
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(recentFps(l, 3) >= 4, `lobby at ${recentFps(l, 3).toFixed(1)} fps while door is down`);
    await door.restart();
    const back = performance.now();
    await until('door back', () => d.frames.some((f) => f.at > back), 20000);

    // The overview in a real browser: both cameras' pages paint frames inside it.
    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
      try {
        const page = await browser.newPage();
        await page.goto(srv.url);
        const painted = async () => Promise.all(page.frames().filter((f) => /\/(lobby|door)\/$/.test(f.url())).map((f) =>
          f.evaluate(() => (window as unknown as { chromaViewer?: { frames: number } }).chromaViewer?.frames ?? 0).catch(() => 0)));
        const end = Date.now() + 30000;
        let counts = await painted();
        while (!(counts.length === 2 && counts.every((c) => c >= 5)) && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 200));
          counts = await painted();
        }
        assert.ok(counts.length === 2 && counts.every((c) => c >= 5), `frames painted in the overview: ${counts.join(', ')}`);
      } finally {
        await browser.close();
      }
    }
    l.ws.close();
    d.ws.close();
  } finally {
    await srv.close();
  }
});
