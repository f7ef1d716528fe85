// How coarse is the uint8 quantization of the frozen part? Per tensor: uniform-noise RMS (scale/sqrt(12)) over the
// tensor's RMS, and the share of values that fell in the tensor's most common bin.
const { artifacts } = require('./mnv2');
const a = artifacts(); const u8 = new Uint8Array(a.weightData); let off = 0; const rows = [];
for (const w of a.weightSpecs) {
  const n = w.shape.reduce((x, y) => x * y, 1), q = u8.subarray(off, off + n); off += n;
  if (!/^(Conv1|bn_Conv1|expanded_conv|block_([0-9]|10)_)/.test(w.name)) continue;  // frozen part only
  const { min, scale } = w.quantization; let s2 = 0; const h = new Array(256).fill(0);
  for (const v of q) { const x = min + scale * v; s2 += x * x; h[v]++; }
  rows.push({ name: w.name, n, rel: scale / Math.sqrt(12) / Math.sqrt(s2 / n), mode: Math.max(...h) / n });
}
const kern = rows.filter(r => /kernel/.test(r.name)), bn = rows.filter(r => !/kernel/.test(r.name));
const med = xs => xs.slice().sort((p, q) => p - q)[xs.length >> 1];
for (const [lab, rs] of [['kernels', kern], ['BN params', bn]])
  console.log(`${lab}: ${rs.length} tensors, median rel. quant noise ${(100 * med(rs.map(r => r.rel))).toFixed(1)}%, worst ${rs.sort((p, q) => q.rel - p.rel).slice(0, 3).map(r => `${r.name} ${(100 * r.rel).toFixed(0)}% (mode bin ${(100 * r.mode).toFixed(0)}%)`).join('; ')}`);
