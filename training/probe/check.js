// Sanity check: the package's own classify() on a few ordinary colour photos should say "Neutral";
// also times our local loader's forward pass and checks it matches the package's logits.
const fs = require('fs');
const { tf, setBackend, loadFull } = require('./mnv2');
const nsfw = require('nsfwjs');
const sharp = require(process.env.CHROMA_SHARP || 'sharp');
(async () => {
  console.log('backend', await setBackend());
  const pkg = await nsfw.load('MobileNetV2');
  const mine = await loadFull();
  for (const f of process.argv.slice(2)) {
    const { data, info } = await sharp(f).removeAlpha().resize(224, 224, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    const img = tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32');
    const top = await pkg.classify(img, 2);
    const a = pkg.infer(img).dataSync();
    const x = img.toFloat().div(255).expandDims(0);
    const t0 = Date.now(); const b = mine.predict(x).dataSync(); const ms = Date.now() - t0;
    const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    console.log(f.split('/').pop(), top.map(c => `${c.className} ${c.probability.toFixed(3)}`).join(', '), `| max|pkg-mine|=${diff.toExponential(1)} ${ms} ms`);
    tf.dispose([img, x]);
  }
})();
