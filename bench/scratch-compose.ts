import { composeLab, makeUpsampleMap, labToSrgb } from '../src/color/lab.js';
const M = [3.2404542, -1.5371385, -0.4985314, -0.969266, 1.8760108, 0.041556, 0.0556434, -0.2040259, 1.0572252];
const Xn = 0.95047, Zn = 1.08883;
const ENC_STEPS = 65535; const ENCODE = new Uint8Array(ENC_STEPS + 1);
for (let i = 0; i <= ENC_STEPS; i++) { const v = i / ENC_STEPS; ENCODE[i] = Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055)); }
function compose2(L: Float32Array, ab: Float32Array, aw: number, ah: number, width: number, height: number, map: ReturnType<typeof makeUpsampleMap>, out: Uint8Array, dA: Float32Array, dB: Float32Array) {
  const { x0, wx, y0, y1, wy, rowA, rowB } = map;
  const planeB = aw * ah, last = aw - 1;
  const k0 = M[0] * Xn, k1 = M[1], k2 = M[2] * Zn, k3 = M[3] * Xn, k4 = M[4], k5 = M[5] * Zn, k6 = M[6] * Xn, k7 = M[7], k8 = M[8] * Zn;
  const D = 6 / 29, C = 16 / 116, LIN = 3 * (6 / 29) * (6 / 29), I116 = 1 / 116, IA = 1 / 500, IB = 1 / 200;
  const enc = ENCODE, S = ENC_STEPS;
  for (let y = 0; y < height; y++) {
    const r0 = y0[y] * aw, r1 = y1[y] * aw, t = wy[y], s = 1 - t;
    for (let i = 0; i < aw; i++) {
      rowA[i] = (ab[r0 + i] * s + ab[r1 + i] * t) * IA;
      rowB[i] = (ab[planeB + r0 + i] * s + ab[planeB + r1 + i] * t) * IB;
    }
    for (let i = 0; i < last; i++) { dA[i] = rowA[i + 1] - rowA[i]; dB[i] = rowB[i + 1] - rowB[i]; }
    dA[last] = 0; dB[last] = 0;
    let p = y * width, q = p * 3;
    for (let x = 0; x < width; x++, p++, q += 3) {
      const k = x0[x], u = wx[x];
      const fy = L[p] * I116 + C;
      const fx = fy + rowA[k] + dA[k] * u;
      const fz = fy - (rowB[k] + dB[k] * u);
      const Y = fy > D ? fy * fy * fy : (fy - C) * LIN;
      const X = fx > D ? fx * fx * fx : (fx - C) * LIN;
      const Z = fz > D ? fz * fz * fz : (fz - C) * LIN;
      const R = k0 * X + k1 * Y + k2 * Z;
      const G = k3 * X + k4 * Y + k5 * Z;
      const B = k6 * X + k7 * Y + k8 * Z;
      out[q] = R <= 0 ? 0 : R >= 1 ? 255 : enc[(R * S + 0.5) | 0];
      out[q + 1] = G <= 0 ? 0 : G >= 1 ? 255 : enc[(G * S + 0.5) | 0];
      out[q + 2] = B <= 0 ? 0 : B >= 1 ? 255 : enc[(B * S + 0.5) | 0];
    }
  }
}
for (const [W, H, aw, ah] of [[1920, 1080, 114, 64], [640, 480, 86, 64]]) {
  const L = new Float32Array(W * H).map((_, i) => ((i * 7) % 256) / 2.55);
  const ab = new Float32Array(2 * aw * ah).map((_, i) => Math.sin(i) * 60);
  const map = makeUpsampleMap(W, H, aw, ah);
  const o1 = new Uint8Array(W * H * 3), o2 = new Uint8Array(W * H * 3);
  const dA = new Float32Array(aw), dB = new Float32Array(aw);
  const time = (name: string, fn: () => void) => { fn(); fn(); const t0 = performance.now(); for (let i = 0; i < 10; i++) fn(); console.log(W, name, ((performance.now() - t0) / 10).toFixed(2), 'ms'); };
  time('old', () => composeLab(L, ab, aw, ah, W, H, map, o1));
  time('new', () => compose2(L, ab, aw, ah, W, H, map, o2, dA, dB));
  let diff = 0, maxd = 0; for (let i = 0; i < o1.length; i++) { const d = Math.abs(o1[i] - o2[i]); if (d) diff++; maxd = Math.max(maxd, d); }
  console.log('differing bytes', diff, 'max', maxd);
}
