// A video file job: the plan's chain from the decoder into one encoder (colourRun), backpressure
// through the run's one FlowGate.
import { Subject } from 'rxjs';
import { decodeFrames } from '../operators/decode-frames.js';
import { encoderSink } from './sinks/encoder-sink.js';
import { fixVariableRateMp4, type VideoJob } from './video-job.js';
import { colourRun, runParts, type VideoPlan } from './video-plan.js';
import type { Progress } from '../core/frames.js';

/** Colorize the plan's film into `tempOutput` (the caller renames it into place). */
export function colorizeVideoFile(plan: VideoPlan, tempOutput: string, finalName: string, signal?: AbortSignal): VideoJob {
  const { info } = plan;
  const parts = runParts(plan, true);
  const { gate, children, buffers, output } = parts;
  const sink = encoderSink({
    info, output: tempOutput, finalName, encode: plan.encode, gate, children, timer: plan.graph.timer, buffers,
    frames: output.format, outBuffers: output.buffers ?? null,
  });
  const notes = [...plan.notes, ...sink.notes];
  notes.forEach((n) => plan.onNote?.(n));
  const progress$ = new Subject<Progress>();
  const started = performance.now();

  const decoded$ = decodeFrames({
    input: info.path,
    width: info.width,
    height: info.height,
    filters: plan.deinterlace ? ['yadif=0'] : [],
    gate,
    fps: info.fps,
    expectedFrames: info.frames,
    label: info.path,
    codecName: info.codecLongName,
    children,
    buffers,
    yuv: parts.decodeYuv,
  });
  const done = colourRun(plan, parts, decoded$, sink.sink, {
    progress$, signal, started, total: info.frames, frameDuration: info.fps ? 1 / info.fps : null,
  }).then(async (frames) => {
    await fixVariableRateMp4(info, tempOutput, finalName);
    return { frames, seconds: (performance.now() - started) / 1000, notes };
  });
  return { progress$: progress$.asObservable(), done };
}
