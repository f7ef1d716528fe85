// The sink of a one-pass job: one ffmpeg encoder writes the whole output, muxing in the source's
// audio, subtitles and metadata.
import { encodeFrames } from '../../operators/encode-frames.js';
import { DEFAULT_ENCODE, encodeArgs, encoderStart, lastFrameDuration, type EncodeSettings } from '../../media/encode-args.js';
import type { ChildGroup } from '../../media/child.js';
import type { MediaInfo } from '../../media/probe.js';
import type { FlowGate } from '../../core/flow-gate.js';
import type { FrameBuffers } from '../../core/frame-buffers.js';
import type { PixelFormat } from '../../core/frames.js';
import type { StageTimer } from '../../core/stage-timer.js';
import type { VideoSink } from '../run-video-job.js';

export interface EncoderSinkOptions {
  info: MediaInfo;
  /** The file ffmpeg writes (a temporary name the caller renames into place). */
  output: string;
  /** The user's output name: picks the container, and names the file in messages. */
  finalName: string;
  /** Codec settings. Default: h264, CRF 18, preset medium. */
  encode?: Partial<EncodeSettings>;
  gate: FlowGate;
  children: ChildGroup;
  timer?: StageTimer;
  /** The run's frame buffers, given back once written (RunParts.buffers). Default: none. */
  buffers?: FrameBuffers | null;
  /** The composed frames' layout (RunParts.output). Default rgb24. */
  frames?: PixelFormat;
  /** The composed frames' own buffers, given back once written (RunParts.output.buffers). Default: none. */
  outBuffers?: FrameBuffers | null;
}

export function encoderSink(o: EncoderSinkOptions): { sink: VideoSink; notes: string[]; children: ChildGroup } {
  const { info } = o;
  const pixFmt = o.frames ?? 'rgb24';
  const command = encodeArgs(o.output, o.finalName, info, { ...DEFAULT_ENCODE, ...o.encode }, pixFmt);
  const sink = encodeFrames({
    width: info.width, height: info.height, frameDuration: lastFrameDuration(info), args: command.args, gate: o.gate,
    label: o.finalName, children: o.children, keepStart: (pts) => encoderStart(info, pts), ...(o.timer ? { timer: o.timer } : {}),
    buffers: o.buffers ?? null, outBuffers: o.outBuffers ?? null, pixFmt,
  });
  return { sink, notes: command.notes, children: o.children };
}
