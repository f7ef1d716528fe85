// Property tests of everything that reads a model file a stranger may hand over: the restricted
// unpickler, the zip reader, the .pth state-dict loader, the converter, the ONNX metadata reader and
// loading an ONNX file. Each refuses with its own error only (never a TypeError, RangeError or a
// crash), in bounded time and memory; and the CLI turns every refusal into exit 5 with one line
// naming the file. Cases: CHROMA_FUZZ_RUNS (default 2000) per property, seed CHROMA_FUZZ_SEED.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { unpickle, PickleError } from '../src/model/pth/pickle.js';
import { ZipReader, ZipError } from '../src/model/pth/zip.js';
import { loadStateDict, CheckpointError, type StateDict } from '../src/model/pth/load.js';
import { convertStateDict, ConvertError } from '../src/model/convert.js';
import { readMetadataProps } from '../src/onnx/builder.js';
import { loadModel } from '../src/model/load-model.js';
import { ChromaError } from '../src/core/errors.js';
import { runModelsCommand } from '../src/cli/models-cli.js';
import { makeLogitsFixture } from './helpers/model-fixtures.js';
import { bytesNear, check, checkAsync, onlyOwnError, thrown } from './helpers/fuzz.js';

const FIX = new URL('./fixtures/models/', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
/** The CLI as a user runs it, from source (the checkout's ./chroma needs a build). */
const chroma = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });
const fixture = (f: string) => new Uint8Array(readFileSync(join(FIX, f)));
const dir = mkdtempSync(join(tmpdir(), 'chroma-props-model-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// ---- hostile files the contract names --------------------------------------------------------

/** A protocol-2 pickle calling os.system('echo pwned > FILE'): refused before anything is called. */
function osSystemPickle(marker: string): Buffer {
  const cmd = Buffer.from(`echo pwned > ${marker}`);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(cmd.length);
  return Buffer.concat([Buffer.from([0x80, 2, 0x63]), Buffer.from('os\nsystem\n'), Buffer.from([0x58]), len, cmd, Buffer.from([0x85, 0x52, 0x2e])]);
}

/** eccv16_small with model8.6.weight's size tuple changed from (313, 16, 1, 1) to (313, 8, 1, 1). */
function wrongShapePth(): Buffer {
  const b = Buffer.from(readFileSync(join(FIX, 'eccv16_small.legacy.pth')));
  const from = Buffer.from('(M9\x01K\x10K\x01K\x01t', 'latin1');
  const at = b.indexOf(from);
  assert.ok(at > 0, 'the size tuple of model8.6.weight is in the fixture');
  b[at + 5] = 8;
  return b;
}

function capture(): { stream: Writable; text: () => string } {
  let s = '';
  return { stream: new Writable({ write(c, _e, cb) { s += String(c); cb(); } }), text: () => s };
}

// ---- the pickle reader ------------------------------------------------------------------------

const OPCODES = [0x80, 0x95, 0x2e, 0x28, 0x30, 0x31, 0x32, 0x4e, 0x88, 0x89, 0x4a, 0x4b, 0x4d, 0x8a, 0x8b, 0x49, 0x4c, 0x47, 0x46,
  0x58, 0x8c, 0x8d, 0x54, 0x55, 0x42, 0x43, 0x8e, 0x96, 0x7d, 0x5d, 0x29, 0x8f, 0x74, 0x85, 0x86, 0x87, 0x6c, 0x91, 0x64, 0x61,
  0x65, 0x90, 0x73, 0x75, 0x71, 0x72, 0x94, 0x70, 0x68, 0x6a, 0x67, 0x63, 0x93, 0x52, 0x81, 0x92, 0x62, 0x51, 0x50, 0x69, 0x6f];

/** Pickles built from real opcodes with short random operands: they get past the first byte. */
const opcodeSoup = fc.array(fc.tuple(fc.constantFrom(...OPCODES), fc.uint8Array({ maxLength: 9 }), fc.boolean()), { maxLength: 60 })
  .map((ops) => Buffer.concat([...ops.map(([op, arg, nl]) => Buffer.concat([Buffer.of(op), arg, nl ? Buffer.from('\n') : Buffer.alloc(0)])), Buffer.of(0x2e)]));

const pickleSeeds = [osSystemPickle('/nonexistent'), Buffer.from([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x4b, 1, 0x73, 0x2e]),
  new ZipReader(fixture('misc.zip.pth')).read('misc.zip/data.pkl'), fixture('misc.legacy.pth'), fixture('not_a_state_dict.pth')];

test('pickle reader: any bytes are unpickled or refused with a PickleError, quickly', () => {
  const persistentLoad = (pid: unknown) => pid;
  check('unpickle', fc.oneof(bytesNear(pickleSeeds), opcodeSoup), (b) => {
    const e = thrown(() => unpickle(b, { persistentLoad }));
    onlyOwnError(e, [PickleError], Buffer.from(b).toString('hex').slice(0, 200));
  });
});

test('pickle reader: what the fuzzer found stays fixed (quadratic integers, huge MARK groups, junk INT text)', () => {
  // A 4 MB LONG4 took minutes (BigInt built byte by byte); now refused at once.
  const long = Buffer.concat([Buffer.from([0x80, 2, 0x8b]), Buffer.from(Uint32Array.of(4 << 20).buffer), Buffer.alloc(4 << 20, 0x7f), Buffer.of(0x2e)]);
  const t0 = performance.now();
  assert.throws(() => unpickle(long), (e) => e instanceof PickleError && /too long/.test(e.message));
  assert.ok(performance.now() - t0 < 500);
  // APPENDS of 300,000 items overflowed the call stack (RangeError) through push(...items).
  const many = Buffer.concat([Buffer.from([0x80, 2, 0x5d, 0x28]), Buffer.alloc(300_000, 0x4e), Buffer.from([0x65, 0x2e])]);
  assert.equal((unpickle(many).value as unknown[]).length, 300_000);
  // INT with text that is not a number threw a SyntaxError from BigInt().
  assert.throws(() => unpickle(Buffer.from('Iabc\n.', 'latin1')), PickleError);
  // The os.system pickle names the global and calls nothing.
  const marker = join(dir, 'pwned');
  assert.throws(() => unpickle(osSystemPickle(marker)), /"os.system", which is not allowed/);
  assert.ok(!existsSync(marker));
});

// ---- the zip reader ---------------------------------------------------------------------------

test('zip reader: any bytes are read or refused with a ZipError; a member never inflates past its declared size', () => {
  const seeds = [fixture('misc.zip.pth'), fixture('misc.deflate.pth')];
  check('zip', bytesNear(seeds), (b) => {
    const e = thrown(() => {
      const z = new ZipReader(b);
      for (const n of z.names()) {
        const m = z.read(n);
        assert.ok(m.length <= Math.max(b.length, z.entries.get(n)!.uncompressedSize));
      }
    });
    onlyOwnError(e, [ZipError]);
  });
  // A deflate bomb: 64 KiB of input declaring 100 bytes but inflating to 64 MiB.
  const bomb = zipWithDeflatedMember('data.pkl', Buffer.alloc(64 << 20), 100);
  assert.ok(bomb.length < 200_000);
  assert.throws(() => new ZipReader(bomb).read('data.pkl'), (e) => e instanceof ZipError && /does not inflate/.test(e.message));
});

/** A one-member zip whose member is deflated `content`, with the central directory claiming `declared` bytes. */
function zipWithDeflatedMember(name: string, content: Buffer, declared: number): Buffer {
  const data = deflateRawSync(content, { level: 9 });
  const nameB = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(nameB.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(nameB.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = local.length + nameB.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + nameB.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nameB, data, central, nameB, eocd]);
}

// ---- the state-dict loader and the converter --------------------------------------------------

test('.pth loader: mutated checkpoints load with consistent tensors or are refused with a CheckpointError', () => {
  const small = [fixture('misc.zip.pth'), fixture('misc.legacy.pth'), fixture('misc.deflate.pth'), fixture('not_a_state_dict.pth')];
  check('loadStateDict (misc)', bytesNear(small), (b) => {
    let sd: StateDict | undefined;
    const e = thrown(() => (sd = loadStateDict(b)));
    onlyOwnError(e, [CheckpointError]);
    for (const t of sd?.values() ?? []) assert.equal(t.data.length, t.dims.reduce((a, x) => a * x, 1));
  });
  const big = [fixture('eccv16_small.legacy.pth'), fixture('eccv16_small.zip.pth')];
  check('loadStateDict + convert (eccv16_small)', bytesNear(big), (b) => {
    const e = thrown(() => convertStateDict(loadStateDict(b)));
    onlyOwnError(e, [CheckpointError, ConvertError]);
  }, { share: 0.1, maxMs: 3000 });
});

test('.pth loader: a tensor size that would allocate gigabytes is refused before any allocation', () => {
  // Size (2^24, 2^24, 1, 1) with stride 0 over the storage: a 1 PB view of one float. J = BININT;
  // the tuples are spliced in (a pickle has no offsets to fix).
  const b = Buffer.from(readFileSync(join(FIX, 'eccv16_small.legacy.pth')));
  const size = Buffer.from('(M9\x01K\x10K\x01K\x01t', 'latin1');
  const stride = Buffer.from('(K\x10K\x01K\x01K\x01t', 'latin1');
  const at = b.indexOf(size);
  const at2 = b.indexOf(stride, at);
  assert.ok(at > 0 && at2 > at);
  const evil = Buffer.concat([b.subarray(0, at), Buffer.from('(J\x00\x00\x00\x01J\x00\x00\x00\x01K\x01K\x01t', 'latin1'),
    b.subarray(at + size.length, at2), Buffer.from('(K\x00K\x00K\x00K\x00t', 'latin1'), b.subarray(at2 + stride.length)]);
  const rss0 = process.memoryUsage().rss;
  assert.throws(() => loadStateDict(evil), (e) => e instanceof CheckpointError && /larger than/.test(e.message));
  assert.ok(process.memoryUsage().rss - rss0 < 200e6);
});

test('converter: state dicts with wrong, missing or odd tensors are refused with a ConvertError', () => {
  const base = loadStateDict(join(FIX, 'eccv16_small.legacy.pth'));
  const keys = [...base.keys()];
  const edit = fc.array(fc.tuple(fc.integer({ min: 0, max: keys.length - 1 }), fc.oneof(
    fc.constant<'drop'>('drop'),
    fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 0, maxLength: 5 }),
  )), { minLength: 1, maxLength: 4 });
  check('convertStateDict (edited tensors)', edit, (edits) => {
    const sd: StateDict = new Map(base);
    for (const [i, change] of edits) {
      if (change === 'drop') sd.delete(keys[i]);
      else sd.set(keys[i], { dims: change, data: new Float32Array(change.reduce((a, x) => a * x, 1)) });
    }
    onlyOwnError(thrown(() => convertStateDict(sd)), [ConvertError]);
  }, { share: 0.25, maxMs: 3000 });
});

// ---- ONNX -------------------------------------------------------------------------------------

const onnxSeed = makeLogitsFixture();

test('ONNX metadata reader: any bytes give metadata or a model error', () => {
  check('readMetadataProps', bytesNear([onnxSeed, onnxSeed.subarray(0, 300)]), (b) => {
    onlyOwnError(thrown(() => readMetadataProps(b)), [ChromaError]);
  });
});

test('ONNX loading: protobuf junk and mutated models load or are refused as model errors (exit 5)', async () => {
  const p = join(dir, 'fuzz.onnx');
  await checkAsync('loadModel (junk ONNX)', bytesNear([onnxSeed], 512), async (b) => {
    writeFileSync(p, b);
    let e: unknown;
    try {
      const m = await loadModel(p, { device: 'cpu', threads: 1, log: () => {} });
      await m.release();
    } catch (err) {
      e = err;
    }
    onlyOwnError(e, [ChromaError]);
    if (e) assert.equal((e as ChromaError).kind, 'model', (e as Error).message);
    if (e) assert.ok((e as Error).message.startsWith(p), (e as Error).message);
  }, { share: 0.05, maxMs: 5000 });
});

// ---- the refusal contract: exit 5, one line naming the file ----------------------------------

test('every refused model file exits 5 with one line naming it (models convert, in process)', async () => {
  const zip = fixture('eccv16_small.zip.pth');
  const files: Record<string, Uint8Array> = {
    'bad-pickle.pth': Buffer.from([0x80, 2, 0x28, 0x99, 0x2e]),
    'os-system.pth': osSystemPickle(join(dir, 'pwned-convert')),
    'truncated.pth': zip.subarray(0, zip.length - 300),
    'wrong-shapes.pth': wrongShapePth(),
    'not-a-state-dict.pth': fixture('not_a_state_dict.pth'),
    'neither-architecture.pth': fixture('misc.zip.pth'),
    'protobuf-junk.pth': onnxSeed,
    'empty.pth': new Uint8Array(0),
  };
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const out = capture(), err = capture();
    const code = await runModelsCommand(['models', 'convert', path, '-o', join(dir, `${name}.onnx`)], { stdout: out.stream, stderr: err.stream });
    assert.equal(code, 5, `${name}: ${err.text()}`);
    const lines = err.text().trimEnd().split('\n');
    assert.equal(lines.length, 1, `${name}: ${err.text()}`);
    assert.ok(lines[0].includes(path), `${name}: the line names the file: ${lines[0]}`);
    assert.ok(!existsSync(join(dir, `${name}.onnx`)), `${name}: nothing written`);
  }
  assert.ok(!existsSync(join(dir, 'pwned-convert')), 'os.system never ran');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('partial')), []);
});

test('the real CLI: a .pth calling os.system, and protobuf junk as --model, exit 5 with one line naming the file', () => {
  const evil = join(dir, 'evil.pth');
  const marker = join(dir, 'pwned-cli');
  writeFileSync(evil, osSystemPickle(marker));
  const r = chroma(['models', 'convert', evil]);
  assert.equal(r.status, 5, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${evil.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*"os\\.system", which is not allowed`));
  assert.ok(!existsSync(marker));

  const junk = join(dir, 'junk.onnx');
  writeFileSync(junk, Buffer.from('\x08\x07\x12\x05junk!'.repeat(20), 'latin1'));
  const png = join(dir, 'in.png');
  writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010800000000376ef9240000000a49444154789c63600000000200015e7e9ad30000000049454e44ae426082', 'hex'));
  const c = chroma(['colorize', png, '-o', join(dir, 'out.png'), '--model', junk]);
  assert.equal(c.status, 5, c.stderr);
  assert.equal(c.stderr.trimEnd().split('\n').length, 1, c.stderr);
  assert.ok(c.stderr.includes(junk), c.stderr);
  assert.ok(!existsSync(join(dir, 'out.png')));
});
