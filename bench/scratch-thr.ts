import { Colorizer } from '../src/pipeline/colorizer.js';
import { StageTimer } from '../src/pipeline/stage-timer.js';
import { cpuSample, cpuDelta } from './lib/cpu.js';
const c = await Colorizer.create({ model: process.argv[2], device: 'cpu' });
await c.colorize('/tmp/chb/clip-480.mp4', '/tmp/chb/w.mp4', { overwrite: true }).done;
for (const h of [1080, 480]) {
  const timer = new StageTimer(); const c0 = cpuSample();
  const r = await c.colorize(`/tmp/chb/clip-${h}.mp4`, `/tmp/chb/o.mp4`, { overwrite: true, timer }).done;
  const d = cpuDelta(c0, cpuSample())!;
  console.log(`T=${process.env.CHROMA_INFER_THREADS ?? 'def'} ${h}p fps ${r.fps.toFixed(2)} cpu/f main ${(d.main / r.frames).toFixed(1)} others ${(d.others / r.frames).toFixed(1)} kids ${(d.children / r.frames).toFixed(1)}`);
}
await c.close();
