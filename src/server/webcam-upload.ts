// A frame from the viewer's own camera, sent up the viewer's WebSocket (binary):
//
//   off size field
//    0   4  magic "CHU1"
//    4   4  sequence number (u32, the page's own counter)
//    8   8  capturedAt: the page's wall clock in ms when it grabbed the frame (f64; echoed back
//           as the result's decodedAt, so the page measures its round trip on its own clock)
//   16      JPEG
//
// Bounded on purpose: at most MAX_UPLOAD_BYTES a message, MAX_UPLOAD_WIDTH x MAX_UPLOAD_HEIGHT
// (larger frames are scaled down), MAX_UPLOAD_FPS a second per viewer; the newest frame wins.

export const UPLOAD_MAGIC = 0x31554843; // "CHU1" read as little-endian u32
export const UPLOAD_HEADER_BYTES = 16;
/** Largest upload message (a 640x480 JPEG at quality 80 is about 40-80 KiB). */
export const MAX_UPLOAD_BYTES = 512 * 1024;
export const MAX_UPLOAD_WIDTH = 640;
export const MAX_UPLOAD_HEIGHT = 480;
/** Frames a viewer may send per second; faster ones are dropped. */
export const MAX_UPLOAD_FPS = 15;

export interface Upload {
  seq: number;
  capturedAt: number;
  jpeg: Buffer;
}

export type UploadParse = { ok: true; upload: Upload } | { ok: false; error: string };

/** Whether a binary message is meant as an upload (to tell it from other binary junk). */
export function isUpload(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === UPLOAD_MAGIC;
}

export function parseUpload(buf: Buffer): UploadParse {
  if (buf.length > MAX_UPLOAD_BYTES) return { ok: false, error: `camera frame too large (${buf.length} bytes, max ${MAX_UPLOAD_BYTES})` };
  if (buf.length < UPLOAD_HEADER_BYTES + 4 || !isUpload(buf)) return { ok: false, error: 'not a camera frame (expected the CHU1 header and a JPEG)' };
  const jpeg = buf.subarray(UPLOAD_HEADER_BYTES);
  // JPEG starts with SOI (FF D8): refuse anything else before handing it to a decoder.
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return { ok: false, error: 'camera frame is not a JPEG' };
  const capturedAt = buf.readDoubleLE(8);
  if (!Number.isFinite(capturedAt)) return { ok: false, error: 'camera frame has no capture time' };
  return { ok: true, upload: { seq: buf.readUInt32LE(4), capturedAt, jpeg } };
}

/** An upload message (for tests and tools; the page builds the same bytes). */
export function encodeUpload(u: Upload): Buffer {
  const h = Buffer.alloc(UPLOAD_HEADER_BYTES);
  h.writeUInt32LE(UPLOAD_MAGIC, 0);
  h.writeUInt32LE(u.seq >>> 0, 4);
  h.writeDoubleLE(u.capturedAt, 8);
  return Buffer.concat([h, u.jpeg]);
}
