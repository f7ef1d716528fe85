// Property tests of the text parsers: the hints file (and its save -> load round trip), the live
// viewer's control and hint messages, the editor's messages, the browser camera's upload frames,
// the flag parser, source specs and store URLs and keys. Each answers with a value or its own
// refusal (a ChromaError, or {ok: false, error} for socket messages), never anything else, in
// bounded time. CHROMA_FUZZ_RUNS cases per property (default 2000), seed CHROMA_FUZZ_SEED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { parseHints, serializeHints, validateHints, HintsError, type HintsFile, type Hint, type HintsTarget } from '../src/hints/hints-file.js';
import { parseControl, MAX_CONTROL_BYTES, type ControlMessage } from '../src/server/control.js';
import { parseEditMessage, MAX_EDIT_MESSAGE_BYTES } from '../src/server/edit-control.js';
import { parseUpload, encodeUpload, MAX_UPLOAD_BYTES, UPLOAD_MAGIC } from '../src/server/webcam-upload.js';
import { parseFlags, readFlag } from '../src/cli/flags.js';
import { option } from '../src/core/options.js';
import { classifySource, redactUrl } from '../src/server/source-spec.js';
import { parseNamedInput } from '../src/server/multi.js';
import { parseStoreSpec, checkStoreKey } from '../src/jobs/queue/store.js';
import { ChromaError } from '../src/core/errors.js';
import { check, onlyOwnError, thrown } from './helpers/fuzz.js';

// ---- generators -------------------------------------------------------------------------------

/** JSON values with the keys and values these parsers look at mixed into random ones. */
const KEYS = ['type', 'x', 'y', 'color', 'ab', 'size', 'frame', 'time', 'until', 'id', 'hints', 'reference', 'image', 'strength',
  'temperature', 'smooth', 'paused', 'file', '__proto__', 'constructor', 'toString'];
const TYPES = ['set', 'get', 'hint', 'unhint', 'clear-hints', 'seek', 'suggest', 'add', 'update', 'delete', 'load', 'save', 'explode', ''];
const leaf = fc.oneof(
  fc.integer({ min: -5, max: 700 }), fc.double(), fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53, 0.5, 1, NaN),
  fc.string({ maxLength: 12 }), fc.constantFrom('#ff0000', '#abc', '#12345g', 'frame', 'shot', 'red', '', '\u0000', 'h1'),
  fc.boolean(), fc.constant(null),
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('arr'), tie('obj')),
  arr: fc.array(tie('json'), { maxLength: 5 }),
  obj: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('json'), { maxKeys: 6 }),
}));
/** Objects shaped like messages: a known (or unknown) type and plausible fields. */
const message = fc.record({ type: fc.constantFrom(...TYPES) }).chain((m) =>
  fc.dictionary(fc.constantFrom(...KEYS), fc.oneof(leaf, json), { maxKeys: 5 }).map((rest) => ({ ...rest, ...m })));
/** What a socket receives: text (JSON or not, any size around the caps) or binary. */
const frame = fc.oneof(
  message.map((m) => ({ data: Buffer.from(JSON.stringify(m)), binary: false })),
  json.map((v) => ({ data: Buffer.from(JSON.stringify(v) ?? 'undefined'), binary: false })),
  fc.string({ maxLength: 64 }).map((s) => ({ data: Buffer.from(s), binary: false })),
  fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.boolean()).map(([b, binary]) => ({ data: Buffer.from(b), binary })),
  fc.constantFrom(4095, 4096, 4097, 300_000).map((n) => ({ data: Buffer.from(`{"type":"set","x":"${'a'.repeat(Math.max(0, n - 22))}"}`), binary: false })),
  fc.integer({ min: 1, max: 2000 }).map((d) => ({ data: Buffer.from(`${'['.repeat(d)}${']'.repeat(d)}`), binary: false })),
);

// ---- the hints file ---------------------------------------------------------------------------

const target: fc.Arbitrary<HintsTarget> = fc.record({
  width: fc.integer({ min: 1, max: 4096 }), height: fc.integer({ min: 1, max: 4096 }),
  media: fc.constantFrom<'image' | 'video'>('image', 'video'),
  frameCount: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
  fps: fc.option(fc.double({ min: 1, max: 120, noNaN: true }), { nil: undefined }),
});

test('hints file: any text or JSON value is a hints file or one HintsError line (exit 2)', () => {
  check('parseHints (text)', fc.tuple(fc.oneof(fc.string({ maxLength: 200 }), json.map((v) => JSON.stringify(v) ?? '')), target), ([text, t]) => {
    const e = thrown(() => parseHints(text, t));
    onlyOwnError(e, [HintsError], text);
    if (e) assert.ok(!(e as Error).message.includes('\n'), 'one line');
  });
  check('validateHints (shaped)', fc.tuple(fc.record({ hints: fc.array(fc.oneof(message, json), { maxLength: 4 }) }, { requiredKeys: [] }), target), ([v, t]) => {
    onlyOwnError(thrown(() => validateHints(v, t)), [HintsError], v);
  });
});

/** Valid hints files for a target, with their colours written either way. */
function hintsFor(t: { width: number; height: number; frames: number }): fc.Arbitrary<HintsFile> {
  const hint: fc.Arbitrary<Hint> = fc.record({
    x: fc.double({ min: 0, max: t.width - 1, noNaN: true, noDefaultInfinity: true }),
    y: fc.double({ min: 0, max: t.height - 1, noNaN: true, noDefaultInfinity: true }),
    colour: fc.oneof(
      fc.integer({ min: 0, max: 0xffffff }).map((n) => ({ color: `#${n.toString(16).padStart(6, '0')}` })),
      fc.tuple(fc.double({ min: -128, max: 128, noNaN: true }), fc.double({ min: -128, max: 128, noNaN: true })).map((ab) => ({ ab })),
    ),
    size: fc.option(fc.integer({ min: 1, max: Math.min(t.width, t.height) }), { nil: undefined }),
    frame: fc.option(fc.integer({ min: 0, max: t.frames - 1 }), { nil: undefined }),
    until: fc.option(fc.constantFrom<'frame' | 'shot'>('frame', 'shot'), { nil: undefined }),
  }).map((r) => {
    const h = { x: r.x + 0, y: r.y + 0 } as Hint; // + 0: JSON has no -0
    if ('color' in r.colour) h.color = r.colour.color;
    h.ab = 'ab' in r.colour ? [r.colour.ab[0] + 0, r.colour.ab[1] + 0] : [0, 0];
    if (r.size !== undefined) h.size = r.size;
    if (r.frame !== undefined) h.frame = r.frame;
    if (r.until !== undefined) h.until = r.until;
    return h;
  });
  return fc.record({
    hints: fc.uniqueArray(fc.tuple(hint, fc.option(fc.string({ minLength: 1, maxLength: 64 }), { nil: undefined })), { maxLength: 12, selector: ([, id]) => id ?? Symbol() })
      .map((l) => l.map(([h, id]) => (id === undefined ? h : { id, ...h }))),
    reference: fc.option(fc.record({ image: fc.string({ minLength: 1, maxLength: 30 }), strength: fc.double({ min: 0, max: 1, noNaN: true }).map((s) => s + 0) }), { nil: undefined }),
  }, { requiredKeys: ['hints'] });
}

test('hints file: save -> load gives back the same hints (and saving again the same text)', () => {
  const t = { width: 640, height: 480, frames: 500, media: 'video' as const, frameCount: 500, fps: 25 };
  check('hints round trip', hintsFor({ width: 640, height: 480, frames: 500 }), (file) => {
    const text = serializeHints(file);
    const back = parseHints(text, t);
    // A colour given as hex comes back with the ab it stands for; compare what was written.
    const want = file.hints.map((h) => (h.color ? { ...h, ab: back.hints[file.hints.indexOf(h)].ab } : h));
    assert.deepEqual(back.hints, want);
    if (file.reference) assert.deepEqual(back.reference, { ...file.reference }); // fast-check's records have no prototype
    assert.equal(serializeHints(back), text);
  });
});

// ---- live viewer messages ---------------------------------------------------------------------

test('live control and hint messages: a parsed message or one short error, never a throw', () => {
  const opts = fc.record({ smoothAvailable: fc.boolean(), width: fc.integer({ min: 0, max: 4000 }), height: fc.integer({ min: 0, max: 4000 }) });
  check('parseControl', fc.tuple(frame, opts), ([f, o]) => {
    let r: ReturnType<typeof parseControl> | undefined;
    onlyOwnError(thrown(() => (r = parseControl(f.data, f.binary, o))), []);
    if (!r!.ok) assert.ok(r!.error.length > 0 && r!.error.length <= 200, r!.error);
    else {
      assert.ok(!f.binary && f.data.length <= MAX_CONTROL_BYTES);
      checkAccepted(r!.message, o);
    }
  });
});

/** What an accepted message promises the server: values in range, nothing else. */
function checkAccepted(m: ControlMessage, o: { width: number; height: number; smoothAvailable: boolean }): void {
  if (m.type === 'set') {
    const p = m.patch;
    assert.ok(Object.keys(p).length > 0 && Object.keys(p).every((k) => ['temperature', 'smooth', 'paused'].includes(k)));
    if (p.temperature !== undefined) assert.ok(p.temperature >= 0.05 && p.temperature <= 1);
    if (p.smooth !== undefined) assert.ok(p.smooth >= 0 && p.smooth <= 1 && (o.smoothAvailable || p.smooth === 0));
  } else if (m.type === 'hint') {
    const h = m.hint;
    assert.ok(h.x >= 0 && h.x <= o.width - 1 && h.y >= 0 && h.y <= o.height - 1);
    assert.match(h.color, /^#[0-9a-f]{6}$/);
    assert.ok(h.ab.every(Number.isFinite));
    if (h.size !== undefined) assert.ok(Number.isInteger(h.size) && h.size >= 1 && h.size <= Math.min(o.width, o.height));
  } else if (m.type === 'unhint') assert.ok(m.id.length >= 1 && m.id.length <= 64);
}

test('live hint messages: every valid click is accepted with its values', () => {
  check('parseControl (valid hints)', fc.record({ w: fc.integer({ min: 1, max: 4000 }), h: fc.integer({ min: 1, max: 4000 }) }).chain(({ w, h }) => fc.record({
    w: fc.constant(w), h: fc.constant(h),
    x: fc.double({ min: 0, max: w - 1, noNaN: true }), y: fc.double({ min: 0, max: h - 1, noNaN: true }),
    color: fc.integer({ min: 0, max: 0xffffff }).map((n) => `#${n.toString(16).padStart(6, '0')}`),
    size: fc.integer({ min: 1, max: Math.min(w, h) }),
  })), (c) => {
    const r = parseControl(Buffer.from(JSON.stringify({ type: 'hint', x: c.x, y: c.y, color: c.color, size: c.size })), false, { smoothAvailable: false, width: c.w, height: c.h });
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.deepEqual(r.ok && r.message.type === 'hint' && [r.message.hint.x, r.message.hint.y, r.message.hint.color, r.message.hint.size], [c.x + 0, c.y + 0, c.color, c.size]);
  });
});

// ---- editor messages --------------------------------------------------------------------------

test('editor messages: a parsed message with only its own fields, or one short error', () => {
  check('parseEditMessage', frame, (f) => {
    let r: ReturnType<typeof parseEditMessage> | undefined;
    onlyOwnError(thrown(() => (r = parseEditMessage(f.data, f.binary))), []);
    if (!r!.ok) assert.ok(r!.error.length > 0 && r!.error.length <= 200, r!.error);
    else assert.ok(!f.binary && f.data.length <= MAX_EDIT_MESSAGE_BYTES && TYPES.includes(r!.message.type));
  });
});

// ---- camera uploads ---------------------------------------------------------------------------

test('camera uploads: any binary message is a frame or one error; encode -> parse round trips', () => {
  const header = fc.tuple(fc.nat(), fc.double()).map(([seq, t]) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(UPLOAD_MAGIC, 0);
    h.writeUInt32LE(seq >>> 0, 4);
    h.writeDoubleLE(t, 8);
    return h;
  });
  const upload = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.tuple(header, fc.uint8Array({ maxLength: 64 })).map(([h, b]) => Buffer.concat([h, Buffer.from([0xff, 0xd8]), b])),
    fc.tuple(header, fc.uint8Array({ maxLength: 64 })).map(([h, b]) => Buffer.concat([h, b])),
    fc.constantFrom(MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES + 1).map((n) => { const b = Buffer.alloc(n); b.writeUInt32LE(UPLOAD_MAGIC, 0); b[16] = 0xff; b[17] = 0xd8; return b; }),
  );
  check('parseUpload', upload, (b) => {
    let r: ReturnType<typeof parseUpload> | undefined;
    onlyOwnError(thrown(() => (r = parseUpload(b))), []);
    if (r!.ok) assert.ok(b.length <= MAX_UPLOAD_BYTES && r!.upload.jpeg[0] === 0xff && Number.isFinite(r!.upload.capturedAt));
    else assert.ok(r!.error.length <= 200);
  });
  check('upload round trip', fc.record({ seq: fc.nat({ max: 2 ** 32 - 1 }), capturedAt: fc.double({ noNaN: true, noDefaultInfinity: true }), jpeg: fc.uint8Array({ maxLength: 100 }) }), (u) => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(u.jpeg)]); // a frame is at least 4 bytes
    const r = parseUpload(encodeUpload({ seq: u.seq, capturedAt: u.capturedAt, jpeg }));
    assert.ok(r.ok);
    assert.deepEqual([r.ok && r.upload.seq, r.ok && r.upload.capturedAt, r.ok && r.upload.jpeg.equals(jpeg)], [u.seq, u.capturedAt, true]);
  });
});

// ---- the flag parser --------------------------------------------------------------------------

test('flag parser: any argv is parsed or refused with one usage line naming --help', () => {
  const options = [
    option({ flag: 'output', short: 'o', type: 'string', doc: '' }), option({ flag: 'temperature', type: 'number', doc: '' }),
    option({ flag: 'json', type: 'boolean', doc: '' }), option({ flag: 'input', type: 'string', multiple: true, doc: '' }),
    option({ flag: 'help', short: 'h', type: 'boolean', doc: '' }),
  ] as const;
  const arg = fc.oneof(
    fc.constantFrom('-o', '--output', '--temperature', '--json', '--json=1', '--input', '-h', '--', '-', '--nope', '-x', '-oh', '--=', '---', '-o=', '--output='),
    fc.string({ maxLength: 10 }), fc.string({ maxLength: 6 }).map((s) => `--${s}`), fc.string({ maxLength: 4 }).map((s) => `-${s}`),
  );
  check('parseFlags', fc.array(arg, { maxLength: 8 }), (argv) => {
    const e = thrown(() => parseFlags('colorize', argv, options));
    onlyOwnError(e, [ChromaError], argv);
    if (e) {
      assert.equal((e as ChromaError).kind, 'usage');
      assert.match((e as Error).message, /\(see chroma colorize --help\)$/);
      assert.ok(!(e as Error).message.includes('\n'));
    }
  });
  check('readFlag (numbers)', fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.double().map(String), fc.constantFrom('', ' ', '1e999', '0x10', '-0', 'NaN', 'Infinity', '1_000')), fc.boolean()), ([raw, integer]) => {
    let v: number | undefined;
    const e = thrown(() => (v = readFlag(option({ flag: 'batch', type: integer ? 'integer' : 'number', min: 1, max: 256, doc: '' }), raw)));
    onlyOwnError(e, [ChromaError], raw);
    if (!e) assert.ok(v! >= 1 && v! <= 256 && (!integer || Number.isInteger(v)));
    else assert.match((e as Error).message, /^--batch .*: expected (an? (integer|number) in \[1, 256\]|a number \(an integer in \[1, 256\]\))$/s);
  });
});

// ---- source specs and store URLs --------------------------------------------------------------

test('source specs: any --input is classified or refused as usage/input; credentials never reach the label', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{6,12}$/).map((s) => `pw${s}`);
  const input = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.tuple(fc.constantFrom('rtsp', 'rtsps', 'http', 'https', 'rtmp', 'tcp', 'file', 'srt', 'RTSP'), fc.string({ maxLength: 6 }), secret, fc.string({ maxLength: 20 }))
      .map(([scheme, user, pw, rest]) => `${scheme}://${user.replace(/[@/?#:]/g, '')}:${pw}@cam.local/${rest.replace(/@/g, '')}`),
    fc.constantFrom('-', '/dev/video0', '/dev/video', 'NAME=rtsp://a/b', '=x', 'lobby='),
  );
  const opts = fc.record({ loop: fc.boolean(), format: fc.option(fc.constantFrom('lavfi', 'v4l2', 'mpegts', 'rawvideo'), { nil: undefined }), realtime: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: [] });
  check('classifySource', fc.tuple(input, opts), ([s, o]) => {
    let spec: ReturnType<typeof classifySource> | undefined;
    const e = thrown(() => (spec = classifySource(s, o)));
    onlyOwnError(e, [ChromaError], s);
    const pw = /:(pw[A-Za-z0-9]+)@/.exec(s)?.[1];
    if (spec && pw && spec.kind === 'url') {
      assert.ok(!spec.label.includes(pw), `label ${spec.label} shows the password`);
      assert.ok(!redactUrl(s).includes(pw));
    }
    onlyOwnError(thrown(() => parseNamedInput(s)), []);
  });
});

test('store URLs and keys: any --store parses or is one usage line; no key can name a file outside the store', () => {
  const spec = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.tuple(fc.constantFrom('s3://', 'S3://', 'file://', 'file:///', 'http://', 'file://host/', 's3:///'), fc.string({ maxLength: 30 })).map(([a, b]) => a + b),
    fc.constantFrom('s3://[', 's3://b/p?endpoint=http://x:9000', 'file:///a%2Fb', 'file:///%00', 'file://localhost/tmp/x', '\0'),
  );
  check('parseStoreSpec', spec, (s) => {
    let p: ReturnType<typeof parseStoreSpec> | undefined;
    const e = thrown(() => (p = parseStoreSpec(s)));
    onlyOwnError(e, [ChromaError], s);
    if (e) assert.equal((e as ChromaError).kind, 'usage');
    if (p?.kind === 'directory') assert.ok(p.root.startsWith('/'));
  });
  const root = '/srv/store';
  const key = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.array(fc.oneof(fc.constantFrom('..', '.', '', 'runs', 'r1', 'f0', '..\\..', 'a\u0000b', '%2e%2e'), fc.string({ maxLength: 6 })), { maxLength: 6 }).map((a) => a.join('/')),
    fc.constantFrom('/etc/passwd', 'runs/../../x', 'runs/r/../../..', 'runs/r1/f0/seg-0001.nut', 'runs/r1/'),
  );
  check('checkStoreKey', key, (k) => {
    let ok = false;
    const e = thrown(() => (ok = checkStoreKey(k) === k));
    onlyOwnError(e, [ChromaError], k);
    if (ok) {
      const p = resolve(join(root, k));
      assert.ok(p === root || p.startsWith(root + sep), `${JSON.stringify(k)} leaves the store: ${p}`);
      assert.ok(p !== root, `${JSON.stringify(k)} names the store itself`);
    }
  });
});
