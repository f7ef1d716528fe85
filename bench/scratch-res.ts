import { PlaneResampler } from '../src/color/resample.js';
import { PlaneResampler as Old } from './scratch-oldres.js';
import { GRAY_TO_L, grayRgbToL } from '../src/color/lab.js';
for (const [W, H, w, h] of [[1920, 1080, 456, 256], [640, 480, 344, 256], [322, 240, 344, 256], [100, 80, 64, 64]]) {
  const rgb = new Uint8Array(W * H * 3); for (let i = 0; i < W * H; i++) rgb.fill((i * 13 + (i / W | 0) * 5) & 255, 3 * i, 3 * i + 3);
  const L = new Float32Array(W * H); grayRgbToL(rgb, L, W * H);
  const a = new Float32Array(w * h), b = new Float32Array(w * h), c = new Float32Array(w * h);
  const o = new Old(W, H, w, h), n = new PlaneResampler(W, H, w, h);
  const tm = new Map<string, number>();
  for (let r = 0; r < 15; r++) for (const [k, fn] of [['old', () => o.run(L, a)], ['new', () => n.run(L, b)], ['codes', () => n.runCodes(rgb, 3, GRAY_TO_L, c)]] as const) { const t0 = performance.now(); fn(); tm.set(k, Math.min(tm.get(k) ?? 1e9, performance.now() - t0)); }
  let m1 = 0, m2 = 0; for (let i = 0; i < a.length; i++) { m1 = Math.max(m1, Math.abs(a[i] - b[i])); m2 = Math.max(m2, Math.abs(a[i] - c[i])); }
  console.log(W, H, '->', w, h, [...tm].map(([k, v]) => `${k} ${v.toFixed(2)}ms`).join(' '), 'maxdiff', m1.toExponential(2), m2.toExponential(2));
}
{
  process.env.CHROMA_SIMD = '0';
}
