import { readFileSync } from 'node:fs';
import { Colorizer } from '../src/pipeline/colorizer.js';
import { StageTimer } from '../src/pipeline/stage-timer.js';
const cpu = () => { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return { self: (+f[11] + +f[12]) / 100, kids: (+f[13] + +f[14]) / 100 }; };
const model = '/tmp/chroma-standin/chroma-default.onnx';
const threads = Number(process.env.T ?? 0) || undefined;
const c = await Colorizer.create({ model, device: 'cpu', threads });
for (const h of [480, 1080]) {
  const clip = `/tmp/chb/clip-${h}.mp4`;
  const timer = new StageTimer();
  const a = cpu(); const t0 = performance.now();
  const r = await c.colorize(clip, `/tmp/chb/out-${h}.mp4`, { overwrite: true, timer, batch: Number(process.env.B ?? 4) }).done;
  const b = cpu();
  console.log(h, 'fps', r.fps.toFixed(2), 'wall ms/f', ((performance.now() - t0) / r.frames).toFixed(1), 'cpu self ms/f', ((b.self - a.self) * 1000 / r.frames).toFixed(1), 'kids', ((b.kids - a.kids) * 1000 / r.frames).toFixed(1), JSON.stringify(Object.fromEntries(Object.entries(r.stages).map(([k, v]) => [k, +v.toFixed(1)]))));
}
await c.close();
