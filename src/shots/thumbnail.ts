// A frame reduced to what telling camera setups apart needs: a small gray picture (area averages
// of the L plane) less its own blur, normalised to mean 0 and variance 1. The blur taken away is
// the shading: an old film's vignetting and a lit-from-above room look alike whatever they show
// (on the development clips, 20 one-second pieces, the plain thumbnails of different films
// correlated up to 0.60, as well as some pieces of one view; less their blur, at most 0.30 while
// one view's pieces kept 0.65 to 0.98). The normalisation makes an exposure change between two
// shots of one setup (flicker, a cloud) no different view either.

/** A normalised thumbnail: `data` has mean 0 and unit variance (all 0 for a flat frame). */
export interface Thumb {
  width: number;
  height: number;
  data: Float32Array;
  /** The same at half the size (a coarse search first), normalised too. */
  coarse: { width: number; height: number; data: Float32Array };
}

/** Thumbnail width in pixels: wide enough to see a room's layout, small enough to compare in microseconds. */
export const THUMB_WIDTH = 48;
/** Radius of the box blur taken away, thumbnail pixels. */
const SHADING_RADIUS = 4;

/** `plane` (width x height, any scale of lightness) area-averaged to `tw` pixels wide (height kept in proportion), normalised. */
export function thumbnail(plane: ArrayLike<number>, width: number, height: number, tw = THUMB_WIDTH): Thumb {
  const w = Math.min(tw, width);
  const h = Math.max(1, Math.min(height, Math.round((w * height) / width)));
  const sum = new Float64Array(w * h);
  const count = new Float64Array(w * h);
  for (let y = 0; y < height; y++) {
    const ty = Math.min(h - 1, ((y * h) / height) | 0);
    for (let x = 0; x < width; x++) {
      const k = ty * w + Math.min(w - 1, ((x * w) / width) | 0);
      sum[k] += plane[y * width + x];
      count[k]++;
    }
  }
  const data = new Float32Array(w * h);
  for (let k = 0; k < data.length; k++) data[k] = sum[k] / count[k];
  const fine = normalise(highPass(data, w, h, SHADING_RADIUS));
  return { width: w, height: h, data: fine, coarse: halve(fine, w, h) };
}

/** `v` less its box blur of radius `r` (in place): what is left is structure, not shading or vignetting. */
function highPass(v: Float32Array, w: number, h: number, r: number): Float32Array {
  const blur = new Float32Array(v.length);
  const row = new Float32Array(v.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let s = 0, c = 0;
    for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++, c++) s += v[y * w + k];
    row[y * w + x] = s / c;
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let s = 0, c = 0;
    for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++, c++) s += row[k * w + x];
    blur[y * w + x] = s / c;
  }
  for (let i = 0; i < v.length; i++) v[i] -= blur[i];
  return v;
}

/** 2x2 averages of `v` (w x h), normalised. */
function halve(v: Float32Array, w: number, h: number): Thumb['coarse'] {
  const cw = Math.max(1, w >> 1), ch = Math.max(1, h >> 1);
  const out = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) {
    const a = 2 * y * w + 2 * x, b = Math.min(2 * y + 1, h - 1) * w + 2 * x;
    out[y * cw + x] = (v[a] + v[Math.min(a + 1, a - 2 * x + w - 1)] + v[b] + v[Math.min(b + 1, b - 2 * x + w - 1)]) / 4;
  }
  return { width: cw, height: ch, data: normalise(out) };
}

/** Subtract the mean and divide by the standard deviation, in place (a flat picture becomes all 0). */
function normalise(v: Float32Array): Float32Array {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i];
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  const inv = s > 1e-9 ? 1 / Math.sqrt(s / v.length) : 0;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] - m) * inv;
  return v;
}
