import { Colorizer } from '../src/pipeline/colorizer.js';
const c = await Colorizer.create({ model: '/tmp/chb/chroma-default-standin.onnx', device: 'cpu' });
await c.colorize('/tmp/chb/clip-480.mp4', '/tmp/chb/w.mp4', { overwrite: true }).done;
const r = await c.colorize(`/tmp/chb/clip-1080.mp4`, `/tmp/chb/o.mp4`, { overwrite: true }).done;
console.log(r.fps);
await c.close();
