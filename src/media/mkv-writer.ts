// A minimal Matroska writer for raw video frames (rgb24 or planar yuv420p) with explicit timestamps. It exists so the
// encoder ffmpeg receives each frame with its own presentation time: a bare rawvideo pipe has
// none, and variable-frame-rate sources would lose their timing. One Cluster per frame keeps the
// writer stateless (no cluster-relative timecode bookkeeping).

/** Matroska timestamps are written in microseconds (TimecodeScale = 1000 ns). */
const TIMECODE_SCALE_NS = 1000;

function vintSize(n: number): Buffer {
  // 8-byte size form (0x01 marker) works for every size and keeps the code branch-free.
  const b = Buffer.alloc(8);
  b[0] = 0x01;
  let v = n;
  for (let i = 7; i >= 1; i--) {
    b[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return b;
}

function idBytes(id: number): Buffer {
  const bytes: number[] = [];
  let v = id;
  while (v > 0) {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Buffer.from(bytes);
}

function uintBytes(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.round(n))));
  return b;
}

function el(id: number, payload: Buffer | Buffer[]): Buffer {
  const body = Array.isArray(payload) ? Buffer.concat(payload) : payload;
  return Buffer.concat([idBytes(id), vintSize(body.length), body]);
}

const uint = (id: number, n: number): Buffer => el(id, uintBytes(n));
const str = (id: number, s: string): Buffer => el(id, Buffer.from(s, 'latin1'));

import type { PixelFormat } from '../core/frames.js';

/** ColourSpace: the FourCC ffmpeg's Matroska reader maps to the raw format ('RGB' 24 bits; I420). */
const FOURCC: Record<PixelFormat, number[]> = { rgb24: [0x52, 0x47, 0x42, 24], yuv420p: [0x49, 0x34, 0x32, 0x30] };

export interface MkvStreamOptions {
  width: number;
  height: number;
  /** The frames' pixel format. Default rgb24. */
  pixFmt?: PixelFormat;
  /** Nominal frame duration in seconds (the source's average); gives the last frame its length. */
  frameDuration?: number;
}

/** The EBML header, an unknown-size Segment, Info and the single video track. */
export function mkvHeader({ width, height, frameDuration, pixFmt = 'rgb24' }: MkvStreamOptions): Buffer {
  const ebml = el(0x1a45dfa3, [
    uint(0x4286, 1), // EBMLVersion
    uint(0x42f7, 1), // EBMLReadVersion
    uint(0x42f2, 4), // EBMLMaxIDLength
    uint(0x42f3, 8), // EBMLMaxSizeLength
    str(0x4282, 'matroska'),
    uint(0x4287, 4),
    uint(0x4285, 2),
  ]);
  const info = el(0x1549a966, [uint(0x2ad7b1, TIMECODE_SCALE_NS), str(0x4d80, 'chroma'), str(0x5741, 'chroma')]);
  const video = el(0xe0, [uint(0xb0, width), uint(0xba, height), el(0x2eb524, Buffer.from(FOURCC[pixFmt]))]);
  // Language 'und': without it a Matroska reader assumes English and the output's video says so.
  const trackFields = [uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 1), uint(0x9c, 0), str(0x22b59c, 'und'), str(0x86, 'V_UNCOMPRESSED')];
  if (frameDuration && frameDuration > 0) trackFields.push(uint(0x23e383, frameDuration * 1e9)); // DefaultDuration, ns
  const track = el(0xae, [...trackFields, video]);
  const tracks = el(0x1654ae6b, track);
  // Segment of unknown size: the stream is written once, front to back, into a pipe.
  const segmentStart = Buffer.concat([idBytes(0x18538067), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
  return Buffer.concat([ebml, segmentStart, info, tracks]);
}

/**
 * The bytes that precede one frame's pixels: a Cluster holding its timestamp and a SimpleBlock
 * header. Write this, then the frame's bytes (exactly frameBytes long).
 */
export function mkvFramePrefix(ptsSeconds: number, frameBytes: number): Buffer {
  const timecode = uint(0xe7, Math.round(ptsSeconds * (1e9 / TIMECODE_SCALE_NS)));
  // SimpleBlock: track 1 (vint 0x81), relative timecode 0, flags 0x80 (keyframe).
  const blockHead = Buffer.from([0x81, 0x00, 0x00, 0x80]);
  const blockSize = blockHead.length + frameBytes;
  const simpleBlockHeader = Buffer.concat([idBytes(0xa3), vintSize(blockSize), blockHead]);
  const clusterSize = timecode.length + simpleBlockHeader.length + frameBytes;
  return Buffer.concat([idBytes(0x1f43b675), vintSize(clusterSize), timecode, simpleBlockHeader]);
}
