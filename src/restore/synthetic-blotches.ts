// Synthetic blotches and tears with known truth (the large-damage half of synthetic-damage.ts):
// blotches are blobs with a wobbling outline (dirt, stains, tape hits), tears are jagged bands
// along a wandering line (emulsion tears, creases); 25-100 px across, dark or bright, nearly
// opaque with a soft edge. One in four sits in the same place on two consecutive frames, as a
// tape hit does, so that both neighbours of either frame are no witness against it.
import { seededRandom } from '../core/random.js';

export interface BlotchDamageOptions {
  /** Blotches started per frame, on average (default 0.5). */
  perFrame?: number;
  /** Smallest and largest extent in px (default 25 and 100). */
  minExtent?: number;
  maxExtent?: number;
  /** Share that also covers the next frame in the same place (default 0.25). */
  twoFrameShare?: number;
  /** Seed of the random generator (default 7). */
  seed?: number;
}

export interface BlotchTruth {
  /** Pixel indices the blotch covers (any part of a pixel). */
  pixels: Int32Array;
  /** Extent in px: the longer side of its box. */
  extent: number;
  /** 1: on one frame; 2: on this frame and the next (truth for each of the two frames). */
  frames: 1 | 2;
  kind: 'blotch' | 'tear';
}

interface Shape {
  /** Coverage 0..1 per pixel of the box (x0, y0, bw, bh). */
  cover: Float32Array;
  x0: number;
  y0: number;
  bw: number;
  bh: number;
  value: number;
  frames: 1 | 2;
  kind: 'blotch' | 'tear';
}

export class BlotchDamage {
  private readonly rand: () => number;
  private readonly o: Required<BlotchDamageOptions>;
  /** Shapes put on the previous frame that cover this one too. */
  private carried: Shape[] = [];

  constructor(readonly width: number, readonly height: number, opts: BlotchDamageOptions = {}) {
    this.o = { perFrame: 0.5, minExtent: 25, maxExtent: 100, twoFrameShare: 0.25, seed: 7, ...opts };
    this.rand = seededRandom(this.o.seed);
  }

  /** Puts this frame's blotches on `L` (0..100) in place; returns their truth. */
  apply(L: Float32Array): BlotchTruth[] {
    const { rand, o } = this;
    const shapes = this.carried;
    this.carried = [];
    // Poisson-like count: each of 4 tries succeeds with a quarter of the mean.
    for (let k = 0; k < 4; k++) {
      if (rand() >= o.perFrame / 4) continue;
      const s = rand() < 0.65 ? this.blotch() : this.tear();
      if (!s) continue;
      if (rand() < o.twoFrameShare) {
        s.frames = 2;
        this.carried.push(s);
      }
      shapes.push(s);
    }
    return shapes.map((s) => this.paint(L, s));
  }

  private paint(L: Float32Array, s: Shape): BlotchTruth {
    const w = this.width;
    const px: number[] = [];
    let x1 = 0, y1 = 0, x0 = w, y0 = this.height;
    for (let y = 0; y < s.bh; y++) {
      for (let x = 0; x < s.bw; x++) {
        const c = s.cover[y * s.bw + x];
        if (c <= 0) continue;
        const i = (s.y0 + y) * w + s.x0 + x;
        L[i] += (s.value - L[i]) * c;
        px.push(i);
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
    return { pixels: Int32Array.from(px), extent: Math.max(x1 - x0, y1 - y0) + 1, frames: s.frames, kind: s.kind };
  }

  private value(): number {
    const r = this.rand;
    return r() < 0.6 ? 2 + r() * 14 : 86 + r() * 14;
  }

  /** A box of side `side` placed inside the frame, or null when the frame is too small. */
  private place(side: number): { x0: number; y0: number } | null {
    const { width: w, height: h } = this;
    if (side + 4 > w || side + 4 > h) return null;
    return { x0: 2 + Math.floor(this.rand() * (w - side - 4)), y0: 2 + Math.floor(this.rand() * (h - side - 4)) };
  }

  /** A size drawn for a new shape, and a box of side size + pad placed for it (null: no room). */
  private start(pad: number): { size: number; side: number; x0: number; y0: number; cover: Float32Array } | null {
    const size = this.o.minExtent + this.rand() * (this.o.maxExtent - this.o.minExtent);
    const side = Math.ceil(size) + pad;
    const at = this.place(side);
    return at ? { size, side, ...at, cover: new Float32Array(side * side) } : null;
  }

  private blotch(): Shape | null {
    const r = this.rand;
    const at = this.start(4);
    if (!at) return null;
    const { size: extent, side, cover } = at;
    const ax = extent / 2, ay = ax * (0.45 + 0.55 * r()), angle = r() * Math.PI;
    const harm = [2, 3, 4, 5, 6].map((k) => ({ k, a: (r() * 0.3) / (k - 1), ph: r() * 6.28 }));
    const cos = Math.cos(angle), sin = Math.sin(angle);
    const opacity = 0.8 + 0.2 * r();
    const c = side / 2;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const dx = x + 0.5 - c, dy = y + 0.5 - c;
        const u = (dx * cos + dy * sin) / ax, v = (-dx * sin + dy * cos) / ay;
        const th = Math.atan2(v, u);
        let edge = 1;
        for (const hm of harm) edge += hm.a * Math.sin(hm.k * th + hm.ph);
        const d = Math.sqrt(u * u + v * v) / edge;
        // About a pixel and a half of soft edge.
        cover[y * side + x] = opacity * Math.min(1, Math.max(0, (1 - d) * ay / 1.5 + 0.5));
      }
    }
    return { cover, x0: at.x0, y0: at.y0, bw: side, bh: side, value: this.value(), frames: 1, kind: 'blotch' };
  }

  private tear(): Shape | null {
    const r = this.rand;
    const at = this.start(16);
    if (!at) return null;
    const { size: length, side, cover } = at;
    const width = 3 + r() * 7;
    let heading = r() * Math.PI;
    let x = side / 2 - (Math.cos(heading) * length) / 2, y = side / 2 - (Math.sin(heading) * length) / 2;
    const steps = Math.floor(length);
    const opacity = 0.8 + 0.2 * r();
    for (let s = 0; s < steps; s++) {
      heading += (r() - 0.5) * 0.4;
      x += Math.cos(heading);
      y += Math.sin(heading);
      // Jagged: the half-width jumps from step to step, tapering at both ends.
      const rad = (width / 2) * (0.6 + 0.8 * r()) * Math.sin((Math.PI * (s + 1)) / (steps + 1)) ** 0.3;
      const R = Math.ceil(rad) + 1;
      for (let yy = Math.max(0, Math.floor(y) - R); yy <= Math.min(side - 1, Math.floor(y) + R); yy++) {
        for (let xx = Math.max(0, Math.floor(x) - R); xx <= Math.min(side - 1, Math.floor(x) + R); xx++) {
          const d = Math.hypot(xx + 0.5 - x, yy + 0.5 - y);
          const c = opacity * Math.min(1, Math.max(0, rad - d + 0.5));
          const i = yy * side + xx;
          if (c > cover[i]) cover[i] = c;
        }
      }
    }
    return { cover, x0: at.x0, y0: at.y0, bw: side, bh: side, value: this.value(), frames: 1, kind: 'tear' };
  }
}
