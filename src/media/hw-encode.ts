// Hardware H.264/H.265 encoders (--hw-encode auto): which one the ffmpeg in use can run, and its
// output options. An encoder counts only when ffmpeg lists it AND a one-frame trial encode with the
// very options a job would use succeeds: a build can list h264_vaapi (the bundled static ffmpeg
// does) on a machine without the device, and h264_nvenc without a driver.
import { execFileSync } from 'node:child_process';
import { FFMPEG } from './ffmpeg-paths.js';

export type HwEncode = 'auto' | 'off';

/** Hardware encoders tried for each codec, best first: NVIDIA, Intel Quick Sync, VAAPI. */
export const HW_ENCODERS = {
  h264: ['h264_nvenc', 'h264_qsv', 'h264_vaapi'],
  h265: ['hevc_nvenc', 'hevc_qsv', 'hevc_vaapi'],
} as const;

export type HwEncoder = (typeof HW_ENCODERS)[keyof typeof HW_ENCODERS][number];

/** The VAAPI render node (the first GPU's). */
const VAAPI_DEVICE = '/dev/dri/renderD128';

/** Encoder names in `ffmpeg -encoders` output (lines like " V..... libx264  description"). */
export function parseEncoders(listing: string): Set<string> {
  const out = new Set<string>();
  for (const line of listing.split('\n')) {
    const m = /^\s*[VAS][.A-Z]{5}\s+(\S+)/.exec(line);
    if (m && m[1] !== '=') out.add(m[1]);
  }
  return out;
}

// x264's presets (speed order) on each encoder's own scale: NVENC p1 (fastest) .. p7, Quick Sync
// veryfast .. veryslow.
const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'];
const NVENC_PRESETS = ['p1', 'p1', 'p2', 'p3', 'p3', 'p4', 'p5', 'p6', 'p7', 'p7'];
const QSV_PRESETS = ['veryfast', 'veryfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'veryslow'];

/**
 * The options after `-c:v ENCODER`, and the filters to append to the scale filter, for a
 * hardware encoder at x264's `crf` and `preset` (the same numbers as constant quality).
 */
export function hwEncoderArgs(encoder: HwEncoder, crf: number, preset: string, pixFmt: string): { args: string[]; filter: string; global: string[] } {
  const speed = Math.max(0, X264_PRESETS.indexOf(preset));
  if (encoder.endsWith('_nvenc')) {
    return { args: ['-preset', NVENC_PRESETS[speed], '-rc', 'vbr', '-cq', String(crf), '-b:v', '0', '-pix_fmt', pixFmt], filter: '', global: [] };
  }
  if (encoder.endsWith('_qsv')) {
    return { args: ['-preset', QSV_PRESETS[speed], '-global_quality', String(crf), '-pix_fmt', 'nv12'], filter: '', global: [] };
  }
  // VAAPI encodes GPU surfaces: upload NV12 frames to the device.
  return {
    args: ['-qp', String(crf)], filter: ',format=nv12,hwupload',
    global: ['-init_hw_device', `vaapi=chroma_va:${VAAPI_DEVICE}`, '-filter_hw_device', 'chroma_va'],
  };
}

/** One frame through `encoder` with the options a job would use; true when ffmpeg exits 0. */
function trialEncode(ffmpeg: string, encoder: HwEncoder): boolean {
  const { args, filter, global } = hwEncoderArgs(encoder, 23, 'medium', 'yuv420p');
  try {
    execFileSync(ffmpeg, [
      '-nostdin', '-hide_banner', '-loglevel', 'error', ...global,
      '-f', 'lavfi', '-i', 'color=gray:size=256x144:rate=25', '-frames:v', '1',
      '-vf', `scale=out_color_matrix=bt709:out_range=tv${filter}`, '-c:v', encoder, ...args, '-f', 'null', '-',
    ], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const chosen = new Map<string, HwEncoder | null>();

/**
 * The hardware encoder `--hw-encode auto` uses for `codec` with `ffmpeg` (default: CHROMA_FFMPEG or
 * the bundled build), or null for the software one (libx264/libx265). Asked once per ffmpeg and
 * codec in a process (a listing and at most three one-frame trials), then remembered.
 */
export function hardwareEncoder(codec: keyof typeof HW_ENCODERS, ffmpeg: string = FFMPEG): HwEncoder | null {
  const key = `${ffmpeg}\0${codec}`;
  if (chosen.has(key)) return chosen.get(key)!;
  let listed = new Set<string>();
  try {
    listed = parseEncoders(execFileSync(ffmpeg, ['-hide_banner', '-encoders'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 }).toString());
  } catch {
    // an ffmpeg that cannot list its encoders gets the software one
  }
  const pick = HW_ENCODERS[codec].find((e) => listed.has(e) && trialEncode(ffmpeg, e)) ?? null;
  chosen.set(key, pick);
  return pick;
}
