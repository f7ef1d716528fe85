import { Colorizer } from '../src/pipeline/colorizer.js';
const mb = () => (process.memoryUsage.rss() / 2 ** 20).toFixed(0);
console.log('start', mb());
const c = await Colorizer.create({ model: '/tmp/chb/chroma-default-standin.onnx', device: 'cpu' });
console.log('model loaded', mb());
for (let i = 0; i < 3; i++) { await c.colorize('/tmp/chb/clip-480.mp4', '/tmp/chb/w.mp4', { overwrite: true }).done; console.log('after 480p run', i, mb(), JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, (v / 2 ** 20).toFixed(0)])))); }
await c.close();
console.log('closed', mb());
