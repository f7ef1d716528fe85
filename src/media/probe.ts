// What ffprobe says about an input: the first video stream's geometry and timing, and which
// other streams exist (audio and subtitles are copied into the output).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { open } from 'node:fs/promises';
import { FFMPEG, FFPROBE, FFPROBE_ENV } from './ffmpeg-paths.js';
import { inputError } from '../core/errors.js';

const run = promisify(execFile);

export interface MediaInfo {
  path: string;
  formatName: string;
  /** Display size: after applying the rotation (ffmpeg auto-rotates decoded frames). */
  width: number;
  height: number;
  /** Rotation in degrees from the display matrix or the rotate tag (0, 90, 180, 270). */
  rotation: number;
  /** Average frame rate (frames / second), or null when unknown. */
  fps: number | null;
  /** The stream's frame rate as a rational string, for the encoder. */
  frameRate: string | null;
  /** The base rate every timestamp fits (r_frame_rate): 1/this is a natural frame length. */
  baseFps: number | null;
  /** The video stream's time base, e.g. "1/90000". */
  timeBase: string | null;
  /** True when the stream's timestamps are not a constant rate. */
  variableFrameRate: boolean;
  /** Frame count from the container, or an estimate from duration x fps, or null. */
  frames: number | null;
  durationSeconds: number | null;
  pixFmt: string | null;
  /** ffprobe's color_range ('tv', 'pc') and color_space ('bt709', 'bt470bg', ...) of the video; absent or null when untagged. */
  colorRange?: string | null;
  colorSpace?: string | null;
  /** True when the pixel format carries alpha (it is dropped: video outputs are opaque). */
  hasAlpha: boolean;
  /** The file's start time in seconds (ffmpeg subtracts it from every timestamp). */
  startTime: number;
  codec: string;
  /** ffprobe's long name of the codec, for messages. */
  codecLongName: string;
  interlaced: boolean;
  audioStreams: { index: number; codec: string }[];
  subtitleStreams: { index: number; codec: string }[];
  /** True when the input is a single still image (jpg/png/...), not a video. */
  still: boolean;
}

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  codec_long_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  nb_frames?: string;
  duration?: string;
  pix_fmt?: string;
  color_range?: string;
  color_space?: string;
  field_order?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
  disposition?: { attached_pic?: number };
}

function rational(s: string | undefined): number | null {
  if (!s) return null;
  const [n, d] = s.split('/').map(Number);
  if (!Number.isFinite(n) || !Number.isFinite(d) || d === 0 || n === 0) return null;
  return n / d;
}

/** Pixel formats with an alpha plane: yuva*, gbrap*, ya*, and the packed RGBA orders. */
const ALPHA_FORMATS = /^(yuva|gbrap|ya\d|argb|rgba|abgr|bgra)/;

const STILL_CODECS = new Set(['mjpeg', 'png', 'webp', 'tiff', 'bmp', 'gif', 'jpeg2000']);
const STILL_FORMATS = /image2|_pipe$|png_pipe|jpeg_pipe|webp_pipe|tiff_pipe/;

/** True when the file starts like an MP4/MOV (an ISO media box such as ftyp, moov, mdat, wide). */
async function looksLikeIsoMedia(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(8);
      await fh.read(head, 0, 8, 0);
      return ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip'].includes(head.toString('latin1', 4, 8));
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

export async function probeMedia(path: string): Promise<MediaInfo> {
  let stdout: string;
  try {
    ({ stdout } = await run(FFPROBE, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], {
      maxBuffer: 64 * 1024 * 1024,
      env: FFPROBE_ENV,
    }));
  } catch (err) {
    const signal = (err as { signal?: string }).signal;
    if (signal) throw inputError(`${path}: cannot be probed: ffprobe crashed (${signal}) reading it`);
    const text = String((err as { stderr?: string }).stderr ?? err).trim();
    if (/moov atom not found/i.test(text) && (await looksLikeIsoMedia(path))) {
      throw inputError(`${path}: truncated or unfinished MP4/MOV: its index (moov atom) is missing, so no frame can be located (was the recording cut off?)`);
    }
    const msg = text.split('\n').pop() ?? '';
    throw inputError(`${path}: not a readable media file (${msg.replace(/^.*?: /, '') || 'ffprobe failed'})`);
  }
  const data = JSON.parse(stdout) as { streams?: FfprobeStream[]; format?: { format_name?: string; duration?: string; start_time?: string } };
  const streams = data.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) throw inputError(`${path}: no video stream (found ${streams.map((s) => s.codec_type).join(', ') || 'no streams'})`);
  if (!video.width || !video.height) throw inputError(`${path}: the video stream has no size (codec ${video.codec_name ?? 'unknown'} unsupported?)`);

  let rotation = 0;
  const dm = video.side_data_list?.find((d) => typeof d.rotation === 'number');
  if (dm?.rotation) rotation = dm.rotation;
  else if (video.tags?.rotate) rotation = -Number(video.tags.rotate);
  rotation = ((Math.round(rotation / 90) * 90) % 360 + 360) % 360;
  const swap = rotation === 90 || rotation === 270;

  const formatName = data.format?.format_name ?? '';
  const avg = rational(video.avg_frame_rate);
  const rfr = rational(video.r_frame_rate);
  const fps = avg ?? rfr;
  const durationSeconds = Number(video.duration ?? data.format?.duration) || null;
  const nb = Number(video.nb_frames);
  const still = STILL_CODECS.has(video.codec_name ?? '') && (STILL_FORMATS.test(formatName) || !durationSeconds);
  const frames = still ? 1 : nb > 0 ? nb : durationSeconds && fps ? Math.round(durationSeconds * fps) : null;
  const variableFrameRate = !still && avg !== null && rfr !== null && Math.abs(avg - rfr) / rfr > 0.01;

  return {
    path,
    formatName,
    width: swap ? video.height : video.width,
    height: swap ? video.width : video.height,
    rotation,
    fps,
    frameRate: video.avg_frame_rate && avg ? video.avg_frame_rate : video.r_frame_rate ?? null,
    baseFps: rfr,
    timeBase: video.time_base ?? null,
    variableFrameRate,
    frames,
    durationSeconds,
    pixFmt: video.pix_fmt ?? null,
    colorRange: video.color_range && video.color_range !== 'unknown' ? video.color_range : null,
    colorSpace: video.color_space && video.color_space !== 'unknown' ? video.color_space : null,
    hasAlpha: ALPHA_FORMATS.test(video.pix_fmt ?? ''),
    startTime: Number(data.format?.start_time) || 0,
    codec: video.codec_name ?? 'unknown',
    codecLongName: video.codec_long_name ?? video.codec_name ?? 'unknown codec',
    interlaced: ['tt', 'bb', 'tb', 'bt'].includes(video.field_order ?? ''),
    audioStreams: streams.filter((s) => s.codec_type === 'audio').map((s) => ({ index: s.index, codec: s.codec_name ?? '' })),
    subtitleStreams: streams.filter((s) => s.codec_type === 'subtitle').map((s) => ({ index: s.index, codec: s.codec_name ?? '' })),
    still,
  };
}

/** The first video frame's timestamp as ffmpeg's showinfo reports it, exactly (pts x time base). */
export async function firstFramePts(path: string, copyts: boolean): Promise<number | null> {
  try {
    const { stderr } = await run(FFMPEG, [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', ...(copyts ? ['-copyts'] : []),
      '-i', path, '-map', '0:v:0', '-frames:v', '1', '-vf', 'showinfo', '-f', 'null', '-',
    ], { maxBuffer: 16 * 1024 * 1024 });
    const tb = /config in time_base:\s*(\d+)\/(\d+)/.exec(stderr);
    const m = /\bn:\s*0\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.e+-]+)/.exec(stderr);
    if (!m) return null;
    return tb && Number(tb[2]) > 0 ? (Number(m[1]) * Number(tb[1])) / Number(tb[2]) : Number(m[2]);
  } catch {
    return null;
  }
}

/**
 * Seconds that ffmpeg takes off this file's timestamps when it decodes without -copyts. Usually
 * the container's start time, but ffmpeg 4.1 and the newer ffprobe do not always agree on it (for
 * MPEG-TS 4.1 starts the video itself at zero), so it is measured: a decode with -copyts minus
 * one without. A resumable job decodes with -copyts (to seek) and subtracts this, so its
 * timestamps are those of a one-pass run.
 */
export async function decoderTimestampOffset(info: MediaInfo): Promise<number> {
  const [kept, shifted] = await Promise.all([firstFramePts(info.path, true), firstFramePts(info.path, false)]);
  return kept !== null && shifted !== null ? kept - shifted : info.startTime;
}
