import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  HintsError, MAX_HINTS_FILE_BYTES, defaultHintSize, hexToAb, hintFrame, hintSize, parseHints, readHintsFile, referenceImagePath,
  serializeHints, type HintsTarget,
} from '../src/hints/hints-file.js';
import { srgbToLab } from '../src/color/lab.js';
import { exitCodeOf } from '../src/core/errors.js';

const still: HintsTarget = { width: 640, height: 480, source: 'h.json' };
const video: HintsTarget = { width: 640, height: 480, media: 'video', frameCount: 300, fps: 25, source: 'film.json' };
const doc = (hints: unknown[], extra: object = {}) => JSON.stringify({ hints, ...extra });

test('hex colours convert with the project Lab maths; malformed ones are refused', () => {
  const cases: [string, [number, number, number] | null][] = [
    ['#2e7d32', [0x2e, 0x7d, 0x32]],
    ['#B22222', [0xb2, 0x22, 0x22]],
    ['#f00', [255, 0, 0]],
    ['#FfF', [255, 255, 255]],
    ['#12', null],
    ['2e7d32', null],
    ['#2e7d3g', null],
    ['#2e7d321', null],
    ['red', null],
  ];
  for (const [hex, rgb] of cases) {
    const got = hexToAb(hex);
    if (rgb === null) assert.equal(got, null, hex);
    else assert.deepEqual(got, srgbToLab(...rgb).slice(1), hex);
  }
  // published Lab of sRGB red: a 80.09, b 67.20
  const red = hexToAb('#ff0000')!;
  assert.ok(Math.abs(red[0] - 80.09) < 0.02 && Math.abs(red[1] - 67.2) < 0.02, `${red}`);
});

test('the default patch side is the short side / 48, clamped to 3..25', () => {
  const cases: [number, number, number][] = [[640, 480, 10], [1280, 720, 15], [1920, 1080, 23], [100, 100, 3], [4000, 3000, 25], [192, 144, 3]];
  for (const [w, h, want] of cases) assert.equal(defaultHintSize(w, h), want, `${w}x${h}`);
  assert.equal(hintSize({}, 640, 480), 10);
  assert.equal(hintSize({ size: 7 }, 640, 480), 7);
});

test('valid files parse, with colours resolved and defaults left unset', () => {
  const f = parseHints(doc([{ x: 120, y: 80, color: '#2e7d32', size: 7 }, { x: 40, y: 200, ab: [12.5, -30], size: 5 }, { x: 639, y: 479, ab: [0, 0] }]), still);
  assert.equal(f.hints.length, 3);
  assert.deepEqual(f.hints[0].ab, hexToAb('#2e7d32'));
  assert.equal(f.hints[0].color, '#2e7d32');
  assert.deepEqual(f.hints[1].ab, [12.5, -30]);
  assert.equal(f.hints[1].color, undefined);
  assert.equal(f.hints[2].size, undefined);
  assert.equal(f.reference, undefined);

  const v = parseHints(doc([
    { id: 'coat', frame: 120, x: 410, y: 300, color: '#b22222', size: 9, until: 'shot' },
    { time: 2.5, x: 1, y: 2, ab: [1, 2], until: 70 },
    { x: 1, y: 2, ab: [1, 2], until: 'frame' },
    { x: 1, y: 2, ab: [1, 2], until: 'setup' },
  ], { reference: { image: 'family-1952.jpg' } }), video);
  assert.equal(v.hints[0].id, 'coat');
  assert.equal(v.hints[0].until, 'shot');
  assert.equal(hintFrame(v.hints[0], 25), 120);
  assert.equal(hintFrame(v.hints[1], 25), 63);
  assert.equal(hintFrame(v.hints[2], 25), 0);
  assert.equal(v.hints[1].until, 70);
  assert.equal(v.hints[3].until, 'setup');
  assert.deepEqual(v.reference, { image: 'family-1952.jpg', strength: 0.7 });
  assert.equal(referenceImagePath('/films/a/hints.json', v.reference!), '/films/a/family-1952.jpg');
  assert.equal(referenceImagePath('/films/a/hints.json', { image: '/abs/p.jpg', strength: 1 }), '/abs/p.jpg');
  assert.deepEqual(parseHints('{"hints": []}', still).hints, []);
});

test('every bad input is one line naming the hint and key, a HintsError mapped to exit 2', () => {
  const h = { x: 10, y: 10, ab: [1, 2] };
  const cases: [string, string, HintsTarget, RegExp][] = [
    ['not JSON', '{"hints": [', still, /^h\.json: not valid JSON/],
    ['top-level array', '[]', still, /^h\.json: expected an object/],
    ['missing hints', '{}', still, /^h\.json: hints: missing/],
    ['hints not an array', '{"hints": {}}', still, /^h\.json: hints: must be an array/],
    ['unknown top key', doc([], { hint: [] }), still, /^h\.json: hint: unknown key/],
    ['hint not an object', doc([h, 3]), still, /^h\.json: hints\[1\]: must be an object/],
    ['unknown hint key', doc([{ ...h, colour: '#fff' }]), still, /^h\.json: hints\[0\]\.colour: unknown key/],
    ['x missing', doc([{ y: 1, ab: [0, 0] }]), still, /hints\[0\]\.x: missing/],
    ['x outside', doc([h, { ...h, x: 700 }]), still, /hints\[1\]\.x: 700 is outside the picture \(0\.\.639\)/],
    ['x = width', doc([{ ...h, x: 640 }]), still, /hints\[0\]\.x: 640 is outside/],
    ['y negative', doc([{ ...h, y: -1 }]), still, /hints\[0\]\.y: -1 is outside the picture \(0\.\.479\)/],
    ['x a string', doc([{ ...h, x: '5' }]), still, /hints\[0\]\.x: "5" is not a finite number/],
    ['y null (NaN in JSON.stringify)', doc([{ ...h, y: NaN }]), still, /hints\[0\]\.y: null is not a finite number/],
    ['y huge', '{"hints": [{"x": 1, "y": 1e999, "ab": [0, 0]}]}', still, /hints\[0\]\.y: Infinity is not a finite number/],
    ['neither colour', doc([{ x: 1, y: 1 }]), still, /hints\[0\]\.color: missing/],
    ['both colours', doc([{ ...h, color: '#fff' }]), still, /hints\[0\]\.ab: give "color" or "ab", not both/],
    ['bad hex', doc([{ x: 1, y: 1, color: '#12' }]), still, /hints\[0\]\.color: "#12" is not an sRGB hex colour/],
    ['colour a number', doc([{ x: 1, y: 1, color: 0xff0000 }]), still, /hints\[0\]\.color: 16711680 is not/],
    ['ab one value', doc([{ x: 1, y: 1, ab: [1] }]), still, /hints\[0\]\.ab: \[1\] is not \[a, b\]/],
    ['ab out of range', doc([{ x: 1, y: 1, ab: [1, 300] }]), still, /hints\[0\]\.ab: \[1,300\] is not/],
    ['ab strings', doc([{ x: 1, y: 1, ab: ['1', 2] }]), still, /hints\[0\]\.ab: /],
    ['size zero', doc([{ ...h, size: 0 }]), still, /hints\[0\]\.size: 0 is not a patch side in pixels \(an integer 1\.\.480\)/],
    ['size fractional', doc([{ ...h, size: 2.5 }]), still, /hints\[0\]\.size: 2\.5 is not/],
    ['size too big', doc([{ ...h, size: 481 }]), still, /hints\[0\]\.size: 481/],
    ['frame on a still', doc([{ ...h, frame: 3 }]), still, /hints\[0\]\.frame: applies to video only/],
    ['until on a still', doc([{ ...h, until: 'shot' }]), still, /hints\[0\]\.until: applies to video only/],
    ['a setup hint on a still', doc([{ ...h, until: 'setup' }]), still, /hints\[0\]\.until: applies to video only/],
    ['frame and time', doc([{ ...h, frame: 1, time: 1 }]), video, /^film\.json: hints\[0\]\.time: give "frame" or "time", not both/],
    ['frame past the end', doc([{ ...h, frame: 300 }]), video, /hints\[0\]\.frame: 300 is not a frame of this video \(an integer 0\.\.299\)/],
    ['frame fractional', doc([{ ...h, frame: 1.5 }]), video, /hints\[0\]\.frame: 1\.5/],
    ['time negative', doc([{ ...h, time: -0.1 }]), video, /hints\[0\]\.time: -0\.1 is not a time in this video/],
    ['time past the end', doc([{ ...h, time: 12 }]), video, /hints\[0\]\.time: 12 is not a time/],
    ['until a word', doc([{ ...h, until: 'scene' }]), video, /hints\[0\]\.until: "scene" is not "frame", "shot", "setup" or a frame number/],
    ['until before frame', doc([{ ...h, frame: 50, until: 40 }]), video, /hints\[0\]\.until: 40 is not a frame from this hint's own \(50\) on \(an integer 50\.\.299\)/],
    ['until before time', doc([{ ...h, time: 2, until: 10 }]), video, /hints\[0\]\.until: 10 is not .*\(an integer 50\.\.299\)/],
    ['id empty', doc([{ ...h, id: '' }]), video, /hints\[0\]\.id: "" is not a name/],
    ['id a number', doc([{ ...h, id: 7 }]), video, /hints\[0\]\.id: 7 is not a name/],
    ['id twice', doc([{ ...h, id: 'coat' }, { ...h, id: 'car' }, { ...h, id: 'coat' }]), video, /hints\[2\]\.id: "coat" is already the id of hints\[0\]/],
    ['reference not an object', doc([], { reference: 'a.jpg' }), still, /^h\.json: reference: must be an object/],
    ['reference unknown key', doc([], { reference: { image: 'a.jpg', path: 'b' } }), still, /reference\.path: unknown key/],
    ['reference without image', doc([], { reference: { strength: 1 } }), still, /reference\.image: missing/],
    ['reference image empty', doc([], { reference: { image: '' } }), still, /reference\.image: "" is not a path/],
    ['reference strength > 1', doc([], { reference: { image: 'a.jpg', strength: 1.5 } }), still, /reference\.strength: 1\.5 is not a number 0\.\.1/],
    ['too many hints', doc(Array(5).fill(h)), { ...still, maxHints: 4 }, /hints: 5 hints, more than the 4 allowed/],
  ];
  for (const [name, text, target, want] of cases) {
    let err: unknown;
    try {
      parseHints(text, target);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof HintsError, `${name}: expected a HintsError, got ${err}`);
    assert.match(err.message, want, name);
    assert.doesNotMatch(err.message, /\n/, `${name}: one line`);
    assert.equal(exitCodeOf(err), 2, name);
    if (process.env.SHOW_MESSAGES) console.log(err.message);
  }
});

test('serializeHints writes what parseHints reads back, unchanged', () => {
  const cases: [string, string, HintsTarget][] = [
    ['still', doc([{ x: 120, y: 80, color: '#2e7d32', size: 7 }, { x: 40.5, y: 200, ab: [12.5, -30] }]), still],
    ['video', doc([
      { id: 'coat', frame: 120, x: 410, y: 300, color: '#b22222', size: 9, until: 'shot' },
      { time: 2.5, x: 1, y: 2, ab: [-127.5, 3e-7], until: 70 },
      { x: 0, y: 479, color: '#ABC', until: 'frame' },
    ], { reference: { image: '../photos/family 1952.jpg', strength: 0.25 } }), video],
    ['empty', '{"hints": []}', still],
    ['empty with reference', doc([], { reference: { image: 'r.png', strength: 0 } }), video],
  ];
  for (const [name, text, target] of cases) {
    const first = parseHints(text, target);
    const written = serializeHints(first);
    const again = parseHints(written, target);
    assert.deepEqual(again, first, name);
    assert.equal(serializeHints(again), written, `${name}: stable`);
    assert.ok(written.endsWith('}\n'), name);
  }
});

test('readHintsFile reads a file; a missing one is a HintsError naming the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chroma-hints-'));
  try {
    const path = join(dir, 'h.json');
    writeFileSync(path, doc([{ x: 1, y: 1, color: '#fff' }]));
    const f = await readHintsFile(path, still);
    assert.equal(f.hints.length, 1);
    writeFileSync(path, doc([{ x: 1, y: 1 }]));
    await assert.rejects(readHintsFile(path, still), (e: Error) => e instanceof HintsError && e.message.startsWith(`${path}: hints[0].color: missing`));
    await assert.rejects(readHintsFile(join(dir, 'nope.json'), still), (e: Error) => e instanceof HintsError && /nope\.json: cannot read the hints file \(ENOENT\)/.test(e.message));
    await assert.rejects(readHintsFile(dir, still), (e: Error) => e instanceof HintsError && /cannot read the hints file \(EISDIR\)/.test(e.message));
    writeFileSync(path, Buffer.alloc(MAX_HINTS_FILE_BYTES + 1, 32));
    await assert.rejects(readHintsFile(path, still), (e: Error) => e instanceof HintsError && /h\.json: 16777217 bytes is too large for a hints file/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
