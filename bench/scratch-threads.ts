import { readFileSync, readdirSync } from 'node:fs';
import { Colorizer } from '../src/pipeline/colorizer.js';
import { StageTimer } from '../src/pipeline/stage-timer.js';
const threads = () => { const m = new Map<string, number>(); for (const t of readdirSync('/proc/self/task')) { try { const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8'); const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); m.set(`${t}:${name}`, (+f[11] + +f[12]) * 10); } catch {} } return m; };
const kids = () => { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (+f[13] + +f[14]) * 10; };
const model = '/tmp/chroma-standin/chroma-default.onnx';
const c = await Colorizer.create({ model, device: 'cpu' });
for (const h of [480, 1080]) {
  const clip = `/tmp/chb/clip-${h}.mp4`;
  const timer = new StageTimer();
  const a = threads(), ka = kids(); const t0 = performance.now();
  const r = await c.colorize(clip, `/tmp/chb/out-${h}.mp4`, { overwrite: true, timer, batch: 4 }).done;
  const b = threads(), kb = kids();
  const byName = new Map<string, number>();
  for (const [k, v] of b) { const name = k.split(':')[0] === String(process.pid) ? 'main' : 'other'; byName.set(name, (byName.get(name) ?? 0) + (v - (a.get(k) ?? 0)) / r.frames); }
  console.log(h, 'fps', r.fps.toFixed(2), 'kids ms/f', ((kb - ka) / r.frames).toFixed(1), [...byName].filter(([, v]) => v > 0.05).map(([k, v]) => `${k}=${v.toFixed(1)}`).join(' '), JSON.stringify(Object.fromEntries(Object.entries(r.stages).map(([k, v]) => [k, +v.toFixed(1)]))));
}
await c.close();
