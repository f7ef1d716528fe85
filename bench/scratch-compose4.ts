import { composeLab, composeLabGray, makeUpsampleMap, rgbToL } from '../src/color/lab.js';
import * as old from './scratch-oldlab.js';
const [W, H, aw, ah] = [1920, 1080, 114, 64];
const rgb = new Uint8Array(W * H * 3); for (let i = 0; i < W * H; i++) rgb.fill((i * 7 + (i / W | 0)) & 255, 3 * i, 3 * i + 3);
const L = new Float32Array(W * H); rgbToL(rgb, L, W * H);
const ab = new Float32Array(2 * aw * ah).map((_, i) => Math.sin(i / 7) * 60);
const map = makeUpsampleMap(W, H, aw, ah); const omap = old.makeUpsampleMap(W, H, aw, ah);
const o0 = new Uint8Array(W * H * 3), o1 = new Uint8Array(W * H * 3), o2 = new Uint8Array(W * H * 3);
const fns: [string, () => void][] = [['old', () => old.composeLab(L, ab, aw, ah, W, H, omap, o0)], ['float', () => composeLab(L, ab, aw, ah, W, H, map, o1)], ['gray', () => composeLabGray(rgb, ab, aw, ah, W, H, map, o2)]];
const tot = new Map<string, number>();
for (let rep = 0; rep < 8; rep++) for (const [n, fn] of fns) { const t0 = performance.now(); fn(); tot.set(n, (tot.get(n) ?? 0) + performance.now() - t0); }
for (const [n, t] of tot) console.log(n, (t / 8).toFixed(2), 'ms');
let d1 = 0, d2 = 0; for (let i = 0; i < o0.length; i++) { if (o0[i] !== o1[i]) d1++; if (o0[i] !== o2[i]) d2++; }
console.log('diff vs old', d1, d2);
