// The encoder's command line: codec and quality, colour tags that match our conversion (sRGB
// primaries = BT.709, sRGB transfer, BT.709 matrix for YUV), and which of the source's audio,
// subtitle and metadata streams can be copied into the chosen container.
import { extname } from 'node:path';
import type { MediaInfo } from './probe.js';

export type Codec = 'h264' | 'h265' | 'ffv1' | 'prores';

export interface EncodeSettings {
  codec: Codec;
  /** Constant rate factor (h264/h265). Default 18: visually lossless for most film. */
  crf: number;
  /** x264/x265 preset. */
  preset: string;
  /** Output pixel format; default per codec (yuv420p; yuv444p for odd sizes; gbrp for FFV1). */
  pixFmt?: string;
}

export const DEFAULT_ENCODE: EncodeSettings = { codec: 'h264', crf: 18, preset: 'medium' };

const MP4_AUDIO = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']);
const TEXT_SUBS = new Set(['subrip', 'srt', 'ass', 'ssa', 'mov_text', 'webvtt', 'text']);

export interface EncodePlan {
  args: string[];
  notes: string[];
}

export function containerOf(path: string): 'mp4' | 'mkv' | 'avi' | 'other' {
  const ext = extname(path).toLowerCase();
  if (['.mp4', '.m4v', '.mov'].includes(ext)) return 'mp4';
  if (['.mkv', '.webm'].includes(ext)) return 'mkv';
  if (ext === '.avi') return 'avi';
  return 'other';
}

/**
 * Arguments after the raw-frame input (`-f matroska -i pipe:0`): the source as input 1 for its
 * other streams, maps, codecs, tags and the output path.
 */
export function encodeArgs(output: string, finalName: string, src: MediaInfo | null, s: EncodeSettings): EncodePlan {
  const notes: string[] = [];
  const container = containerOf(finalName);
  const args: string[] = [];
  if (src) args.push('-i', src.path);
  args.push('-map', '0:v:0');

  if (src) {
    args.push('-map_metadata', '1', '-map_chapters', '1');
    const audioCopyable = container !== 'mp4' || src.audioStreams.every((a) => MP4_AUDIO.has(a.codec));
    for (const a of src.audioStreams) args.push('-map', `1:${a.index}`);
    if (src.audioStreams.length) {
      args.push('-c:a', audioCopyable ? 'copy' : 'aac');
      if (!audioCopyable) {
        args.push('-b:a', '256k');
        notes.push(`audio re-encoded to AAC: ${src.audioStreams.map((a) => a.codec).join(', ')} does not fit ${container.toUpperCase()}`);
      }
    }
    const subs = src.subtitleStreams.filter((t) => container === 'mkv' || (container === 'mp4' && TEXT_SUBS.has(t.codec)));
    if (subs.length < src.subtitleStreams.length) notes.push(`${src.subtitleStreams.length - subs.length} subtitle stream(s) dropped: not storable in ${container.toUpperCase()}`);
    for (const t of subs) args.push('-map', `1:${t.index}`);
    if (subs.length) args.push('-c:s', container === 'mp4' ? 'mov_text' : 'copy');
  } else {
    args.push('-map_metadata', '-1');
  }

  const odd = src ? src.width % 2 === 1 || src.height % 2 === 1 : false;
  if (s.codec === 'ffv1') {
    args.push('-c:v', 'ffv1', '-level', '3', '-g', '1', '-slicecrc', '1', '-pix_fmt', s.pixFmt ?? 'gbrp');
    args.push('-colorspace', 'rgb');
  } else if (s.codec === 'prores') {
    args.push('-c:v', 'prores_ks', '-profile:v', '3', '-pix_fmt', s.pixFmt ?? 'yuv422p10le');
  } else {
    const pix = s.pixFmt ?? (odd ? 'yuv444p' : 'yuv420p');
    if (odd && !s.pixFmt) notes.push('odd frame size: encoding yuv444p to keep the exact size (4:2:0 needs even sizes)');
    args.push('-c:v', s.codec === 'h265' ? 'libx265' : 'libx264', '-crf', String(s.crf), '-preset', s.preset, '-pix_fmt', pix);
  }
  if (s.codec !== 'ffv1') {
    // Our pixels are sRGB; convert to YUV with the BT.709 matrix and say so in the stream.
    args.push('-vf', 'scale=out_color_matrix=bt709:out_range=tv');
    args.push('-colorspace', 'bt709', '-color_range', 'tv');
  }
  args.push('-color_primaries', 'bt709', '-color_trc', 'iec61966-2-1');
  args.push('-vsync', 'passthrough');
  if (src?.variableFrameRate && src.timeBase) args.push('-enc_time_base', src.timeBase.replace('/', ':'));
  if (container === 'mp4') args.push('-movflags', '+faststart');
  args.push(output);
  return { args, notes };
}
