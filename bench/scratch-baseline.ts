import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { Colorizer } from '../src/pipeline/colorizer.js';
import { StageTimer } from '../src/pipeline/stage-timer.js';
const model = process.argv[2] ?? '/tmp/chroma-standin/chroma-default.onnx';
for (const [w, h] of [[640, 480], [1920, 1080]]) {
  const clip = `/tmp/chb/clip-${h}.mp4`;
  if (!existsSync(clip)) execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=25,format=gray`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  const c = await Colorizer.create({ model, device: 'cpu', threads: Number(process.env.T ?? 0) || undefined });
  const timer = new StageTimer();
  const r = await c.colorize(clip, `/tmp/chb/out-${h}.mp4`, { overwrite: true, timer, batch: 4 }).done;
  console.log(h, r.frames, r.fps.toFixed(2), JSON.stringify(Object.fromEntries(Object.entries(r.stages).map(([k, v]) => [k, +v.toFixed(2)]))));
  await c.close();
  const t0 = performance.now();
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', clip, '-map', '0:v:0', '-c:v', 'libx264', '-crf', '18', '-preset', 'medium', '-pix_fmt', 'yuv420p', '-vf', 'scale=out_color_matrix=bt709:out_range=tv', `/tmp/chb/tx-${h}.mp4`]);
  console.log('transcode fps', (r.frames / ((performance.now() - t0) / 1000)).toFixed(2));
}
