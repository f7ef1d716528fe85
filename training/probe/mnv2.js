// Load nsfwjs 4.x's MobileNetV2 (Keras 2.2.4 topology + uint8-quantized shard, both as .min.js modules)
// into TF.js from the installed package, no network. Helpers: sub-model, shuffled / He-normal weights.
const path = require('path');
const tf = require('@tensorflow/tfjs');
const PKG = path.resolve(path.dirname(require.resolve('nsfwjs')), '..', '..');
const unwrap = m => (m && m.default !== undefined ? m.default : m);

async function setBackend(name = process.env.TFJS_BACKEND || 'wasm') {
  if (name === 'wasm') {
    const w = require('@tensorflow/tfjs-backend-wasm');
    w.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  }
  await tf.setBackend(name); await tf.ready();
  return tf.getBackend();
}

function artifacts(model = 'mobilenet_v2', inputHW = null) {
  const dir = path.join(PKG, 'dist', 'models', model);
  const j = JSON.parse(JSON.stringify(unwrap(require(path.join(dir, 'model.min.js')))));
  if (inputHW) j.modelTopology.model_config.config.layers[0].config.batch_input_shape = [null, ...inputHW, 3];
  const specs = [], parts = [];
  for (const g of j.weightsManifest) {
    for (const p of g.paths) parts.push(Buffer.from(unwrap(require(path.join(dir, p + '.min.js'))), 'base64'));
    specs.push(...g.weights);
  }
  const data = Buffer.concat(parts);
  const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
  return { modelTopology: j.modelTopology, weightSpecs: specs, weightData: ab };
}

async function loadFull(model = 'mobilenet_v2', inputHW = null) {
  const a = artifacts(model, inputHW);
  return tf.loadLayersModel(tf.io.fromMemory(a));
}

function subModel(full, names) {
  return tf.model({ inputs: full.inputs, outputs: names.map(n => full.getLayer(n).output) });
}

// Deterministic PRNG (mulberry32) so shuffled / random nets are reproducible.
function rng(seed) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6D2B79F5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

// mode 'shuffle': permute the values within every weight tensor; 'he': He-normal conv kernels,
// BN gamma 1 / beta 0 / mean 0 / var 1, biases 0.
function rewire(full, mode, seed = 22) {
  const r = rng(seed);
  const gauss = () => { let u = 0; while (u === 0) u = r(); return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r()); };
  for (const layer of full.layers) {
    const ws = layer.weights; if (!ws.length) continue;
    const vals = layer.getWeights();
    const out = vals.map((t, k) => {
      const name = ws[k].originalName || ws[k].name; const v = t.dataSync().slice();
      if (mode === 'shuffle') {
        for (let i = v.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); const x = v[i]; v[i] = v[j]; v[j] = x; }
      } else if (/kernel/.test(name)) {
        const s = t.shape; // conv [kh,kw,cin,cout], depthwise [kh,kw,c,1], dense [in,out]
        const fanIn = s.length === 4 ? s[0] * s[1] * (/depthwise/.test(name) ? 1 : s[2]) : s[0];
        const sd = Math.sqrt(2 / fanIn); for (let i = 0; i < v.length; i++) v[i] = gauss() * sd;
      } else v.fill(/gamma|moving_variance/.test(name) ? 1 : 0);
      return tf.tensor(v, t.shape);
    });
    layer.setWeights(out); out.forEach(t => t.dispose());
  }
  return full;
}

module.exports = { tf, PKG, setBackend, artifacts, loadFull, subModel, rewire };
