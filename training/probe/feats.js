// Pooled MobileNetV2 features: node feats.js IMGS.u8 N WEIGHTS(pre|shuffle|he) INPUT(gray|colour|gray01) OUT.f32
// Input per image: 224x224 RGB uint8. gray = sRGB-encoded CIE luminance Y (the L* gray) replicated to RGB.
// Scaling x/127.5-1 (Keras MobileNetV2), or x/255 for gray01 (what nsfwjs itself feeds).
const fs = require('fs');
const { tf, setBackend, loadFull, subModel, rewire } = require('./mnv2');
const LAYERS = ['block_6_project_BN', 'block_10_project_BN'];  // block_10 = last frozen (ImageNet) layer
const [imgs, N, weights, input, out] = process.argv.slice(2);
const n = +N, S = 224, P = S * S * 3, B = 10;
const lin = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
const enc = y => 255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055);
const LIN = Float32Array.from({ length: 256 }, (_, i) => lin(i));
(async () => {
  console.log('backend', await setBackend());
  const full = await loadFull();
  if (weights !== 'pre') rewire(full, weights);
  const net = subModel(full, LAYERS);
  const raw = fs.readFileSync(imgs);
  const dims = LAYERS.map(l => full.getLayer(l).outputShape[3]);
  const D = dims.reduce((a, b) => a + b, 0);
  const feats = new Float32Array(n * D);
  let ms = 0;
  for (let i0 = 0; i0 < n; i0 += B) {
    const b = Math.min(B, n - i0), x = new Float32Array(b * P);
    for (let k = 0; k < b * S * S; k++) {
      const o = i0 * P + k * 3;
      if (input === 'colour') for (let c = 0; c < 3; c++) x[k * 3 + c] = raw[o + c] / 127.5 - 1;
      else {
        const g = enc(0.2126 * LIN[raw[o]] + 0.7152 * LIN[raw[o + 1]] + 0.0722 * LIN[raw[o + 2]]);
        x[k * 3] = x[k * 3 + 1] = x[k * 3 + 2] = input === 'gray01' ? g / 255 : g / 127.5 - 1;
      }
    }
    const t0 = Date.now();
    const pooled = tf.tidy(() => {
      const ys = net.predict(tf.tensor4d(x, [b, S, S, 3]));
      return tf.concat(ys.map(y => y.mean([1, 2])), 1);
    });
    const v = await pooled.data(); ms += Date.now() - t0; pooled.dispose();
    feats.set(v, i0 * D);
    const done = i0 + b;  // saved after every batch: the list is interleaved, so any prefix is balanced
    fs.writeFileSync(out, Buffer.from(feats.buffer, 0, done * D * 4));
    fs.writeFileSync(out + '.json', JSON.stringify({ layers: LAYERS, dims, n: done, weights, input, msPerImage: ms / done }));
    console.log(`${done}/${n} ${(ms / done).toFixed(0)} ms/img through block_10`);
  }
})();
