// Results are written under a temporary name beside the output and renamed into place only when
// complete, so the user's output name never holds a half-written file.
import { access, open, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { outputError } from './errors.js';

export interface OutputTarget {
  final: string;
  temp: string;
  /** Move the finished temp file into place. */
  commit(): Promise<void>;
  /** Remove the temp file (idempotent). */
  discard(): Promise<void>;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Flush a file's data to disk (before a rename makes it visible under its final name). */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write-then-rename with a flush between, so a crash leaves either the old file or the new one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await writeFile(tmp, data);
    await fsyncPath(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Temporary files of earlier runs for the same output whose process is gone (killed with
 * SIGKILL, or the machine went down): an orphaned encoder may even have finished them, but they
 * were never renamed into place, so they are removed.
 */
async function removeStaleTemps(dir: string, base: string, ext: string): Promise<void> {
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\.${escape(base)}\\.partial-(\\d+)-[0-9a-f]{6}${escape(ext)}$`);
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const m = pattern.exec(f);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) await rm(join(dir, f), { force: true });
  }
}

export async function prepareOutput(input: string, output: string, overwrite: boolean): Promise<OutputTarget> {
  const final = resolve(output);
  const dir = dirname(final);
  if (await exists(input)) {
    const a = await realpath(input);
    const b = (await exists(final)) ? await realpath(final) : final;
    if (a === b) throw outputError(`${output}: output is the input file; choose another name`);
  }
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new Error('not a directory');
    await access(dir, constants.W_OK);
  } catch {
    throw outputError(`${output}: cannot write to ${dir} (missing or not writable)`);
  }
  if (!overwrite && (await exists(final))) throw outputError(`${output}: exists (pass -y/--overwrite to replace it)`);
  if (await stat(final).then((st) => st.isDirectory(), () => false)) throw outputError(`${output}: is a directory`);
  const ext = extname(final);
  await removeStaleTemps(dir, basename(final, ext), ext);
  const temp = join(dir, `.${basename(final, ext)}.partial-${process.pid}-${randomBytes(3).toString('hex')}${ext}`);
  return {
    final,
    temp,
    async commit() {
      // Flush the data before the name appears, so a crash right after cannot leave an empty
      // or partial file under the final name; then make the rename itself durable.
      try {
        await fsyncPath(temp);
        await rename(temp, final);
        await fsyncPath(dir).catch(() => {});
      } catch (err) {
        throw outputError(`${output}: cannot finish the output (${(err as Error).message})`);
      }
    },
    async discard() {
      await rm(temp, { force: true });
    },
  };
}
