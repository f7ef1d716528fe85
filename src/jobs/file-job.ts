// A video file job: decode -> colorGraph -> one encoder, run by runVideoJob; backpressure through
// one FlowGate.
import { Subject } from 'rxjs';
import { colorGraph } from '../graph/color-graph.js';
import { smoothStage } from '../operators/smooth-ab.js';
import { decodeFrames } from '../operators/decode-frames.js';
import { encoderSink } from './sinks/encoder-sink.js';
import { runVideoJob } from './run-video-job.js';
import { fixVariableRateMp4, jobGateLimit, restoreStageOf, smoothingOf, sourceNotes, wantsDeinterlace, type VideoJob, type VideoJobOptions } from './video-job.js';
import { FlowGate } from '../core/flow-gate.js';
import { ChildGroup } from '../media/child.js';
import type { MediaInfo } from '../media/probe.js';
import type { LoadedModel } from '../core/model-contract.js';
import type { Progress } from '../core/frames.js';

/** Colorize `info.path` into `tempOutput` (the caller renames it into place). */
export function colorizeVideoFile(
  model: LoadedModel, info: MediaInfo, tempOutput: string, finalName: string, opts: VideoJobOptions, signal?: AbortSignal,
): VideoJob {
  const gate = new FlowGate(jobGateLimit(opts));
  const deint = wantsDeinterlace(info, opts);
  const sink = encoderSink({ info, output: tempOutput, finalName, encode: opts.encode, gate, children: new ChildGroup(), timer: opts.timer });
  const { children } = sink;
  const notes = [...sourceNotes(info, deint), ...sink.notes];
  notes.forEach((n) => opts.onNote?.(n));
  const progress$ = new Subject<Progress>();
  const started = performance.now();

  const colour$ = decodeFrames({
    input: info.path,
    width: info.width,
    height: info.height,
    filters: deint ? ['yadif=0'] : [],
    gate,
    fps: info.fps,
    expectedFrames: info.frames,
    label: info.path,
    codecName: info.codecLongName,
    children,
  }).pipe(colorGraph(model, {
    ...opts,
    smooth: smoothStage(smoothingOf(opts.smooth), opts.timer),
    restore: restoreStageOf(opts, info, children, opts.timer),
  }));

  const done = runVideoJob(colour$, sink.sink, {
    children, progress$, signal, started, total: info.frames, frameDuration: info.fps ? 1 / info.fps : null,
  }).then(async (frames) => {
    await fixVariableRateMp4(info, tempOutput, finalName);
    return { frames, seconds: (performance.now() - started) / 1000, notes };
  });
  return { progress$: progress$.asObservable(), done };
}
