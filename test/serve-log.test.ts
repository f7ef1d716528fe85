// serve's log lines (src/server/log.ts) and the options that shape them: timestamp, level and
// source on every line, JSON for shippers, and secrets scrubbed whoever wrote the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, formatLogRecord, urlSecrets } from '../src/server/log.js';
import { serveOptionsFromArgv } from '../src/cli/serve-cli.js';
import { ChromaError } from '../src/core/errors.js';

const at = new Date('2026-03-04T05:06:07.089Z');

test('log: text and json lines', () => {
  const r = { time: at, level: 'warn' as const, source: 'lobby', message: 'source: connected' };
  assert.equal(formatLogRecord(r, 'text'), '2026-03-04T05:06:07.089Z warn  [lobby] source: connected');
  assert.deepEqual(JSON.parse(formatLogRecord(r, 'json')), { time: '2026-03-04T05:06:07.089Z', level: 'warn', source: 'lobby', message: 'source: connected' });
});

const secretCases: { url: string; secrets: string[] }[] = [
  { url: 'rtsp://cam.local/stream', secrets: [] },
  { url: 'rtsp://alice:s%3Acret@cam/x', secrets: ['alice:s%3Acret', 'alice:s:cret', 's%3Acret', 's:cret'] },
  { url: 'rtsp://admin:12345@10.0.0.2:554/h264', secrets: ['admin:12345', '12345'] },
  { url: '/dev/video0', secrets: [] },
];
for (const c of secretCases) {
  test(`log: secrets of ${c.url}`, () => assert.deepEqual([...new Set(urlSecrets(c.url))].sort(), [...new Set(c.secrets)].sort()));
}

test('log: every line carries time and source; secrets never get through', () => {
  const lines: string[] = [];
  const log = createLogger('door', { write: (l) => lines.push(l), secrets: urlSecrets('rtsp://bob:hunter2%21@cam/x'), now: () => at });
  log.info('ffmpeg: rtsp://bob:hunter2%21@cam/x: 401 Unauthorized');
  log.error('password is hunter2! here');
  log.child('lobby').warn('hunter2%21');
  assert.deepEqual(lines, [
    '2026-03-04T05:06:07.089Z info  [door] ffmpeg: rtsp://***@cam/x: 401 Unauthorized',
    '2026-03-04T05:06:07.089Z error [door] password is *** here',
    '2026-03-04T05:06:07.089Z warn  [lobby] ***',
  ]);
});

const argvCases: { argv: string[]; ok?: Record<string, unknown>; error?: RegExp }[] = [
  { argv: ['--input', 'rtsp://x/y'], ok: { rtspTransport: 'tcp', logFormat: 'text', exitOnSourceFailure: undefined } },
  { argv: ['--input', 'rtsp://x/y', '--rtsp-transport', 'udp', '--log-format', 'json', '--exit-on-source-failure'], ok: { rtspTransport: 'udp', logFormat: 'json', exitOnSourceFailure: true } },
  { argv: ['--input', 'rtsp://x/y', '--rtsp-transport', 'auto'], ok: { rtspTransport: 'auto' } },
  { argv: ['--input', 'rtsp://x/y', '--rtsp-transport', 'quic'], error: /--rtsp-transport quic: expected tcp, udp or auto/ },
  { argv: ['--input', 'rtsp://x/y', '--log-format', 'xml'], error: /--log-format xml: expected text or json/ },
];
for (const c of argvCases) {
  test(`serve argv: ${c.argv.slice(2).join(' ') || '(defaults)'}`, () => {
    if (c.error) {
      assert.throws(() => serveOptionsFromArgv(c.argv, {}), (e: unknown) => e instanceof ChromaError && e.kind === 'usage' && c.error!.test(e.message));
      return;
    }
    const { options } = serveOptionsFromArgv(c.argv, {});
    for (const [k, v] of Object.entries(c.ok!)) assert.equal((options as unknown as Record<string, unknown>)[k], v, k);
  });
}
