import { isGrayRgb } from '../src/color/lab.js';
function ref(rgb: Uint8Array, n: number) { for (let p = 0; p < n * 3; p += 3) if (rgb[p] !== rgb[p + 1] || rgb[p] !== rgb[p + 2]) return false; return true; }
let bad = 0;
for (let t = 0; t < 3000; t++) {
  const n = 1 + (t * 7919 % 97);
  const off = t % 4;
  const buf = new Uint8Array(n * 3 + 8);
  const rgb = buf.subarray(off, off + n * 3);
  for (let i = 0; i < n; i++) rgb.fill((i * 31 + t) & 255, 3 * i, 3 * i + 3);
  if (t % 2) rgb[(t * 13) % (n * 3)] ^= 1 << (t % 8);
  if (isGrayRgb(rgb, n) !== ref(rgb, n)) bad++;
}
console.log('mismatches', bad);
const W = 1920, H = 1080; const big = Buffer.alloc(W * H * 3); for (let i = 0; i < W * H; i++) big.fill(i & 255, 3 * i, 3 * i + 3);
let best = 1e9, bestRef = 1e9;
for (let r = 0; r < 15; r++) { let t0 = performance.now(); isGrayRgb(big, W * H); best = Math.min(best, performance.now() - t0); t0 = performance.now(); ref(big, W * H); bestRef = Math.min(bestRef, performance.now() - t0); }
console.log('1080p gray check new', best.toFixed(2), 'ms, old', bestRef.toFixed(2), 'ms; last byte change detected:', (big[W * H * 3 - 1] ^= 1, !isGrayRgb(big, W * H)));
