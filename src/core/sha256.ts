// SHA-256 of a file, streamed (model downloads, segment files).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex SHA-256 of the file; `onBytes` hears the bytes read so far. */
export async function sha256File(path: string, onBytes?: (n: number) => void): Promise<string> {
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    onBytes?.(n);
  }
  return h.digest('hex');
}
