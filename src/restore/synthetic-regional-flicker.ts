// Synthetic regional flicker for the bench and the tests: one part of the frame breathes. A
// smooth bump (a Gaussian over a third of the frame's width, centre chosen by the seed) carries a
// random offset (up to ±amplitude L) and gain (up to ±gain about mid-grey) drawn afresh each frame.
import { seededRandom } from '../core/random.js';

export interface RegionalFlickerOptions {
  /** Seed of the bump's place and the frames' draws. Default 1. */
  seed?: number;
  /** Largest offset, L units (default 6). */
  amplitude?: number;
  /** Largest gain change, as a share (default 0.1). */
  gain?: number;
}

export class RegionalFlicker {
  private readonly rand: () => number;
  private readonly bump: Float32Array;

  constructor(readonly width: number, readonly height: number, private readonly o: RegionalFlickerOptions = {}) {
    this.rand = seededRandom(o.seed ?? 1);
    const cx = width * (0.2 + 0.6 * this.rand()), cy = height * (0.2 + 0.6 * this.rand()), r = width / 3;
    this.bump = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) this.bump[y * width + x] = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
    }
  }

  /** Adds the next frame's breathing to L (in place, clamped to 0..100). */
  apply(L: Float32Array): void {
    const a = (this.o.amplitude ?? 6) * (2 * this.rand() - 1), g = (this.o.gain ?? 0.1) * (2 * this.rand() - 1);
    const { bump } = this;
    for (let i = 0; i < L.length; i++) {
      const v = L[i] + bump[i] * (a + g * (L[i] - 50));
      L[i] = v < 0 ? 0 : v > 100 ? 100 : v;
    }
  }
}
