// A fix-up for MP4 files written by ffmpeg 4.1 from a variable-frame-rate encode. The encoder's
// packets carry no durations, so the muxer gives the last sample a duration of zero. Track, movie
// and edit-list durations then end at the last frame's start, and players (and ffprobe) that
// honour the edit list drop that frame. This sets the last sample's duration in the 'stts' table
// and extends those durations to match. Every field is patched in place (same size): nothing
// moves, so chunk offsets stay valid. A file that does not have exactly this shape is left alone.
import { open } from 'node:fs/promises';

interface Box {
  type: string;
  /** Offset of the box header in the buffer. */
  start: number;
  /** Offset of the payload (after size and type, and a 64-bit size if present). */
  body: number;
  end: number;
}

function boxes(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(buf.readBigUInt64BE(at + 8));
      body = at + 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < body - at || at + size > to) break;
    out.push({ type, start: at, body, end: at + size });
    at += size;
  }
  return out;
}

const child = (buf: Buffer, parent: Box, type: string) => boxes(buf, parent.body, parent.end).find((b) => b.type === type);

/** Read and write an unsigned field of version 0 (32-bit) or version 1 (64-bit) full boxes. */
function field(buf: Buffer, at: number, wide: boolean): { get: () => number; set: (v: number) => void } {
  return wide
    ? { get: () => Number(buf.readBigUInt64BE(at)), set: (v) => buf.writeBigUInt64BE(BigInt(v), at) }
    : { get: () => buf.readUInt32BE(at), set: (v) => buf.writeUInt32BE(Math.min(v, 0xffffffff), at) };
}

/** Finds the top-level moov box without reading the media data. */
async function findMoov(path: string): Promise<{ offset: number; size: number } | null> {
  const fh = await open(path, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const head = Buffer.alloc(16);
    let at = 0;
    while (at + 8 <= fileSize) {
      await fh.read(head, 0, 16, at);
      let size = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (size === 1) size = Number(head.readBigUInt64BE(8));
      else if (size === 0) size = fileSize - at;
      if (size < 8) return null;
      if (type === 'moov') return { offset: at, size };
      at += size;
    }
    return null;
  } finally {
    await fh.close();
  }
}

/**
 * Give the video track's last sample `seconds` of duration when the muxer left it at zero.
 * Returns true when the file was changed.
 */
export async function fixLastFrameDuration(path: string, seconds: number): Promise<boolean> {
  if (!(seconds > 0)) return false;
  const where = await findMoov(path);
  if (!where || where.size > 256 * 1024 * 1024) return false;
  const fh = await open(path, 'r+');
  try {
    const buf = Buffer.alloc(where.size);
    await fh.read(buf, 0, where.size, where.offset);
    const moov = boxes(buf, 0, buf.length)[0];
    if (!moov || moov.type !== 'moov') return false;

    const mvhd = child(buf, moov, 'mvhd');
    if (!mvhd) return false;
    const mvWide = buf[mvhd.body] === 1;
    const movieScale = buf.readUInt32BE(mvhd.body + (mvWide ? 20 : 12));
    const movieDuration = field(buf, mvhd.body + (mvWide ? 24 : 16), mvWide);

    for (const trak of boxes(buf, moov.body, moov.end).filter((b) => b.type === 'trak')) {
      const mdia = child(buf, trak, 'mdia');
      const hdlr = mdia && child(buf, mdia, 'hdlr');
      if (!mdia || !hdlr || buf.toString('latin1', hdlr.body + 8, hdlr.body + 12) !== 'vide') continue;
      const mdhd = child(buf, mdia, 'mdhd');
      const tkhd = child(buf, trak, 'tkhd');
      const minf = child(buf, mdia, 'minf');
      const stbl = minf && child(buf, minf, 'stbl');
      const stts = stbl && child(buf, stbl, 'stts');
      if (!mdhd || !tkhd || !stts) return false;

      const entries = buf.readUInt32BE(stts.body + 4);
      if (entries < 1 || stts.body + 8 + entries * 8 > stts.end) return false;
      const last = stts.body + 8 + (entries - 1) * 8;
      // Only the shape ffmpeg 4.1 leaves: one final sample of its own with a zero delta.
      if (buf.readUInt32BE(last) !== 1 || buf.readUInt32BE(last + 4) !== 0) return false;

      const mdWide = buf[mdhd.body] === 1;
      const mediaScale = buf.readUInt32BE(mdhd.body + (mdWide ? 20 : 12));
      const mediaDuration = field(buf, mdhd.body + (mdWide ? 24 : 16), mdWide);
      const tkWide = buf[tkhd.body] === 1;
      const trackDuration = field(buf, tkhd.body + (tkWide ? 28 : 20), tkWide);
      if (!mediaScale || !movieScale) return false;
      const addMedia = Math.max(1, Math.round(seconds * mediaScale));
      const addMovie = Math.max(1, Math.round(seconds * movieScale));

      buf.writeUInt32BE(addMedia, last + 4);
      mediaDuration.set(mediaDuration.get() + addMedia);
      trackDuration.set(trackDuration.get() + addMovie);
      const edts = child(buf, trak, 'edts');
      const elst = edts && child(buf, edts, 'elst');
      if (elst) {
        // The last edit that plays media (media_time >= 0) now ends later by the same amount.
        const elWide = buf[elst.body] === 1;
        const n = buf.readUInt32BE(elst.body + 4);
        const size = elWide ? 20 : 12;
        for (let i = n - 1; i >= 0; i--) {
          const at = elst.body + 8 + i * size;
          if (at + size > elst.end) return false;
          const mediaTime = elWide ? Number(buf.readBigInt64BE(at + 8)) : buf.readInt32BE(at + 4);
          if (mediaTime < 0) continue;
          const seg = field(buf, at, elWide);
          seg.set(seg.get() + addMovie);
          break;
        }
      }
      movieDuration.set(Math.max(movieDuration.get(), trackDuration.get()));
      await fh.write(buf, 0, buf.length, where.offset);
      await fh.sync();
      return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}
