// Unit tests for the live server's small parts: control message validation, the frame header,
// the drop-oldest mailbox, reconnect backoff, auth helpers, source classification, CLI parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { parseControl, MAX_CONTROL_BYTES } from '../src/server/control.js';
import { encodeFrameHeader, decodeFrameMessage, FRAME_HEADER_BYTES } from '../src/server/frame-header.js';
import { LatestMailbox } from '../src/server/mailbox.js';
import { Backoff } from '../src/server/backoff.js';
import { tokensEqual, authorized, originAllowed, hostAllowed } from '../src/server/auth.js';
import { classifySource, redactUrl } from '../src/server/source.js';
import { rawPath } from '../src/server/request-target.js';
import { serveOptionsFromArgv, runServeCommand } from '../src/cli/serve-cli.js';
import { readFileSync, readdirSync } from 'node:fs';
import { sha256 } from '../src/server/page-shell.js';
import { buildViewerPage } from '../src/server/viewer-page.js';
import { buildEditPage } from '../src/server/edit-page.js';
import { buildOverviewPage } from '../src/server/overview-page.js';

const text = (s: string) => Buffer.from(s, 'utf8');
const parse = (s: string, smoothAvailable = true) => parseControl(text(s), false, { smoothAvailable });

test('control: valid set and get messages', () => {
  assert.deepEqual(parse('{"type":"set","temperature":0.5}'), { ok: true, message: { type: 'set', patch: { temperature: 0.5 } } });
  assert.deepEqual(parse('{"type":"set","smooth":0,"paused":true}'), { ok: true, message: { type: 'set', patch: { smooth: 0, paused: true } } });
  assert.deepEqual(parse('{"type":"get"}'), { ok: true, message: { type: 'get' } });
});

test('control: malformed, unknown, mistyped and out-of-range messages are refused', () => {
  const bad = [
    'not json', '', '[]', 'null', '42', '"set"', '{}', '{"type":1}', '{"type":"reboot"}',
    '{"type":"set"}', '{"type":"set","temperature":"0.5"}', '{"type":"set","temperature":0}',
    '{"type":"set","temperature":1.5}', '{"type":"set","temperature":null}', '{"type":"set","smooth":-0.1}',
    '{"type":"set","smooth":2}', '{"type":"set","paused":"yes"}', '{"type":"set","paused":1}',
    '{"type":"set","temperature":0.5,"extra":1}', '{"type":"set","__proto__":{"paused":true}}',
    '{"type":"get","x":1}', '{"type":"set","temperature":1e999}',
  ];
  for (const s of bad) {
    const r = parse(s);
    assert.equal(r.ok, false, `accepted: ${s}`);
    if (!r.ok) assert.ok(r.error.length > 0 && r.error.length < 200);
  }
  const bin = parseControl(text('{"type":"get"}'), true, { smoothAvailable: true });
  assert.equal(bin.ok, false);
  const big = parseControl(text(`{"type":"get","pad":"${'x'.repeat(MAX_CONTROL_BYTES)}"}`), false, { smoothAvailable: true });
  assert.equal(big.ok, false);
  // Smoothing refused when the server has no smoothing stage (turning it off is fine).
  assert.equal(parse('{"type":"set","smooth":0.5}', false).ok, false);
  assert.equal(parse('{"type":"set","smooth":0}', false).ok, true);
});

test('frame header round trip', () => {
  const h = {
    seq: 123456, width: 640, height: 480, pts: 12.5, decodedAt: 1.7e12 + 0.25, sentAt: 1.7e12 + 30.5,
    stages: { queue: 1.5, prep: 2, infer: 30.25, smooth: 0, compose: 4, jpeg: 3 }, droppedSource: 7, reconnects: 2,
  };
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
  const msg = Buffer.concat([encodeFrameHeader(h), jpeg]);
  assert.equal(msg.length, FRAME_HEADER_BYTES + 4);
  const d = decodeFrameMessage(msg);
  assert.ok(d);
  assert.deepEqual(d.header, h);
  assert.deepEqual([...d.jpeg], [...jpeg]);
  assert.equal(decodeFrameMessage(encodeFrameHeader({ ...h, pts: null }))?.header.pts, null);
  assert.equal(decodeFrameMessage(Buffer.alloc(10)), null);
  assert.equal(decodeFrameMessage(Buffer.alloc(100)), null);
});

test('mailbox keeps the newest items and reports evictions', () => {
  const dropped: number[] = [];
  const box = new LatestMailbox<number>(2, (n) => dropped.push(n));
  for (let i = 1; i <= 5; i++) box.put(i);
  assert.deepEqual(dropped, [1, 2, 3]);
  assert.deepEqual(box.take(1), [4]);
  box.put(6);
  box.clear();
  assert.deepEqual(dropped, [1, 2, 3, 5, 6]);
  assert.equal(box.size, 0);
});

test('backoff: fast first retry, doubling, capped, reset', () => {
  const d = new Backoff();
  assert.deepEqual(Array.from({ length: 9 }, () => d.next()), [200, 320, 512, 819, 1311, 2097, 3355, 5000, 5000]);
  const b = new Backoff({ initialMs: 200, maxMs: 5000, factor: 2 });
  assert.deepEqual(Array.from({ length: 8 }, () => b.next()), [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  b.reset();
  assert.equal(b.next(), 200);
});

function req(headers: Record<string, string>, url = '/'): IncomingMessage {
  return { headers, url } as unknown as IncomingMessage;
}

test('auth: constant-time token check from query, bearer header or x-chroma-token', () => {
  assert.ok(tokensEqual('abc', 'abc'));
  assert.ok(!tokensEqual('abc', 'abd'));
  assert.ok(!tokensEqual('', 'abc'));
  assert.ok(authorized(req({}, '/?token=s3cret'), 's3cret'));
  assert.ok(authorized(req({ authorization: 'Bearer s3cret' }), 's3cret'));
  assert.ok(authorized(req({ 'x-chroma-token': 's3cret' }), 's3cret'));
  assert.ok(!authorized(req({}, '/'), 's3cret'));
  assert.ok(!authorized(req({}, '/?token=wrong'), 's3cret'));
  assert.ok(authorized(req({}, '/'), null));
});

test('auth: Origin and Host checks', () => {
  const h = { host: '127.0.0.1:8080' };
  assert.ok(originAllowed(req(h), []));
  assert.ok(originAllowed(req({ ...h, origin: 'http://127.0.0.1:8080' }), []));
  assert.ok(!originAllowed(req({ ...h, origin: 'http://evil.example' }), []));
  assert.ok(!originAllowed(req({ ...h, origin: 'http://127.0.0.1:9999' }), []));
  assert.ok(!originAllowed(req({ ...h, origin: 'null' }), []));
  assert.ok(originAllowed(req({ ...h, origin: 'https://dash.example:3000' }), ['https://dash.example:3000']));
  assert.ok(originAllowed(req({ ...h, origin: 'http://anything' }), ['*']));
  assert.ok(hostAllowed(req({ host: 'localhost:8080' }), '127.0.0.1'));
  assert.ok(hostAllowed(req({ host: '[::1]:8080' }), '127.0.0.1'));
  assert.ok(!hostAllowed(req({ host: 'evil.example:8080' }), '127.0.0.1'));
  assert.ok(hostAllowed(req({ host: 'cam.lan:8080' }), '0.0.0.0'));
});

test('routes match the raw path only', () => {
  assert.equal(rawPath('/?token=x'), '/');
  assert.equal(rawPath('/%2e%2e/'), '/%2e%2e/');
  assert.equal(rawPath('/../package.json'), '/../package.json');
});

test('source classification', () => {
  const rtsp = classifySource('rtsp://user:pw@cam.local/stream');
  assert.equal(rtsp.kind, 'url');
  assert.equal(rtsp.label, 'rtsp://***@cam.local/stream');
  assert.ok(rtsp.inputArgs.join(' ').includes('-rtsp_transport tcp'));
  assert.ok(rtsp.restartOnEnd);
  assert.equal(redactUrl('http://a.b/x'), 'http://a.b/x');
  const cam = classifySource('/dev/video0', { width: 640, height: 480, fps: 15 });
  assert.equal(cam.kind, 'device');
  assert.deepEqual(cam.inputArgs, ['-f', 'v4l2', '-video_size', '640x480', '-framerate', '15']);
  const file = classifySource('clip.mp4', { loop: true });
  assert.equal(file.kind, 'file');
  assert.deepEqual(file.inputArgs, ['-re', '-stream_loop', '-1']);
  assert.equal(file.restartOnEnd, true);
  assert.equal(classifySource('clip.mp4').restartOnEnd, false);
  const gen = classifySource('testsrc2=size=320x240', { format: 'lavfi' });
  assert.equal(gen.kind, 'lavfi');
  assert.ok(gen.inputArgs.includes('-re'));
});

test('serve CLI: options, env token, usage errors', () => {
  const { options } = serveOptionsFromArgv(['--input', 'rtsp://x/y', '--port', '0', '--quality', '60', '--allow-origin', 'http://a', '--allow-origin', 'http://b', '--smooth', 'medium'], { CHROMA_TOKEN: 'tok' });
  assert.equal(options.input, 'rtsp://x/y');
  assert.equal(options.port, 0);
  assert.equal(options.quality, 60);
  assert.equal(options.token, 'tok');
  assert.equal(options.smooth, 0.75);
  assert.deepEqual(options.allowOrigin, ['http://a', 'http://b']);
  assert.throws(() => serveOptionsFromArgv(['--port', '1']), /missing --input/);
  assert.throws(() => serveOptionsFromArgv(['--input', 'x', '--width', 'wide']), /expected a number/);
  assert.throws(() => serveOptionsFromArgv(['--input', 'x', '--smooth', '3']), /smooth/);
  assert.equal(serveOptionsFromArgv(['--input', 'x', '--smooth', 'off']).options.smooth, undefined);
  assert.equal(serveOptionsFromArgv(['--input', 'x', '--smooth', '0.3']).options.smooth, 0.3);
});

async function captureStderr(fn: () => Promise<number>): Promise<{ code: number; err: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await fn(), err };
  } finally {
    process.stderr.write = write;
  }
}

test('serve CLI: a missing camera is one clear line and exit code 6', async () => {
  const { code, err } = await captureStderr(() => runServeCommand(['--input', '/dev/video9']));
  assert.equal(code, 6);
  assert.equal(err.trim().split('\n').length, 1);
  assert.match(err, /\/dev\/video9: no such video device/);
});

test('serve CLI: usage errors exit 2', async () => {
  const { code } = await captureStderr(() => runServeCommand(['--input', 'x.mp4', '--quality', '500', '--width', '10']));
  assert.equal(code, 2);
  const help = await captureStderr(() => runServeCommand(['--bogus']));
  assert.equal(help.code, 2);
});

test('serve CLI: --exit-on-source-failure makes an unreachable camera one line and exit code 6', async () => {
  const { code, err } = await captureStderr(() => runServeCommand(['--input', 'rtsp://127.0.0.1:1/cam', '--exit-on-source-failure', '--port', '0']));
  assert.equal(code, 6);
  assert.equal(err.trim().split('\n').length, 1, err);
  assert.match(err, /rtsp:\/\/127\.0\.0\.1:1\/cam: cannot open the source/);
});

test('pages: every inline script is a type-checked file of src/server/pages, allowed by its hash and nothing else', () => {
  const dir = new URL('../src/server/pages/', import.meta.url);
  const files = new Map(readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => [readFileSync(new URL(f, dir), 'utf8'), f]));
  const used = new Set<string>();
  for (const page of [buildViewerPage(), buildEditPage(), buildOverviewPage(['a', 'b'])]) {
    const scripts = [...page.body.toString('utf8').matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.ok(scripts.length > 0);
    for (const s of scripts) {
      const file = files.get(s);
      assert.ok(file, `an inline script that is not a pages/*.js file: ${s.slice(0, 60)}`);
      assert.ok(s.startsWith('// @ts-check\n'), file);
      used.add(file);
    }
    const src = /script-src ([^;]*)/.exec(page.contentSecurityPolicy)?.[1];
    assert.equal(src, scripts.map(sha256).join(' '));
  }
  assert.deepEqual([...used].sort(), [...files.values()].sort(), 'every pages/*.js file is served');
});

