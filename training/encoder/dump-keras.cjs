// Dump the frozen ImageNet part of one of nsfwjs 4.x's Keras nets (the layers its topology marks trainable:false)
// as float32 weights + a layer list, for training/encoder/mnv2.py or inception.py; optionally run the package's own
// TF.js forward on an input file so the PyTorch port can be checked against it.
//   (scratch: npm install nsfwjs@4 @tensorflow/tfjs)  NODE_PATH=<scratch>/node_modules
//   node /work/main/training/encoder/dump-keras.cjs NET OUT_DIR [INPUT.f32 N H W]
// NET: mnv2 (MobileNetV2 through block_10, taps block_6 and block_10) or inception (InceptionV3 through mixed5,
// taps mixed2 and mixed5). INPUT.f32: N x H x W x 3 float32, already scaled to [-1, 1] (both Keras nets). Writes
// OUT_DIR/NET.json, NET.f32, and with an input ref.f32 (the taps' outputs in order, NHWC, flattened).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const NETS = {
  mnv2: { dir: 'mobilenet_v2', what: 'Keras MobileNetV2, ImageNet', taps: ['block_6_project_BN', 'block_10_project_BN'] },
  inception: { dir: 'inception_v3', what: 'Keras InceptionV3, ImageNet', taps: ['mixed2', 'mixed5'] },
};
const PKG = path.resolve(path.dirname(require.resolve('nsfwjs')), '..', '..');
const unwrap = (m) => (m && m.default !== undefined ? m.default : m);

function artifacts(dir) {
  const j = JSON.parse(JSON.stringify(unwrap(require(path.join(dir, 'model.min.js')))));
  const specs = [];
  const parts = [];
  for (const g of j.weightsManifest) {
    for (const p of g.paths) parts.push(Buffer.from(unwrap(require(path.join(dir, p + '.min.js'))), 'base64'));
    specs.push(...g.weights);
  }
  const data = Buffer.concat(parts);
  return {
    modelTopology: j.modelTopology, weightSpecs: specs,
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length),
  };
}

// The full model only loads at 224 x 224 (its head flattens); the frozen part is rebuilt from the topology at
// the input's size, outputs at the taps, and given the full model's weights layer by layer.
async function truncated(topology, full, inputHW, TAPS) {
  const LAST = TAPS[TAPS.length - 1];
  const t = JSON.parse(JSON.stringify(topology));
  const conf = t.model_config.config;
  conf.layers = conf.layers.slice(0, conf.layers.findIndex((l) => l.name === LAST) + 1);
  conf.layers[0].config.batch_input_shape = [null, ...inputHW, 3];
  conf.output_layers = TAPS.map((name) => [name, 0, 0]);
  const sub = await tf.models.modelFromJSON(t);
  for (const layer of sub.layers) layer.setWeights(full.getLayer(layer.name).getWeights());
  return sub;
}

async function main() {
  const [net, out, input, n, h, w] = process.argv.slice(2);
  const spec = NETS[net];
  if (!spec) throw new Error(`NET is one of ${Object.keys(NETS).join(', ')}`);
  const TAPS = spec.taps;
  const LAST = TAPS[TAPS.length - 1];
  fs.mkdirSync(out, { recursive: true });
  const dir = path.join(PKG, 'dist', 'models', spec.dir);
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  const a = artifacts(dir);
  const full = await tf.loadLayersModel(tf.io.fromMemory(a));
  const layers = [];
  const chunks = [];
  let offset = 0;
  for (const layer of full.layers) {
    const cfg = layer.getConfig();
    const inbound = layer.inboundNodes[0].inboundLayers.map((l) => l.name);
    const weights = layer.getWeights().map((t, k) => {
      const v = t.dataSync();
      chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      const spec = { name: layer.weights[k].originalName ?? layer.weights[k].name, shape: t.shape, offset };
      offset += v.length;
      return spec;
    });
    layers.push({
      name: layer.name, cls: layer.getClassName(), inbound, weights,
      kernel: cfg.kernelSize, strides: cfg.strides, padding: cfg.padding, epsilon: cfg.epsilon, max: cfg.maxValue,
      pool: cfg.poolSize, activation: cfg.activation, axis: cfg.axis,
    });
    if (layer.name === LAST) break;
  }
  fs.writeFileSync(path.join(out, `${net}.f32`), Buffer.concat(chunks));
  fs.writeFileSync(path.join(out, `${net}.json`), JSON.stringify({
    source: `${pkg.name}@${pkg.version} dist/models/${spec.dir} (${spec.what}), layers through ${LAST}`,
    taps: TAPS, layers,
  }, null, 1));
  if (input) {
    const x = tf.tensor4d(new Float32Array(fs.readFileSync(input).buffer.slice(0)), [Number(n), Number(h), Number(w), 3]);
    const sub = await truncated(a.modelTopology, full, [Number(h), Number(w)], TAPS);
    const ys = sub.predict(x);
    const bufs = ys.map((y) => Buffer.from(y.dataSync().buffer));
    fs.writeFileSync(path.join(out, 'ref.f32'), Buffer.concat(bufs));
    console.log('ref shapes', ys.map((y) => y.shape.join('x')).join(' '));
  }
  console.log(`${layers.length} layers, ${offset} weights -> ${out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
