// Decode + resize (shorter side 224, centre crop 224x224) the photos in list.tsv into one raw
// uint8 RGB file (N x 224 x 224 x 3). Uses sharp (CHROMA_SHARP= path to the sharp module).
const fs = require('fs');
const sharp = require(process.env.CHROMA_SHARP || 'sharp');
const [list, out, S = '224'] = process.argv.slice(2);
const size = +S;
(async () => {
  const rows = fs.readFileSync(list, 'utf8').trim().split('\n').map(l => l.split('\t'));
  const buf = Buffer.alloc(rows.length * size * size * 3);
  for (let i = 0; i < rows.length; i++) {
    const { data } = await sharp(rows[i][2]).removeAlpha().toColourspace('srgb')
      .resize(size, size, { fit: 'cover', position: 'centre' }).raw().toBuffer({ resolveWithObject: true });
    if (data.length !== size * size * 3) throw new Error('bad size ' + rows[i][2]);
    data.copy(buf, i * size * size * 3);
  }
  fs.writeFileSync(out, buf);
  console.log(`wrote ${rows.length} x ${size}x${size}x3 to ${out}`);
})();
