// The running mean that flicker and warping error share: each consecutive frame pair contributes
// the mean of its per-pixel values, and the metric is the mean over pairs.

export class PairMean {
  private sum = 0;
  private count = 0;

  /** Record one pair from its per-pixel total over `kept` pixels; null (pair left out) when none. */
  protected record(total: number, kept: number): number | null {
    if (!kept) return null;
    const mean = total / kept;
    this.sum += mean;
    this.count++;
    return mean;
  }

  get pairs(): number {
    return this.count;
  }

  /** Mean over pairs; null before the first pair. */
  get value(): number | null {
    return this.count ? this.sum / this.count : null;
  }
}
