import { composeLab, composeLabGray, makeUpsampleMap, rgbToL, labToSrgb } from '../src/color/lab.js';
import { simdComposer } from '../src/color/compose-simd.js';
const simd = simdComposer();
console.log('simd', !!simd);
for (const [W, H, aw, ah] of [[1920, 1080, 114, 64], [642, 481, 86, 64], [13, 9, 4, 3]]) {
  const rgb = new Uint8Array(W * H * 3); for (let i = 0; i < W * H; i++) rgb.fill((i * 7 + (i / W | 0)) & 255, 3 * i, 3 * i + 3);
  const L = new Float32Array(W * H); rgbToL(rgb, L, W * H);
  const ab = new Float32Array(2 * aw * ah).map((_, i) => Math.sin(i / 3) * 90);
  const map = makeUpsampleMap(W, H, aw, ah);
  const o1 = new Uint8Array(W * H * 3), o2 = new Uint8Array(W * H * 3), o3 = new Uint8Array(W * H * 3), o4 = new Uint8Array(W * H * 3);
  const tm = new Map<string, number>();
  for (let r = 0; r < 8; r++) for (const [k, fn] of [['js-float', () => composeLab(L, ab, aw, ah, W, H, map, o1)], ['js-gray', () => composeLabGray(rgb, ab, aw, ah, W, H, map, o2)], ['simd-gray', () => simd!.compose(null, rgb, ab, aw, ah, W, H, map, o3)], ['simd-float', () => simd!.compose(L, null, ab, aw, ah, W, H, map, o4)]] as const) { const t0 = performance.now(); fn(); tm.set(k, Math.min(tm.get(k) ?? 1e9, performance.now() - t0)); }
  let d3 = 0, d4 = 0, m3 = 0, m4 = 0; for (let i = 0; i < o1.length; i++) { const a = Math.abs(o1[i] - o3[i]), b = Math.abs(o1[i] - o4[i]); if (a) d3++; if (b) d4++; m3 = Math.max(m3, a); m4 = Math.max(m4, b); }
  console.log(W, H, [...tm].map(([k, v]) => `${k} ${v.toFixed(2)}ms`).join('  '), '| diffs gray', d3, 'max', m3, 'float', d4, 'max', m4);
}
