import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as ort from 'onnxruntime-node';

import { loadStateDict, CheckpointError, type StateDict } from '../src/model/pth/load.js';
import { unpickle, PickleError } from '../src/model/pth/pickle.js';
import { ZipReader } from '../src/model/pth/zip.js';
import { convertEccv16, convertSiggraph17, convertStateDict, detectArchitecture, ConvertError } from '../src/model/convert.js';
import { readMetadataProps } from '../src/onnx/builder.js';
import { HINTS_INPUT, META_KEYS, noHintPlanes } from '../src/core/model-contract.js';
import { listModels, modelsCacheDir, pullModel, convertFile, MODEL_CATALOG, type PullProgress } from '../src/model/registry.js';
import { runModelsCommand } from '../src/cli/models-cli.js';

const FIX = new URL('./fixtures/models/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as {
  input: { file: string; dims: number[] };
  files: Record<string, { sha256: string }>;
  models: Record<'eccv16' | 'siggraph17', { stem: string; output: { file: string; dims: number[] } }>;
  misc: Record<string, { dims: number[]; values: number[]; dtype: string }>;
};

function f32(file: string): Float32Array {
  const b = readFileSync(join(FIX, file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Runs a model on one L input; a model with the `hints` input gets `hints`, else the "no hints" planes. */
async function run(onnx: Uint8Array, input: Float32Array, dims: number[], hints?: Float32Array): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength));
  const feeds: Record<string, ort.Tensor> = { [s.inputNames[0]]: new ort.Tensor('float32', input, dims) };
  const [n, , h, w] = dims;
  if (s.inputNames.includes(HINTS_INPUT)) {
    const none = new Float32Array(hints ? 0 : 3 * w * h * n);
    for (let i = 0; i < n && !hints; i++) noHintPlanes(w, h, none.subarray(3 * w * h * i));
    const planes = hints ?? none;
    feeds[HINTS_INPUT] = new ort.Tensor('float32', planes, [n, 3, h, w]);
  }
  const r = await s.run(feeds);
  return r[s.outputNames[0]];
}

function maxDiff(a: Float32Array, b: Float32Array, scale = 1): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / scale);
  return d;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'chroma-models-test-'));
}

// ---- loading -----------------------------------------------------------------------------------

describe('state dict loading', () => {
  for (const file of ['misc.zip.pth', 'misc.legacy.pth', 'misc.deflate.pth']) {
    test(`${file}: dtypes, views, strides, scalars`, () => {
      const sd = loadStateDict(join(FIX, file));
      assert.ok(!sd.has('num_batches_tracked'), 'int64 BN counter is dropped');
      for (const [key, want] of Object.entries(manifest.misc)) {
        if (key === 'num_batches_tracked') continue;
        const t = sd.get(key);
        assert.ok(t, key);
        assert.deepEqual(t.dims, want.dims, key);
        assert.equal(t.data.length, want.values.length, key);
        // float16/bfloat16 values are exact in float32; float64 is rounded to float32.
        t.data.forEach((v, i) => assert.equal(v, Math.fround(want.values[i]), `${key}[${i}]`));
      }
    });
  }

  test('zip and legacy files of the same state dict are identical', () => {
    for (const stem of ['eccv16_small', 'siggraph17_small']) {
      const a = loadStateDict(join(FIX, `${stem}.zip.pth`));
      const b = loadStateDict(readFileSync(join(FIX, `${stem}.legacy.pth`)));
      assert.deepEqual([...a.keys()], [...b.keys()]);
      for (const [k, t] of a) {
        assert.deepEqual(t.dims, b.get(k)!.dims);
        assert.deepEqual(t.data, b.get(k)!.data);
      }
      assert.ok(a.has('model1.0.weight') && a.has('model1.4.running_var'));
    }
  });

  test('the zip reader sees PyTorch\'s zip64 end records and member layout', () => {
    const z = new ZipReader(readFileSync(join(FIX, 'misc.zip.pth')));
    assert.ok(z.has('misc.zip/data.pkl'));
    assert.equal(z.read('misc.zip/data/0').length, 24 * 4);
  });

  test('garbage, non-state-dict and hostile files are refused clearly', () => {
    assert.throws(() => loadStateDict(Buffer.from('definitely not a checkpoint')), (e: Error) => e instanceof CheckpointError && /not a PyTorch checkpoint/.test(e.message));
    assert.throws(() => loadStateDict(join(FIX, 'not_a_state_dict.pth')), /not a state dict: the checkpoint holds a list/);
    // A pickle calling os.system is refused before anything is called.
    const evil = Buffer.concat([Buffer.from([0x80, 2, 0x63]), Buffer.from('os\nsystem\n'), Buffer.from([0x58, 4, 0, 0, 0]), Buffer.from('echo'), Buffer.from([0x85, 0x52, 0x2e])]);
    assert.throws(() => unpickle(evil), (e: Error) => e instanceof PickleError && /"os.system", which is not allowed/.test(e.message));
    assert.throws(() => loadStateDict(evil), /os\.system/);
    // A truncated zip and a truncated legacy stream.
    const zipBytes = readFileSync(join(FIX, 'eccv16_small.zip.pth'));
    assert.throws(() => loadStateDict(zipBytes.subarray(0, zipBytes.length - 200)), CheckpointError);
    const legacy = readFileSync(join(FIX, 'eccv16_small.legacy.pth'));
    assert.throws(() => loadStateDict(legacy.subarray(0, legacy.length - 100)), /truncated/);
    // A plain pickled dict of ints (no magic number).
    const dict = Buffer.from([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x4b, 1, 0x73, 0x2e]);
    assert.throws(() => loadStateDict(dict), /magic number/);
    assert.deepEqual(unpickle(dict).value && (unpickle(dict).value as { map: Map<string, number> }).map.get('a'), 1);
  });
});

// ---- conversion ----------------------------------------------------------------------------------

describe('conversion', () => {
  const x = f32(manifest.input.file);
  for (const arch of ['eccv16', 'siggraph17'] as const) {
    for (const fmt of ['zip', 'legacy']) {
      test(`${arch} (${fmt}) reproduces PyTorch's output in onnxruntime`, async () => {
        const sd = loadStateDict(join(FIX, `${manifest.models[arch].stem}.${fmt}.pth`));
        assert.equal(detectArchitecture(sd), arch);
        const onnx = arch === 'eccv16' ? convertEccv16(sd) : convertSiggraph17(sd);
        const out = await run(onnx, x, manifest.input.dims);
        assert.deepEqual(out.dims, manifest.models[arch].output.dims);
        const want = f32(manifest.models[arch].output.file);
        const got = out.data as Float32Array;
        if (arch === 'eccv16') {
          assert.ok(maxDiff(got, want) < 1e-4, `logits max diff ${maxDiff(got, want)}`);
        } else {
          // ab = 110 · tanh(...): compare the tanh output within 1e-4 and ab itself within 2e-4.
          assert.ok(maxDiff(got, want, 110) < 1e-4, `tanh max diff ${maxDiff(got, want, 110)}`);
          assert.ok(maxDiff(got, want) < 2e-4, `ab max diff ${maxDiff(got, want)}`);
        }
        const meta = readMetadataProps(onnx);
        assert.equal(meta[META_KEYS.kind], arch === 'eccv16' ? 'logits313' : 'ab');
        assert.equal(meta[META_KEYS.lOffset], '50');
        assert.equal(meta[META_KEYS.lScale], '0.01');
        assert.equal(meta[META_KEYS.abScale], '1');
        assert.equal(meta[META_KEYS.name], arch);
      });
    }
  }

  test('siggraph17 takes the contract\'s hints input: no hints is its automatic mode (above), a hint changes the colours around it', async () => {
    const sd = loadStateDict(join(FIX, `${manifest.models.siggraph17.stem}.zip.pth`));
    const onnx = convertSiggraph17(sd);
    const s = await ort.InferenceSession.create(Buffer.from(onnx));
    assert.deepEqual(s.inputNames, ['L', HINTS_INPUT]);
    await s.release();
    const dims = manifest.input.dims;
    const [, , h, w] = dims;
    const x = f32(manifest.input.file);
    const none = (await run(onnx, x, dims)).data as Float32Array;
    // One 3x3 hint of a = 60 near the centre (a/110, b/110, mask - 0.5 = +0.5 under the patch).
    const hints = new Float32Array(3 * w * h * dims[0]);
    for (let i = 0; i < dims[0]; i++) noHintPlanes(w, h, hints.subarray(3 * w * h * i));
    const cy = h >> 1, cx = w >> 1;
    for (let y = cy - 1; y <= cy + 1; y++) for (let xx = cx - 1; xx <= cx + 1; xx++) {
      hints[y * w + xx] = 60 / 110;
      hints[2 * w * h + y * w + xx] = 0.5;
    }
    const hinted = (await run(onnx, x, dims, hints)).data as Float32Array;
    const at = cy * w + cx;
    assert.ok(Math.abs(hinted[at] - none[at]) > 1e-3, `a at the hint: ${none[at]} -> ${hinted[at]}`);
    // An L-only state dict (1 input channel) gives an automatic-only model.
    const lOnly: StateDict = new Map(sd);
    const w0 = sd.get('model1.0.weight')!;
    const [c1, , kh, kw] = w0.dims;
    const k = kh * kw;
    const data = new Float32Array(c1 * k);
    for (let o = 0; o < c1; o++) data.set(w0.data.subarray(o * 4 * k, o * 4 * k + k), o * k);
    lOnly.set('model1.0.weight', { dims: [c1, 1, kh, kw], data });
    const auto = convertSiggraph17(lOnly);
    const s1 = await ort.InferenceSession.create(Buffer.from(auto));
    assert.deepEqual(s1.inputNames, ['L']);
    await s1.release();
    assert.ok(maxDiff((await run(auto, x, dims)).data as Float32Array, none) < 1e-5, 'L-only equals the hint model with no hints');
  });

  test('missing and mismatched keys are named', () => {
    const full = loadStateDict(join(FIX, 'eccv16_small.zip.pth'));
    const missing: StateDict = new Map(full);
    missing.delete('model3.4.weight');
    assert.throws(() => convertEccv16(missing), (e: Error) => e instanceof ConvertError && /missing key "model3\.4\.weight"/.test(e.message));
    const bad: StateDict = new Map(full);
    const t = full.get('model2.0.weight')!;
    bad.set('model2.0.weight', { dims: [t.dims[0], t.dims[1] + 1, 3, 3], data: new Float32Array(t.dims[0] * (t.dims[1] + 1) * 9) });
    assert.throws(() => convertEccv16(bad), /"model2\.0\.weight" expects 9 input channels but model1\.4 gives 8/);
    const bn: StateDict = new Map(full);
    bn.set('model4.6.running_var', { dims: [3], data: new Float32Array(3) });
    assert.throws(() => convertEccv16(bn), /"model4\.6\.running_var" has 3 channels/);
    const sig = loadStateDict(join(FIX, 'siggraph17_small.zip.pth'));
    assert.throws(() => convertEccv16(sig), /SIGGRAPH17, not ECCV16/);
    const misc = loadStateDict(join(FIX, 'misc.zip.pth'));
    assert.equal(detectArchitecture(misc), null);
    assert.throws(() => convertStateDict(misc), /neither ECCV16 nor SIGGRAPH17/);
  });
});

// ---- registry ------------------------------------------------------------------------------------

interface ServerOpts {
  /** Drop the connection mid-body on the first request of each path. */
  dropFirst?: boolean;
  /** Reply 200 with the whole file even to Range requests. */
  ignoreRange?: boolean;
  /** Send half the body, then stall (for abort tests). */
  stall?: boolean;
}

class FixtureServer {
  server!: Server;
  base = '';
  log: { path: string; range?: string; status: number }[] = [];
  private seen = new Set<string>();
  constructor(private files: Record<string, Buffer>, private opts: ServerOpts = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
      const body = this.files[path];
      const range = req.headers.range;
      if (!body) {
        this.log.push({ path, range, status: 404 });
        res.writeHead(404).end('no');
        return;
      }
      const first = !this.seen.has(path);
      this.seen.add(path);
      const m = range && !this.opts.ignoreRange ? /bytes=(\d+)-/.exec(range) : null;
      const start = m ? Number(m[1]) : 0;
      if (m && start >= body.length) {
        this.log.push({ path, range, status: 416 });
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      const status = m ? 206 : 200;
      this.log.push({ path, range, status });
      const headers: Record<string, string | number> = { 'content-length': body.length - start, 'content-type': 'application/octet-stream' };
      if (m) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
      res.writeHead(status, headers);
      const chunk = body.subarray(start);
      if ((this.opts.dropFirst && first) || this.opts.stall) {
        res.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => {
          if (!this.opts.stall) setTimeout(() => res.socket?.destroy(), 20);
        });
        return;
      }
      res.end(chunk);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

describe('models registry (loopback HTTP)', () => {
  const eccvFile = MODEL_CATALOG.eccv16.file;
  const sigFile = MODEL_CATALOG.siggraph17.file;
  const eccvBytes = readFileSync(join(FIX, 'eccv16_small.zip.pth'));
  const sigBytes = readFileSync(join(FIX, 'siggraph17_small.legacy.pth'));
  const shas = { eccv16: manifest.files['eccv16_small.zip.pth'].sha256, siggraph17: manifest.files['siggraph17_small.legacy.pth'].sha256 };
  const files = { [eccvFile]: eccvBytes, [sigFile]: sigBytes };
  const servers: FixtureServer[] = [];
  const serve = async (o?: ServerOpts): Promise<FixtureServer> => {
    const s = await new FixtureServer(files, o).start();
    servers.push(s);
    return s;
  };
  after(async () => {
    for (const s of servers) await s.stop();
  });

  test('cache directory resolution', () => {
    assert.equal(modelsCacheDir({ CHROMA_CACHE_DIR: '/x/y' }), '/x/y');
    assert.equal(modelsCacheDir({ XDG_CACHE_HOME: '/c' }), '/c/chroma/models');
    assert.match(modelsCacheDir({}), /\.cache\/chroma\/models$/);
  });

  test('pull: download with progress, verify, convert, list; second pull is a no-op', async () => {
    const srv = await serve();
    const dir = tmp();
    const events: PullProgress[] = [];
    const r = await pullModel('eccv16', { baseUrl: srv.base, cacheDir: dir, sha256Overrides: shas, onProgress: (p) => events.push(p) });
    assert.equal(r.downloaded, true);
    assert.equal(r.resumed, false);
    assert.equal(r.path, join(dir, 'eccv16.onnx'));
    const dl = events.filter((e) => e.phase === 'download');
    assert.ok(dl.length >= 2);
    assert.equal(dl.at(-1)!.received, eccvBytes.length);
    assert.equal(dl.at(-1)!.total, eccvBytes.length);
    for (let i = 1; i < dl.length; i++) assert.ok(dl[i].received >= dl[i - 1].received);
    assert.ok(events.some((e) => e.phase === 'verify') && events.some((e) => e.phase === 'convert'));
    assert.equal(events.at(-1)!.phase, 'done');
    assert.deepEqual(readdirSync(dir), ['eccv16.onnx'], 'source and .part removed');
    const meta = readMetadataProps(readFileSync(r.path));
    assert.equal(meta[META_KEYS.kind], 'logits313');
    assert.equal(meta['chroma.source_sha256'], shas.eccv16);
    // The stored model runs and matches PyTorch.
    const out = await run(readFileSync(r.path), f32(manifest.input.file), manifest.input.dims);
    assert.ok(maxDiff(out.data as Float32Array, f32(manifest.models.eccv16.output.file)) < 1e-4);

    const list = await listModels({ cacheDir: dir });
    assert.equal(list.find((m) => m.name === 'eccv16')?.installed, true);
    assert.equal(list.find((m) => m.name === 'siggraph17')?.installed, false);
    const again = await pullModel('eccv16', { baseUrl: 'http://127.0.0.1:1', cacheDir: dir });
    assert.equal(again.downloaded, false);
    assert.equal(again.requests, 0);
    rmSync(dir, { recursive: true });
  });

  test('pull: a dropped connection is resumed with a Range request (206)', async () => {
    const srv = await serve({ dropFirst: true });
    const dir = tmp();
    const r = await pullModel('siggraph17', { baseUrl: srv.base, cacheDir: dir, sha256Overrides: shas, retryDelayMs: 0 });
    assert.equal(r.resumed, true);
    assert.equal(r.requests, 2);
    assert.equal(srv.log.length, 2);
    assert.equal(srv.log[0].status, 200);
    assert.equal(srv.log[1].status, 206);
    const from = Number(/bytes=(\d+)-/.exec(srv.log[1].range ?? '')?.[1]);
    assert.ok(from > 0 && from < sigBytes.length, `resumed from ${from}`);
    assert.equal(readMetadataProps(readFileSync(r.path))[META_KEYS.kind], 'ab');
    rmSync(dir, { recursive: true });
  });

  test('pull: without retries the .part is kept and the next pull resumes it', async () => {
    const srv = await serve({ dropFirst: true });
    const dir = tmp();
    await assert.rejects(pullModel('eccv16', { baseUrl: srv.base, cacheDir: dir, sha256Overrides: shas, retries: 0 }), /interrupted.*partial file kept/);
    const part = join(dir, `${eccvFile}.part`);
    assert.ok(existsSync(part));
    const partBytes = statSync(part).size;
    assert.ok(partBytes > 0 && partBytes < eccvBytes.length);
    assert.equal((await listModels({ cacheDir: dir })).find((m) => m.name === 'eccv16')?.partialBytes, partBytes);
    const r = await pullModel('eccv16', { baseUrl: srv.base, cacheDir: dir, sha256Overrides: shas, retries: 0 });
    assert.equal(r.resumed, true);
    assert.equal(srv.log[1].range, `bytes=${partBytes}-`);
    assert.deepEqual(readdirSync(dir), ['eccv16.onnx']);
    rmSync(dir, { recursive: true });
  });

  test('pull: a server that ignores Range (200) restarts the file', async () => {
    const srv = await serve({ ignoreRange: true });
    const dir = tmp();
    writeFileSync(join(dir, `${eccvFile}.part`), Buffer.from('stale bytes from somewhere else'));
    const r = await pullModel('eccv16', { baseUrl: srv.base, cacheDir: dir, sha256Overrides: shas });
    assert.equal(srv.log[0].status, 200);
    assert.ok(srv.log[0].range);
    assert.equal(r.resumed, false);
    rmSync(dir, { recursive: true });
  });

  test('pull: SHA-256 mismatch is rejected and nothing is left in the cache', async () => {
    const srv = await serve();
    const dir = tmp();
    // The real table: the fixture file is not the authors' release.
    await assert.rejects(pullModel('eccv16', { baseUrl: srv.base, cacheDir: dir }), (e: Error) =>
      /SHA-256 mismatch \(expected 9b330a0b.*, got [0-9a-f]{64}\); the download was deleted/.test(e.message));
    assert.deepEqual(readdirSync(dir), []);
    rmSync(dir, { recursive: true });
  });

  test('pull: unreachable host, HTTP errors, abort', async () => {
    const dir = tmp();
    // A port that was just free: connection refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await assert.rejects(pullModel('eccv16', { baseUrl: `http://127.0.0.1:${port}`, cacheDir: dir }), (e: Error) => {
      assert.equal(e.message, `cannot reach 127.0.0.1:${port}: connection refused (ECONNREFUSED) (offline?)`);
      return true;
    });
    const srv = await serve();
    await assert.rejects(pullModel('eccv16', { baseUrl: `${srv.base}/nothing-here`, cacheDir: dir }), /HTTP 404 .* for http:\/\/127\.0\.0\.1:\d+\/nothing-here\//);

    const stall = await serve({ stall: true });
    const ac = new AbortController();
    await assert.rejects(
      pullModel('eccv16', { baseUrl: stall.base, cacheDir: dir, signal: ac.signal, onProgress: (p) => { if (p.received > 0) ac.abort(); } }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.ok(existsSync(join(dir, `${eccvFile}.part`)), 'partial download kept after abort');
    rmSync(dir, { recursive: true });
  });

  test('convertFile and the models CLI', async () => {
    const dir = tmp();
    const out = join(dir, 'sub', 'e.onnx');
    const r = await convertFile(join(FIX, 'eccv16_small.legacy.pth'), out);
    assert.equal(r.arch, 'eccv16');
    assert.equal(readMetadataProps(readFileSync(out))[META_KEYS.kind], 'logits313');

    const capture = (): { stream: Writable; text: () => string } => {
      let s = '';
      return { stream: new Writable({ write(c, _e, cb) { s += String(c); cb(); } }), text: () => s };
    };
    const o1 = capture(), e1 = capture();
    const outB = join(dir, 'sig.onnx');
    assert.equal(await runModelsCommand(['models', 'convert', join(FIX, 'siggraph17_small.zip.pth'), '-o', outB, '--json'], { stdout: o1.stream, stderr: e1.stream }), 0);
    const j = JSON.parse(o1.text());
    assert.equal(j.ok, true);
    assert.equal(j.arch, 'siggraph17');
    assert.ok(existsSync(outB));

    const o2 = capture(), e2 = capture();
    assert.equal(await runModelsCommand(['list', '--json'], { stdout: o2.stream, stderr: e2.stream, cacheDir: dir }), 0);
    // The built-in models, then catalog models, then other .onnx files found in the cache (sig.onnx written above).
    const models = JSON.parse(o2.text()).models as { name: string; kind: string; catalog: boolean; installed: boolean; builtIn?: boolean }[];
    assert.deepEqual(models.map((m) => m.name), ['default', 'null', 'eccv16', 'siggraph17', 'sig']);
    assert.deepEqual([models[0].builtIn, models[0].installed, models[0].kind], [true, true, 'logits313']);
    assert.deepEqual([models[1].builtIn, models[1].installed, models[1].kind], [true, true, 'ab']);
    assert.deepEqual([models[4].kind, models[4].catalog, models[4].installed], ['ab', false, true]);

    const o3 = capture(), e3 = capture();
    assert.equal(await runModelsCommand(['models', 'convert', join(FIX, 'not_a_state_dict.pth')], { stdout: o3.stream, stderr: e3.stream }), 5);
    assert.match(e3.text(), /^chroma models: .*not a state dict/);

    const o4 = capture(), e4 = capture();
    assert.equal(await runModelsCommand(['models', 'pull', 'eccv99'], { stdout: o4.stream, stderr: e4.stream }), 2);
    assert.match(e4.text(), /unknown model "eccv99"/);

    // CLI pull against the loopback server: real SHA table → mismatch, exit 5 (a model problem, as everywhere), quiet (not a TTY).
    const srv = await serve();
    const o5 = capture(), e5 = capture();
    assert.equal(await runModelsCommand(['models', 'pull', 'eccv16', '--base-url', srv.base, '--json'], { stdout: o5.stream, stderr: e5.stream, cacheDir: join(dir, 'cache') }), 5);
    assert.match(JSON.parse(o5.text()).error, /SHA-256 mismatch/);
    assert.doesNotMatch(e5.text(), /\r/);
    rmSync(dir, { recursive: true });
  });
});

before(() => {
  assert.ok(existsSync(join(FIX, 'manifest.json')), 'run /usr/bin/python3 training/make_fixtures.py');
});
