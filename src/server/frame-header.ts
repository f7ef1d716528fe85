// The binary frame message sent to viewers: a fixed little-endian header, then one JPEG.
//
//   off size field
//    0   4  magic "CHR1"
//    4   2  header length in bytes (the JPEG starts here; readers must honour it)
//    6   2  flags: bit 0 = pts is known; bit 1 = the colorized frame of this viewer's own camera
//           (webcam upload: seq and decodedAt are then the page's own sequence and capture time)
//    8   4  sequence number (source frame counter; gaps = frames dropped before the viewer)
//   12   2  width            14   2  height
//   16   8  pts in seconds (f64, source timestamps; restart on reconnect)
//   24   8  decodedAt: wall clock in ms since the epoch when the decoder delivered the frame (f64)
//   32   8  sentAt: wall clock in ms when the message was built (f64)
//   40  4x6 stage times in ms (f32): queue, prep, infer, smooth, compose, jpeg
//   64   4  frames dropped at the server's model input so far (u32)
//   68   4  source reconnects so far (u32)
//   72      JPEG

export const FRAME_MAGIC = 0x31524843; // "CHR1" read as little-endian u32
export const FRAME_HEADER_BYTES = 72;
export const STAGE_NAMES = ['queue', 'prep', 'infer', 'smooth', 'compose', 'jpeg'] as const;
export type LiveStage = (typeof STAGE_NAMES)[number];
export type StageTimes = Record<LiveStage, number>;

export interface FrameHeader {
  seq: number;
  width: number;
  height: number;
  pts: number | null;
  decodedAt: number;
  sentAt: number;
  stages: StageTimes;
  droppedSource: number;
  reconnects: number;
  /** The result of this viewer's camera upload, not the shared stream. */
  upload?: boolean;
}

export function encodeFrameHeader(h: FrameHeader): Buffer {
  const b = Buffer.alloc(FRAME_HEADER_BYTES);
  b.writeUInt32LE(FRAME_MAGIC, 0);
  b.writeUInt16LE(FRAME_HEADER_BYTES, 4);
  b.writeUInt16LE((h.pts === null ? 0 : 1) | (h.upload ? 2 : 0), 6);
  b.writeUInt32LE(h.seq >>> 0, 8);
  b.writeUInt16LE(h.width & 0xffff, 12);
  b.writeUInt16LE(h.height & 0xffff, 14);
  b.writeDoubleLE(h.pts ?? 0, 16);
  b.writeDoubleLE(h.decodedAt, 24);
  b.writeDoubleLE(h.sentAt, 32);
  STAGE_NAMES.forEach((s, i) => b.writeFloatLE(h.stages[s] ?? 0, 40 + 4 * i));
  b.writeUInt32LE(Math.min(h.droppedSource, 0xffffffff) >>> 0, 64);
  b.writeUInt32LE(Math.min(h.reconnects, 0xffffffff) >>> 0, 68);
  return b;
}

/** Parse a frame message; returns the header and a view of the JPEG bytes, or null when malformed. */
export function decodeFrameMessage(msg: Buffer): { header: FrameHeader; jpeg: Buffer } | null {
  if (msg.length < FRAME_HEADER_BYTES || msg.readUInt32LE(0) !== FRAME_MAGIC) return null;
  const hl = msg.readUInt16LE(4);
  if (hl < FRAME_HEADER_BYTES || hl > msg.length) return null;
  const stages = {} as StageTimes;
  STAGE_NAMES.forEach((s, i) => (stages[s] = msg.readFloatLE(40 + 4 * i)));
  return {
    header: {
      seq: msg.readUInt32LE(8),
      width: msg.readUInt16LE(12),
      height: msg.readUInt16LE(14),
      pts: msg.readUInt16LE(6) & 1 ? msg.readDoubleLE(16) : null,
      decodedAt: msg.readDoubleLE(24),
      sentAt: msg.readDoubleLE(32),
      stages,
      droppedSource: msg.readUInt32LE(64),
      reconnects: msg.readUInt32LE(68),
      ...(msg.readUInt16LE(6) & 2 ? { upload: true } : {}),
    },
    jpeg: msg.subarray(hl),
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution (same clock a browser's performance API uses). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
