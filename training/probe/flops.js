// Multiply-accumulates and parameters of nsfwjs's MobileNetV2 from the input up to a layer, at any input size.
// node flops.js [LAYER=block_10_project_BN] [HxW ...]
const { tf, artifacts } = require('./mnv2');
(async () => {
await tf.setBackend('cpu');
const [last = 'block_10_project_BN', ...sizes] = process.argv.slice(2);
for (const s of (sizes.length ? sizes : ['224x224', '144x144', '144x256', '480x640'])) {
  const [H, W] = s.split('x').map(Number);
  const topo = artifacts('mobilenet_v2', [H, W]).modelTopology;
  const cfg = topo.model_config.config, i = cfg.layers.findIndex(l => l.name === last);
  cfg.layers = cfg.layers.slice(0, i + 1); cfg.output_layers = [[last, 0, 0]];
  const m = await tf.models.modelFromJSON({ modelTopology: topo });
  let macs = 0, params = 0, convParams = 0;
  for (const l of m.layers) {
    const o = l.outputShape, k = l.getConfig().kernel_size || [1, 1];
    if (l.getClassName() === 'Conv2D') macs += o[1] * o[2] * k[0] * k[1] * l.input.shape[3] * o[3];
    if (l.getClassName() === 'DepthwiseConv2D') macs += o[1] * o[2] * k[0] * k[1] * o[3];
    const p = l.countParams(); params += p; if (/Conv2D/.test(l.getClassName())) convParams += p;
  }
  const out = m.outputs[0].shape;
  console.log(`${s} -> ${last} ${out.slice(1).join('x')}: ${(macs / 1e6).toFixed(0)} MMAC = ${(2 * macs / 1e6).toFixed(0)} MFLOP; params ${params} (conv ${convParams}, BN foldable into conv)`);
  m.dispose();
}
})();
