// Blotch measurements for bench/restore.ts: PSNR of L over the blotches' own pixels (damaged vs
// restored, against the clean frame), per group (25-80 px on one frame, 25-80 px on two frames,
// over 80 px), and the share of blotches repaired (the same rule as for dust: the blotch's mean
// error falls to 30 % of the damaged one, or to 1.5 times the restored frame's own mean error).
import type { BlotchTruth } from '../src/restore/synthetic-blotches.js';

export interface PlacedBlotch {
  t: number;
  truth: BlotchTruth;
}

export interface BlotchGroupStats {
  group: string;
  count: number;
  pixels: number;
  psnrDamaged: number;
  psnrRestored: number;
  repaired: number;
}

/** The groups reported: the target range by persistence, and the larger ones. */
export const BLOTCH_GROUPS: { name: string; take: (b: BlotchTruth) => boolean }[] = [
  { name: '25-80 px, one frame', take: (b) => b.extent <= 80 && b.frames === 1 },
  { name: '25-80 px, two frames', take: (b) => b.extent <= 80 && b.frames === 2 },
  { name: 'over 80 px', take: (b) => b.extent > 80 },
  { name: 'all', take: () => true },
];

function meanAbs(x: Float32Array, ref: Float32Array): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) s += Math.abs(x[i] - ref[i]);
  return s / ref.length;
}

const psnr = (sse: number, n: number) => (n ? 10 * Math.log10((100 * 100) / Math.max(1e-9, sse / n)) : NaN);

/** Per group: PSNR over the blotch pixels (pooled), and the share repaired. */
export function blotchStats(blotches: PlacedBlotch[], damaged: Float32Array[], restored: Float32Array[], clean: Float32Array[]): BlotchGroupStats[] {
  const frameError = new Map<number, number>();
  const errOf = (t: number) => {
    let e = frameError.get(t);
    if (e === undefined) frameError.set(t, (e = meanAbs(restored[t]!, clean[t]!)));
    return e;
  };
  return BLOTCH_GROUPS.map((g) => {
    let sd = 0, sr = 0, n = 0, count = 0, repaired = 0;
    for (const { t, truth } of blotches) {
      if (!g.take(truth)) continue;
      let ad = 0, ar = 0;
      for (const i of truth.pixels) {
        const c = clean[t]![i]!, d = damaged[t]![i]! - c, r = restored[t]![i]! - c;
        sd += d * d;
        sr += r * r;
        ad += Math.abs(d);
        ar += Math.abs(r);
      }
      n += truth.pixels.length;
      count++;
      ad /= truth.pixels.length;
      ar /= truth.pixels.length;
      if (ar <= Math.max(0.3 * ad, 1.5 * errOf(t))) repaired++;
    }
    return { group: g.name, count, pixels: n, psnrDamaged: psnr(sd, n), psnrRestored: psnr(sr, n), repaired: count ? repaired / count : NaN };
  });
}

/** Pools groups measured on several clips (PSNR from the pooled squared errors). */
export function poolBlotchStats(all: BlotchGroupStats[][]): BlotchGroupStats[] {
  return BLOTCH_GROUPS.map((g) => {
    let sd = 0, sr = 0, n = 0, count = 0, rep = 0;
    for (const stats of all) {
      const s = stats.find((x) => x.group === g.name);
      if (!s || !s.pixels) continue;
      sd += s.pixels * 1e4 / 10 ** (s.psnrDamaged / 10);
      sr += s.pixels * 1e4 / 10 ** (s.psnrRestored / 10);
      n += s.pixels;
      count += s.count;
      rep += s.repaired * s.count;
    }
    return { group: g.name, count, pixels: n, psnrDamaged: psnr(sd, n), psnrRestored: psnr(sr, n), repaired: count ? rep / count : NaN };
  });
}
