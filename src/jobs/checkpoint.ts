// The checkpoint store of a resumable job: a hidden folder beside the output,
//
//   .NAME.EXT.chroma-resume/
//     manifest.json        input identity (size, mtime, SHA-256 of the first MiB), the settings
//                          that change the result, and the completed segments
//     seg-000000.nut ...   completed segments (video only; NUT keeps the encoder's time base exactly)
//     seg-000004.partial-PID.nut   the segment being written (never listed in the manifest)
//     lock                 the pid of the process working on it
//
// A segment is listed in the manifest only after its encoder has closed it and it has been flushed
// and renamed, so after a crash (even SIGKILL) every listed segment is complete.
import { createHash } from 'node:crypto';
import { open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pidAlive, writeFileAtomic } from '../core/output-file.js';
import { outputError } from '../core/errors.js';

export const MANIFEST_VERSION = 2;
const HEAD_BYTES = 1 << 20;

export interface SegmentRecord {
  file: string;
  /** Index of the segment's first frame in the whole video. */
  firstFrame: number;
  frames: number;
  /** Timestamp (s) of the segment's first and last frame. */
  startPts: number;
  endPts: number;
  /** Timestamp of the next segment's first frame; null for the last segment of the video. */
  nextPts: number | null;
  /**
   * Where the segment's first frame goes in the output: its timestamp as a one-pass encode
   * would store it (encoderStart). The join places segments by these, so a joined file has the
   * timestamps a one-pass encode would have had.
   */
  encodedStart: number;
  bytes: number;
}

export interface Manifest {
  version: number;
  input: InputIdentity;
  settings: Record<string, unknown>;
  segmentSeconds: number;
  segments: SegmentRecord[];
  /** True once the last frame of the video is in a segment: only the join is left. */
  complete: boolean;
}

export interface InputIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  headSha256: string;
}

/** The hidden folder beside `finalName` that holds a resumable job's segments. */
export function resumeDirFor(finalName: string): string {
  return join(dirname(finalName), `.${basename(finalName)}.chroma-resume`);
}

/** Remove a job's resume folder (after its output is in place). */
export async function discardResume(finalName: string): Promise<void> {
  await rm(resumeDirFor(finalName), { recursive: true, force: true });
}

export async function identify(path: string): Promise<InputIdentity> {
  const s = await stat(path);
  const fh = await open(path, 'r');
  path = resolve(path);
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, s.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { path, size: s.size, mtimeMs: s.mtimeMs, headSha256: createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex') };
  } finally {
    await fh.close();
  }
}

/** Write-then-rename, so a crash leaves either the old manifest or the new one. */
export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 1)}\n`);
}

export async function readManifest(dir: string): Promise<Manifest | null> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    return m.version === MANIFEST_VERSION && Array.isArray(m.segments) ? m : null;
  } catch {
    return null;
  }
}

/** One process per resume folder: a second chroma on the same output would corrupt it. */
export async function takeLock(dir: string, label: string): Promise<() => Promise<void>> {
  const lock = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && pidAlive(owner)) {
        throw outputError(`${label}: another chroma (pid ${owner}) is working on this output (${dir})`);
      }
      await rm(lock, { force: true }); // left by a process that died
    }
  }
  throw outputError(`${label}: cannot lock ${dir}`);
}

/** Keep the listed segments that are still intact; delete everything else in the folder. */
export async function prune(dir: string, m: Manifest): Promise<void> {
  const kept: SegmentRecord[] = [];
  for (const s of m.segments) {
    const size = await stat(join(dir, s.file)).then((st) => st.size, () => -1);
    if (size !== s.bytes) break;
    kept.push(s);
  }
  if (kept.length < m.segments.length) m.complete = false;
  m.segments = kept;
  const keep = new Set(['manifest.json', 'lock', ...kept.map((s) => s.file)]);
  for (const f of await readdir(dir)) if (!keep.has(f)) await rm(join(dir, f), { force: true, recursive: true });
}

/** The manifest as a segment sink's store: each finished segment is listed and saved at once. */
export function checkpointStore(dir: string, m: Manifest): { add(rec: SegmentRecord): Promise<number>; endAtLast(): Promise<void> } {
  return {
    async add(rec) {
      m.segments.push(rec);
      if (rec.nextPts === null) m.complete = true;
      await writeManifest(dir, m);
      return m.segments.length - 1;
    },
    // The decoder ended exactly where the last listed segment did: that one is the video's last.
    async endAtLast() {
      if (!m.segments.length || m.complete) return;
      m.segments[m.segments.length - 1].nextPts = null;
      m.complete = true;
      await writeManifest(dir, m);
    },
  };
}
