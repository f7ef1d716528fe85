import { composeLab, composeLabGray, makeUpsampleMap, rgbToL } from '../src/color/lab.js';
for (const [W, H, aw, ah] of [[1920, 1080, 114, 64], [640, 480, 86, 64]]) {
  const rgb = new Uint8Array(W * H * 3); for (let i = 0; i < W * H; i++) rgb.fill((i * 7 + (i / W | 0)) & 255, 3 * i, 3 * i + 3);
  const L = new Float32Array(W * H); rgbToL(rgb, L, W * H);
  const ab = new Float32Array(2 * aw * ah).map((_, i) => Math.sin(i) * 60);
  const map = makeUpsampleMap(W, H, aw, ah);
  const o1 = new Uint8Array(W * H * 3), o2 = new Uint8Array(W * H * 3);
  const time = (name: string, fn: () => void) => { fn(); fn(); const t0 = performance.now(); for (let i = 0; i < 10; i++) fn(); console.log(W, name, ((performance.now() - t0) / 10).toFixed(2), 'ms'); };
  time('float L', () => composeLab(L, ab, aw, ah, W, H, map, o1));
  time('gray bytes', () => composeLabGray(rgb, ab, aw, ah, W, H, map, o2));
  let diff = 0; for (let i = 0; i < o1.length; i++) if (o1[i] !== o2[i]) diff++;
  console.log('differing bytes float vs gray', diff);
}
