// The encoder's command line: codec and quality, colour tags that match our conversion (sRGB
// primaries = BT.709, sRGB transfer, BT.709 matrix for YUV), and which of the source's audio,
// subtitle and metadata streams can be copied into the chosen container.
//
// Three shapes: the one-pass encode (frames + the source's other streams into the output), the
// video-only segment encode of a resumable job, and the join that concatenates the segments
// losslessly and adds the source's other streams.
import { extname } from 'node:path';
import type { MediaInfo } from './probe.js';
import type { PixelFormat } from '../core/frames.js';
import { hardwareEncoder, hwEncoderArgs, type HwEncode } from './hw-encode.js';

export type Codec = 'h264' | 'h265' | 'ffv1' | 'prores';

export interface EncodeSettings {
  codec: Codec;
  /** Constant rate factor (h264/h265). Default 18: visually lossless for most film. */
  crf: number;
  /** x264/x265 preset. */
  preset: string;
  /** Output pixel format; default per codec (yuv420p; yuv444p for odd sizes; gbrp for FFV1). */
  pixFmt?: string;
  /**
   * h264/h265: 'auto' encodes with a hardware encoder (NVENC, Quick Sync, VAAPI) when the ffmpeg in
   * use has one that works (src/media/hw-encode.ts), else x264/x265; 'off' (default) always x264/x265.
   */
  hwEncode?: HwEncode;
}

export const DEFAULT_ENCODE: EncodeSettings = { codec: 'h264', crf: 18, preset: 'medium' };

const MP4_AUDIO = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']);
const TEXT_SUBS = new Set(['subrip', 'srt', 'ass', 'ssa', 'mov_text', 'webvtt', 'text']);

/** One ffmpeg command line: its arguments, and the notes to print about it (streams left out, ...). */
export interface EncodeCommand {
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

/** Codec, pixel format, colour tags and timing of the encoded video stream (output options). */
function videoArgs(src: MediaInfo | null, s: EncodeSettings, notes: string[], container: ReturnType<typeof containerOf>, frames: PixelFormat): string[] {
  const args: string[] = [];
  // ffmpeg 4.1's MP4 muxer sizes the edit list from decode timestamps; with B-frames and a variable
  // frame rate that cuts the last frame(s) off for every player. Without B-frames decode and
  // presentation times are equal, so the edit list covers every frame.
  const noBFrames = container === 'mp4' && Boolean(src?.variableFrameRate) && (s.codec === 'h264' || s.codec === 'h265');
  if (noBFrames) notes.push('variable frame rate into MP4: B-frames off so that every frame stays inside the MP4 edit list');
  const odd = src ? src.width % 2 === 1 || src.height % 2 === 1 : false;
  let hwFilter = '';
  if (s.codec === 'ffv1') {
    args.push('-c:v', 'ffv1', '-level', '3', '-g', '1', '-slicecrc', '1', '-pix_fmt', s.pixFmt ?? 'gbrp');
    args.push('-colorspace', 'rgb');
  } else if (s.codec === 'prores') {
    args.push('-c:v', 'prores_ks', '-profile:v', '3', '-pix_fmt', s.pixFmt ?? 'yuv422p10le');
  } else {
    const pix = s.pixFmt ?? (odd ? 'yuv444p' : 'yuv420p');
    if (odd && !s.pixFmt) notes.push('odd frame size: encoding yuv444p to keep the exact size (4:2:0 needs even sizes)');
    const hw = s.hwEncode === 'auto' ? hardwareEncoder(s.codec) : null;
    if (hw) {
      const h = hwEncoderArgs(hw, s.crf, s.preset, pix);
      notes.push(`encoding with ${hw} (--hw-encode auto)`);
      args.push(...h.global, '-c:v', hw, ...h.args);
      hwFilter = h.filter;
      if (noBFrames) args.push('-bf', '0');
    } else {
      args.push('-c:v', s.codec === 'h265' ? 'libx265' : 'libx264', '-crf', String(s.crf), '-preset', s.preset, '-pix_fmt', pix);
      if (s.codec === 'h265') args.push('-x265-params', noBFrames ? 'log-level=error:bframes=0' : 'log-level=error');
      else if (noBFrames) args.push('-bf', '0');
    }
  }
  if (s.codec !== 'ffv1') {
    // Our pixels are sRGB; convert to YUV with the BT.709 matrix and say so in the stream. Frames
    // that come as yuv420p were converted with that matrix already (color/yuv.ts).
    if (frames === 'rgb24') args.push('-vf', `scale=out_color_matrix=bt709:out_range=tv${hwFilter}`);
    else if (hwFilter) args.push('-vf', hwFilter.replace(/^,/, ''));
    args.push('-colorspace', 'bt709', '-color_range', 'tv');
  }
  args.push('-color_primaries', 'bt709', '-color_trc', 'iec61966-2-1');
  args.push('-vsync', 'passthrough');
  // Variable frame rates keep every timestamp in the source's own time base. Constant rates keep
  // 1/fps: ffmpeg 4.1 derives packet durations from it, and with a finer base the MP4 edit list
  // would end at the last frame's start and drop it. (So a start that is a fraction of a frame
  // after the audio is kept to the nearest frame.)
  if (src?.variableFrameRate && src.timeBase) args.push('-enc_time_base', src.timeBase.replace('/', ':'));
  return args;
}

/**
 * Where an encoder run places a video whose first frame is at `pts` (s): exactly there for a
 * variable frame rate (the encoder keeps the source's time base), and on the nearest whole frame
 * for a constant rate (the encoder's 1/fps time base could not hold a fraction of a frame, and
 * how ffmpeg would round it differs between runs). Segments of a resumable job and one-pass
 * encodes use the same rule, so their timestamps agree.
 */
export function encoderStart(src: MediaInfo | null, pts: number): number {
  if (!src || src.variableFrameRate || !src.fps) return pts;
  return Math.round(pts * src.fps) / src.fps;
}

/**
 * How long the last frame lasts in the output: one frame of the source's base rate for a
 * variable frame rate (the average would be an odd length), else one frame of its rate.
 */
export function lastFrameDuration(src: MediaInfo): number | null {
  if (src.variableFrameRate && src.baseFps) return 1 / src.baseFps;
  return src.fps ? 1 / src.fps : null;
}

/**
 * Maps and codecs for the source's audio, subtitles, metadata and chapters, the source being
 * input number `input`. Audio that fits the container is copied stream by stream; only the streams
 * that do not fit are re-encoded.
 */
function sourceStreamArgs(src: MediaInfo, container: ReturnType<typeof containerOf>, input: number, notes: string[]): string[] {
  const args: string[] = ['-map_metadata', String(input), '-map_chapters', String(input)];
  const reencoded: string[] = [];
  src.audioStreams.forEach((a, i) => {
    args.push('-map', `${input}:${a.index}`);
    const fits = container !== 'mp4' || MP4_AUDIO.has(a.codec);
    if (fits) args.push(`-c:a:${i}`, 'copy');
    else {
      args.push(`-c:a:${i}`, 'aac', `-b:a:${i}`, '256k');
      reencoded.push(a.codec);
    }
  });
  if (reencoded.length) notes.push(`audio re-encoded to AAC: ${reencoded.join(', ')} does not fit ${container.toUpperCase()}`);
  const subs = src.subtitleStreams.filter((t) => container === 'mkv' || (container === 'mp4' && TEXT_SUBS.has(t.codec)));
  if (subs.length < src.subtitleStreams.length) notes.push(`${src.subtitleStreams.length - subs.length} subtitle stream(s) dropped: not storable in ${container.toUpperCase()}`);
  for (const t of subs) args.push('-map', `${input}:${t.index}`);
  if (subs.length) args.push('-c:s', container === 'mp4' ? 'mov_text' : 'copy');
  return args;
}

function containerArgs(container: ReturnType<typeof containerOf>): string[] {
  return container === 'mp4' ? ['-movflags', '+faststart'] : [];
}

/**
 * Whether the encoder can take our frames as yuv420p (so nothing is converted on its side): h264
 * or h265 encoded as yuv420p (the default for even sizes), from frames of even width and height.
 */
export function takesYuv420(width: number, height: number, s: EncodeSettings): boolean {
  return (s.codec === 'h264' || s.codec === 'h265') && (s.pixFmt ?? 'yuv420p') === 'yuv420p' && width % 2 === 0 && height % 2 === 0;
}

/**
 * Arguments after the raw-frame input (`-f matroska -i pipe:0`): the source as input 1 for its
 * other streams, maps, codecs, tags and the output path. `frames`: the layout of the frames fed
 * in (default rgb24, which the encoder converts; yuv420p only where takesYuv420).
 */
export function encodeArgs(output: string, finalName: string, src: MediaInfo | null, s: EncodeSettings, frames: PixelFormat = 'rgb24'): EncodeCommand {
  const notes: string[] = [];
  const container = containerOf(finalName);
  const args: string[] = [];
  if (src) args.push('-i', src.path);
  args.push('-map', '0:v:0');
  if (src) args.push(...sourceStreamArgs(src, container, 1, notes));
  else args.push('-map_metadata', '-1');
  args.push(...videoArgs(src, s, notes, container, frames));
  args.push(...containerArgs(container));
  args.push(output);
  return { args, notes };
}

/**
 * One segment of a resumable job: the video alone, into NUT (it keeps the encoder's time base
 * exactly, so the join reproduces every timestamp, and it stores decode timestamps for B-frames).
 * Each segment is its own encoder run, so it starts with a keyframe.
 */
export function segmentEncodeArgs(output: string, finalName: string, src: MediaInfo | null, s: EncodeSettings): EncodeCommand {
  const notes: string[] = [];
  const args = ['-map', '0:v:0', '-map_metadata', '-1', ...videoArgs(src, s, notes, containerOf(finalName), 'rgb24'), '-f', 'nut', output];
  return { args, notes };
}

/**
 * The join: the segments listed in a concat-demuxer file (input 0, copied as they are, starting at
 * `videoStart` seconds) and the source's other streams (input 1), into the output.
 */
export function joinArgs(listFile: string, output: string, finalName: string, src: MediaInfo, videoStart = 0): EncodeCommand {
  const notes: string[] = [];
  const container = containerOf(finalName);
  const args = [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'level+error', '-y',
    '-itsoffset', videoStart.toFixed(6), '-f', 'concat', '-safe', '0', '-i', listFile,
    '-i', src.path,
    '-map', '0:v:0', '-c:v', 'copy',
    ...sourceStreamArgs(src, container, 1, notes),
    ...containerArgs(container),
    output,
  ];
  return { args, notes };
}
