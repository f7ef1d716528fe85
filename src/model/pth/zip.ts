// A minimal ZIP reader over an in-memory buffer: end of central directory (with zip64), central
// directory entries, stored and deflated members. Enough for PyTorch's checkpoint archives, which
// are written "stored", with data descriptors (sizes only in the central directory) and zip64
// end records.

import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/** Largest member inflated (PyTorch writes members stored, so this only bounds hostile archives). */
const MAX_MEMBER_BYTES = 2 ** 31 - 1;

export class ZipError extends Error {
  override name = 'ZipError';
}

function u64(view: DataView, off: number): number {
  const v = view.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('zip: 64-bit field too large');
  return Number(v);
}

/** True when the buffer starts with a ZIP local file header (or is an empty archive). */
export function looksLikeZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && (buf[2] === 3 || buf[2] === 5) && (buf[3] === 4 || buf[3] === 6);
}

export class ZipReader {
  readonly entries: Map<string, ZipEntry> = new Map();
  private readonly buf: Uint8Array;
  private readonly view: DataView;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.readCentralDirectory();
  }

  private findEocd(): number {
    // The EOCD is 22 bytes plus a comment of at most 65535 bytes, at the end of the file.
    const min = Math.max(0, this.buf.length - 22 - 0xffff);
    for (let i = this.buf.length - 22; i >= min; i--) {
      if (this.view.getUint32(i, true) === SIG_EOCD) {
        const commentLen = this.view.getUint16(i + 20, true);
        if (i + 22 + commentLen === this.buf.length) return i;
      }
    }
    throw new ZipError('zip: end of central directory not found (not a zip archive, or truncated)');
  }

  private readCentralDirectory(): void {
    const v = this.view;
    const eocd = this.findEocd();
    let count = v.getUint16(eocd + 10, true);
    let cdSize = v.getUint32(eocd + 12, true);
    let cdOffset = v.getUint32(eocd + 16, true);
    const loc = eocd - 20;
    if (loc >= 0 && v.getUint32(loc, true) === SIG_ZIP64_LOCATOR) {
      const z64 = u64(v, loc + 8);
      if (z64 + 56 > this.buf.length || v.getUint32(z64, true) !== SIG_ZIP64_EOCD) {
        throw new ZipError('zip: bad zip64 end of central directory record');
      }
      count = u64(v, z64 + 32);
      cdSize = u64(v, z64 + 40);
      cdOffset = u64(v, z64 + 48);
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      throw new ZipError('zip: zip64 archive without a zip64 locator');
    }
    if (cdOffset + cdSize > this.buf.length) throw new ZipError('zip: central directory runs past the end (truncated file?)');

    let p = cdOffset;
    const dec = new TextDecoder();
    for (let i = 0; i < count; i++) {
      if (p + 46 > this.buf.length || v.getUint32(p, true) !== SIG_CENTRAL) throw new ZipError(`zip: bad central directory entry #${i}`);
      const method = v.getUint16(p + 10, true);
      const crc32 = v.getUint32(p + 16, true);
      let compressedSize = v.getUint32(p + 20, true);
      let uncompressedSize = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      let localHeaderOffset = v.getUint32(p + 42, true);
      const name = dec.decode(this.buf.subarray(p + 46, p + 46 + nameLen));
      // zip64 extended information: the 64-bit values present are those whose 32-bit field is all ones.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      if (extraEnd + commentLen > this.buf.length) throw new ZipError(`zip: central directory entry #${i} runs past the end (truncated file?)`);
      while (e + 4 <= extraEnd) {
        const id = v.getUint16(e, true);
        const size = v.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          const need = 8 * [uncompressedSize, compressedSize, localHeaderOffset].filter((x) => x === 0xffffffff).length;
          if (q + need > extraEnd) throw new ZipError(`zip: central directory entry #${i} has a short zip64 field`);
          if (uncompressedSize === 0xffffffff) { uncompressedSize = u64(v, q); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = u64(v, q); q += 8; }
          if (localHeaderOffset === 0xffffffff) { localHeaderOffset = u64(v, q); q += 8; }
        }
        e += 4 + size;
      }
      this.entries.set(name, { name, method, compressedSize, uncompressedSize, crc32, localHeaderOffset });
      p = extraEnd + commentLen;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The member's bytes (a view into the archive for stored members, no copy). */
  read(name: string): Uint8Array {
    const ent = this.entries.get(name);
    if (!ent) throw new ZipError(`zip: no member named ${name}`);
    const v = this.view;
    const h = ent.localHeaderOffset;
    if (h + 30 > this.buf.length || v.getUint32(h, true) !== SIG_LOCAL) throw new ZipError(`zip: bad local header for ${name}`);
    // Sizes come from the central directory (local headers may hold zeros when a data descriptor follows).
    const start = h + 30 + v.getUint16(h + 26, true) + v.getUint16(h + 28, true);
    const end = start + ent.compressedSize;
    if (end > this.buf.length) throw new ZipError(`zip: member ${name} runs past the end (truncated file?)`);
    const raw = this.buf.subarray(start, end);
    if (ent.method === 0) return raw;
    if (ent.method === 8) {
      // Never inflate past the size the directory declares: a small member must not become gigabytes.
      let out: Buffer;
      try {
        out = inflateRawSync(raw, { maxOutputLength: Math.max(1, Math.min(ent.uncompressedSize, MAX_MEMBER_BYTES)) });
      } catch (err) {
        throw new ZipError(`zip: member ${name} does not inflate (${(err as Error).message.split('\n')[0]})`);
      }
      if (out.length !== ent.uncompressedSize) throw new ZipError(`zip: member ${name} inflated to ${out.length} bytes, expected ${ent.uncompressedSize}`);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    throw new ZipError(`zip: member ${name} uses unsupported compression method ${ent.method}`);
  }
}
