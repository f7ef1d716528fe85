// The queue's small parts, table by table: ids, queue URLs, carry frames, the join's segment
// check, and the two stores (a directory, and S3 against a real local S3-compatible server).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { tempDir } from './helpers/media.js';
import { joinJobId, newRunId, parseQueueUrl, segmentJobId } from '../src/jobs/queue/connection.js';
import { carryFrames } from '../src/jobs/queue/submit.js';
import { checkSegments } from '../src/jobs/queue/join.js';
import { openStore, type Store } from '../src/jobs/queue/store.js';
import { ChromaError } from '../src/core/errors.js';
import type { SegmentResult } from '../src/jobs/queue/types.js';

let tmp: ReturnType<typeof tempDir>;
let s3: S3rver;
let s3Url = '';
before(async () => {
  tmp = tempDir('chroma-queue-units-');
  mkdirSync(join(tmp.dir, 's3'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(tmp.dir, 's3'), configureBuckets: [{ name: 'films', configs: [] }] });
  const { port } = await s3.run();
  // s3rver checks signatures against these fixed credentials.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  s3Url = `s3://films/farm/chroma?endpoint=http://127.0.0.1:${port}`;
});
after(async () => {
  await s3.close();
  tmp.cleanup();
});

test('run and job ids carry no ":" (BullMQ separates its keys with it) and are unique', () => {
  const a = newRunId(new Date('2026-12-01T08:30:12.345Z')), b = newRunId(new Date('2026-12-01T08:30:12.345Z'));
  assert.match(a, /^r20261201t083012-[0-9a-f]{6}$/);
  assert.notEqual(a, b);
  for (const id of [a, segmentJobId(a, 0, 12), joinJobId(a, 3)]) assert.ok(!id.includes(':'), id);
});

test('queue URLs', () => {
  const cases: [string, boolean][] = [
    ['redis://127.0.0.1:6379', true], ['rediss://farm.example:6380/2', true], ['redis://:secret@farm:6379', true],
    ['http://farm:6379', false], ['farm:6379', false], ['', false],
  ];
  for (const [url, ok] of cases) {
    if (ok) assert.doesNotThrow(() => parseQueueUrl(url), url);
    else assert.throws(() => parseQueueUrl(url), (e: unknown) => e instanceof ChromaError && e.kind === 'usage', url);
  }
});

test('carry frames: enough warm-up that the smoothing history is within 1 % of a continuous run', () => {
  // alpha: 0 (off), 0.5 (low), 0.75 (medium), 0.9 (high), 1 (capped at 0.97)
  const cases: [number, number, number][] = [[0, 0, 0], [0.5, 7, 6], [0.75, 17, 6], [0.9, 44, 6], [1, 152, 6]];
  for (const [smooth, carry, lookahead] of cases) assert.deepEqual(carryFrames(smooth), { carry, lookahead }, String(smooth));
});

test('the join checks every segment: each once, all there, the film\'s frame count', () => {
  const seg = (index: number, frames: number): SegmentResult => ({ index, key: `k${index}`, frames, bytes: 1, sha256: 'x', encodedStart: index, seconds: 1, colorSeconds: 1, worker: 'w', duplicate: false });
  const film = { input: 'film.mp4', segments: 3, frames: 30 };
  const cases: [string, SegmentResult[], RegExp | null][] = [
    ['in order', [seg(0, 10), seg(1, 10), seg(2, 10)], null],
    ['any order', [seg(2, 10), seg(0, 10), seg(1, 10)], null],
    ['one missing', [seg(0, 10), seg(2, 10)], /segment 1 of 3 has no result/],
    ['one twice', [seg(0, 10), seg(1, 10), seg(1, 10), seg(2, 10)], /segment 1 was recorded twice/],
    ['a stray index', [seg(0, 10), seg(1, 10), seg(2, 10), seg(3, 10)], /4 segment results for 3 segments/],
    ['frames short', [seg(0, 10), seg(1, 9), seg(2, 10)], /hold 29 frames, the film has 30/],
  ];
  for (const [name, results, error] of cases) {
    if (error) assert.throws(() => checkSegments(film, results), error, name);
    else assert.deepEqual(checkSegments(film, results).map((r) => r.index), [0, 1, 2], name);
  }
});

test('--store: a path, file:// or s3://; anything else is a usage error', async () => {
  const cases: [string, string | null][] = [
    [join(tmp.dir, 'plain'), 'DirectoryStore'], [`file://${join(tmp.dir, 'url')}`, 'DirectoryStore'], [s3Url, 'S3Store'],
    ['http://host/x', null], ['s3:///nobucket', null],
  ];
  for (const [spec, kind] of cases) {
    if (kind) {
      const s = await openStore(spec);
      assert.equal(s.constructor.name, kind, spec);
      s.close();
    } else {
      await assert.rejects(openStore(spec), (e: unknown) => e instanceof ChromaError && e.kind === 'usage', spec);
    }
  }
});

/** The contract both stores keep: whole objects, create-if-absent, a clear error for a missing key. */
async function storeContract(store: Store): Promise<void> {
  const a = join(tmp.dir, 'a.bin'), b = join(tmp.dir, 'b.bin'), got = join(tmp.dir, 'got.bin');
  writeFileSync(a, Buffer.alloc(200_000, 1));
  writeFileSync(b, 'second');
  await store.put('runs/r1/f0/piece.nut', a);
  assert.equal(await store.size('runs/r1/f0/piece.nut'), 200_000);
  assert.equal(await store.size('runs/r1/f0/none'), null);
  assert.equal(await store.putIfAbsent('runs/r1/f0/seg.nut', a), true, 'first commit');
  assert.equal(await store.putIfAbsent('runs/r1/f0/seg.nut', b), false, 'a late duplicate');
  await store.get('runs/r1/f0/seg.nut', got);
  assert.deepEqual(readFileSync(got), readFileSync(a), 'the first result is kept');
  const local = await store.local('runs/r1/f0/piece.nut');
  assert.equal(readFileSync(local.path).length, 200_000);
  await local.release();
  await store.put('runs/r2/f0/x', b);
  await store.removeAll('runs/r1/');
  assert.equal(await store.size('runs/r1/f0/piece.nut'), null);
  assert.equal(await store.size('runs/r2/f0/x'), 6, 'other runs untouched');
  await assert.rejects(store.local('runs/r1/f0/seg.nut'), /not in the store/);
  await assert.rejects(store.get('runs/r1/f0/seg.nut', got), /not in the store/);
}

test('directory store: atomic puts, create-if-absent commits, removal by run', async () => {
  const store = await openStore(join(tmp.dir, 'dir-store'));
  await storeContract(store);
  store.close();
});

test('S3 store (against s3rver, path-style): the same contract', async () => {
  const store = await openStore(s3Url);
  await storeContract(store);
  store.close();
});
