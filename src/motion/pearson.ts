// Pearson correlation from running sums, shared by the whole-pixel alignment (align.ts) and the
// tracker's bilinear window check (track-points.ts): each gathers its own sums in its own hot loop,
// so only the closing arithmetic is shared, and it takes plain numbers to allocate nothing.

/**
 * Correlation of n pairs (a, b) from their sums, sums of squares and cross sum: -1..1, or 0 when
 * either side's sum of squared deviations is not above `minSpread` (flat, or no pairs at all).
 */
export function pearson(n: number, sa: number, sb: number, saa: number, sbb: number, sab: number, minSpread: number): number {
  const va = saa - (sa * sa) / n, vb = sbb - (sb * sb) / n;
  // Written as "not above" so that NaN (n = 0) also reads as flat.
  if (!(va > minSpread && vb > minSpread)) return 0;
  return (sab - (sa * sb) / n) / Math.sqrt(va * vb);
}
