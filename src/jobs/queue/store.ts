// Where a queued run keeps its files, so that every worker machine can reach them: the source's
// pieces, the colorized segments, and the joined output. Two kinds:
//
//   file:///mnt/farm/chroma  or a plain path   a shared directory (NFS, SMB, any shared mount)
//   s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1
//                                               S3-compatible object storage (path-style addressing)
//
// Keys are relative paths ("runs/RUN/f0/piece-000003.nut"). Every write is atomic: a reader sees
// the whole object or nothing. putIfAbsent is how a segment's result is committed, so a late
// duplicate (at-least-once delivery) can never replace a result that was already recorded.
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ChromaError, usageError } from '../../core/errors.js';

/** A file of the store made readable on this machine; release() removes any local copy. */
export interface LocalFile {
  path: string;
  release(): Promise<void>;
}

export interface Store {
  /** The store as the user gave it (for messages and job data). */
  readonly url: string;
  /** Upload a local file under `key`, replacing what is there. */
  put(key: string, file: string): Promise<void>;
  /** Upload under `key` unless something is already there; false when it was. */
  putIfAbsent(key: string, file: string): Promise<boolean>;
  /** Download `key` into the local file `file` (written whole: temp name, then rename). */
  get(key: string, file: string): Promise<void>;
  /** A local path to read `key` from: the file itself for a shared directory, a download for S3. */
  local(key: string): Promise<LocalFile>;
  /** Size in bytes, or null when there is no such key. */
  size(key: string): Promise<number | null>;
  /** Remove every key under `prefix`. */
  removeAll(prefix: string): Promise<void>;
  close(): void;
}

/** A key that is not there: the run was cancelled or finished, or this is not the run's store. */
const missing = (key: string, url: string) => new ChromaError('internal', `${key}: not in the store ${url} (is it the --store the run was submitted with?)`);

const tempName = (path: string) => `${path}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * A key as a run writes them: relative, '/'-separated names (a prefix may end in '/'), none empty,
 * '.' or '..', no backslash or control character. Keys come from job data in Redis, so one that
 * could leave the store is refused, never joined to a path.
 */
export function checkStoreKey(key: string): string {
  const names = key.endsWith('/') ? key.slice(0, -1).split('/') : key.split('/');
  if (key.length > 1024 || !names.every((n) => n.length >= 1 && n.length <= 255 && n !== '.' && n !== '..' && !/[\\\x00-\x1f\x7f]/.test(n))) {
    throw new ChromaError('input', `store key ${JSON.stringify(key.slice(0, 200))} is not a key of a run (refused: it could name a file outside the store)`);
  }
  return key;
}

/** A shared directory. Writes go to a temporary name beside the target and are renamed or linked. */
export class DirectoryStore implements Store {
  constructor(readonly root: string, readonly url: string = root) {}

  private path(key: string): string {
    return join(this.root, checkStoreKey(key));
  }

  private async stage(key: string, file: string): Promise<string> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = tempName(target);
    await copyFile(file, temp);
    return temp;
  }

  async put(key: string, file: string): Promise<void> {
    const temp = await this.stage(key, file);
    await rename(temp, this.path(key));
  }

  async putIfAbsent(key: string, file: string): Promise<boolean> {
    const temp = await this.stage(key, file);
    try {
      // link() fails if the name exists, atomically, even over NFS; rename() would replace it.
      await link(temp, this.path(key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await rm(temp, { force: true });
    }
  }

  async get(key: string, file: string): Promise<void> {
    const temp = tempName(file);
    try {
      await copyFile(this.path(key), temp).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? missing(key, this.url) : err;
      });
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async local(key: string): Promise<LocalFile> {
    const path = this.path(key);
    // Said here, not by ffmpeg later, where a missing piece would look like a damaged film.
    if (!(await stat(path).then((s) => s.isFile(), () => false))) throw missing(key, this.url);
    return { path, release: async () => {} };
  }

  async size(key: string): Promise<number | null> {
    return stat(this.path(key)).then((s) => s.size, () => null);
  }

  async removeAll(prefix: string): Promise<void> {
    await rm(this.path(prefix), { recursive: true, force: true });
  }

  close(): void {}
}

/** The subset of @aws-sdk/client-s3 this store uses, loaded only when an s3:// store is opened. */
type S3Module = typeof import('@aws-sdk/client-s3');

/** S3-compatible object storage: one PUT per object, so every object appears whole. */
export class S3Store implements Store {
  private constructor(
    private readonly s3: S3Module,
    private readonly client: InstanceType<S3Module['S3Client']>,
    private readonly bucket: string,
    private readonly prefix: string,
    readonly url: string,
  ) {}

  static async open(url: URL, spec: string): Promise<S3Store> {
    const s3 = await import('@aws-sdk/client-s3');
    const endpoint = url.searchParams.get('endpoint') ?? undefined;
    const client = new s3.S3Client({
      region: url.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      // Path-style (http://host/bucket/key): what MinIO, Ceph, s3rver and most self-hosted stores expect.
      forcePathStyle: true,
      // Plain signed PUTs: the SDK's default streams bodies with aws-chunked checksum trailers,
      // which many S3-compatible servers store verbatim instead of decoding.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const prefix = url.pathname.replace(/^\/+|\/+$/g, '');
    return new S3Store(s3, client, url.hostname, prefix ? `${prefix}/` : '', spec);
  }

  private key(key: string): string {
    return `${this.prefix}${checkStoreKey(key)}`;
  }

  async put(key: string, file: string): Promise<void> {
    const { size } = await stat(file);
    await this.client.send(new this.s3.PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: createReadStream(file), ContentLength: size }));
  }

  async putIfAbsent(key: string, file: string): Promise<boolean> {
    // Not atomic across the check and the PUT; the loser of that narrow race writes an object
    // whose checksum the join compares with the recorded one, so a mismatch is caught, not joined.
    if ((await this.size(key)) !== null) return false;
    await this.put(key, file);
    return true;
  }

  async get(key: string, file: string): Promise<void> {
    const temp = tempName(file);
    try {
      const r = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) })).catch((err: Error) => {
        throw err.name === 'NoSuchKey' ? missing(key, this.url) : err;
      });
      await pipeline(r.Body as Readable, createWriteStream(temp));
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async local(key: string): Promise<LocalFile> {
    const dir = await mkdtemp(join(tmpdir(), 'chroma-s3-'));
    const path = join(dir, key.split('/').pop() ?? 'object');
    try {
      await this.get(key, path);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return { path, release: () => rm(dir, { recursive: true, force: true }) };
  }

  async size(key: string): Promise<number | null> {
    try {
      const r = await this.client.send(new this.s3.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return r.ContentLength ?? 0;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound') return null;
      throw err;
    }
  }

  async removeAll(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new this.s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(prefix), ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length) await this.client.send(new this.s3.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * What `--store` names, without touching it: an s3:// URL, or a directory (a path or a file:///
 * URL, resolved). Anything else is one usage line.
 */
export function parseStoreSpec(spec: string): { kind: 's3'; url: URL } | { kind: 'directory'; root: string } {
  const expected = `--store ${spec.slice(0, 200)}: expected a directory, file:///DIR or s3://BUCKET/PREFIX`;
  if (spec === '' || spec.includes('\0')) throw usageError(expected);
  if (/^s3:\/\//i.test(spec)) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw usageError(`--store ${spec.slice(0, 200)}: expected s3://BUCKET/PREFIX`);
    }
    if (!url.hostname) throw usageError(`--store ${spec.slice(0, 200)}: expected s3://BUCKET/PREFIX`);
    return { kind: 's3', url };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !/^file:\/\//i.test(spec)) throw usageError(expected);
  try {
    return { kind: 'directory', root: resolve(/^file:\/\//i.test(spec) ? fileURLToPath(spec) : spec) };
  } catch {
    // file://host/x (another host) and file:///a%2Fb (an encoded slash) are not paths here.
    throw usageError(expected);
  }
}

/** Open `--store`: a path, a file:// URL or an s3:// URL. */
export async function openStore(spec: string): Promise<Store> {
  const parsed = parseStoreSpec(spec);
  if (parsed.kind === 's3') return S3Store.open(parsed.url, spec);
  const { root } = parsed;
  try {
    await mkdir(root, { recursive: true });
  } catch (err) {
    throw new ChromaError('output', `--store ${spec}: cannot create ${root} (${(err as Error).message})`);
  }
  return new DirectoryStore(root, spec);
}
