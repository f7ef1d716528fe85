// Synthetic film damage with known truth, for tests and bench/restore.ts: clean gray frames go in,
// the same frames come out with dust, line scratches, flicker and grain added, and the dust blobs'
// pixels are returned so a measurement can tell which were removed. Deterministic for a seed;
// frames must be damaged in order (scratches live across frames).
//
//  - dust: blobs 2-15 px across, irregular, dark or bright, each on one frame only;
//  - scratches: 1-3 px vertical lines drifting slowly, each living 20-100 frames;
//  - flicker: per-frame gain within +-8 % and offset within +-5 L;
//  - grain: film-like (spatially correlated over a few pixels), strongest in the mid-tones;
//  - blotches and tears (off unless asked for): 25-100 px, on one frame or two (synthetic-blotches.ts).

import { seededRandom } from '../core/random.js';
import { BlotchDamage, type BlotchDamageOptions, type BlotchTruth } from './synthetic-blotches.js';

export { seededRandom };

export interface DamageOptions {
  /** Add dust blobs. Default true. */
  dust?: boolean;
  /** Add line scratches. Default true. */
  scratches?: boolean;
  /** Add flicker. Default true. */
  flicker?: boolean;
  /** Add grain. Default true. */
  grain?: boolean;
  /** Add blotches and tears (synthetic-blotches.ts). Default false. */
  blotches?: boolean | BlotchDamageOptions;
  /** Seed of the random generator (default 1). */
  seed?: number;
  /** Dust blobs per frame at 640x360, scaled by area (default 6). */
  dustPerFrame?: number;
  /** Grain standard deviation in the mid-tones, L units (default 4). */
  grainSigma?: number;
}

export interface DamageTruth {
  /** Pixel indices of each dust blob put on this frame. */
  blobs: Int32Array[];
  /** The blotches and tears on this frame (empty unless `blotches`). */
  blotches: BlotchTruth[];
  gain: number;
  offset: number;
}

interface Scratch {
  x: number;
  drift: number;
  width: number;
  contrast: number;
  framesLeft: number;
  top: number;
  bottom: number;
  slant: number;
  seed: number;
}

export class FilmDamage {
  private readonly rand: () => number;
  private readonly scratches: Scratch[] = [];
  private readonly noise: Float32Array;
  private readonly tmp: Float32Array;
  private readonly o: Required<DamageOptions>;
  private readonly blotcher: BlotchDamage | null;

  constructor(readonly width: number, readonly height: number, opts: DamageOptions = {}) {
    this.o = {
      dust: true, scratches: true, flicker: true, grain: true, blotches: false, seed: 1, dustPerFrame: 6, grainSigma: 4, ...opts,
    };
    const b = this.o.blotches;
    this.blotcher = b ? new BlotchDamage(width, height, { seed: this.o.seed + 101, ...(typeof b === 'object' ? b : {}) }) : null;
    this.rand = seededRandom(this.o.seed);
    this.noise = new Float32Array(width * height);
    this.tmp = new Float32Array(width * height);
  }

  /** Damages `L` (0..100, width * height) in place as the next frame of the film. */
  apply(L: Float32Array): DamageTruth {
    const { width: w, height: h, o } = this;
    const n = w * h;
    if (o.grain) this.addGrain(L);
    let gain = 1, offset = 0;
    if (o.flicker) {
      gain = 1 + (this.rand() * 2 - 1) * 0.08;
      offset = (this.rand() * 2 - 1) * 5;
      for (let i = 0; i < n; i++) L[i] = L[i] * gain + offset;
    }
    if (o.scratches) this.addScratches(L);
    const blotches = this.blotcher ? this.blotcher.apply(L) : [];
    const blobs = o.dust ? this.addDust(L) : [];
    for (let i = 0; i < n; i++) L[i] = L[i] < 0 ? 0 : L[i] > 100 ? 100 : L[i];
    return { blobs, blotches, gain, offset };
  }

  private gauss(): number {
    return Math.sqrt(-2 * Math.log(this.rand() + 1e-12)) * Math.cos(2 * Math.PI * this.rand());
  }

  private addGrain(L: Float32Array): void {
    const { width: w, height: h, noise, tmp } = this;
    for (let i = 0; i < w * h; i++) noise[i] = this.gauss();
    // [1 2 1] / 4 both ways: grain a couple of pixels across; 1 / 0.375 restores unit spread.
    for (let y = 0; y < h; y++) {
      const r = y * w;
      for (let x = 0; x < w; x++) tmp[r + x] = 0.25 * noise[r + Math.max(0, x - 1)] + 0.5 * noise[r + x] + 0.25 * noise[r + Math.min(w - 1, x + 1)];
    }
    const s = this.o.grainSigma / 0.375;
    for (let y = 0; y < h; y++) {
      const r = y * w, up = Math.max(0, y - 1) * w, dn = Math.min(h - 1, y + 1) * w;
      for (let x = 0; x < w; x++) {
        const g = 0.25 * tmp[up + x] + 0.5 * tmp[r + x] + 0.25 * tmp[dn + x];
        const l = L[r + x] / 100;
        L[r + x] += g * s * (0.5 + 2 * l * (1 - l));
      }
    }
  }

  private addScratches(L: Float32Array): void {
    const { width: w, height: h, rand } = this;
    if (this.scratches.length < 2 && rand() < 0.2) {
      const full = rand() < 0.7;
      const top = full ? 0 : Math.floor(rand() * h * 0.5);
      this.scratches.push({
        x: 8 + rand() * (w - 16),
        drift: (rand() * 2 - 1) * 0.3,
        width: 1 + Math.floor(rand() * 3),
        contrast: (rand() < 0.7 ? 1 : -1) * (15 + rand() * 20),
        framesLeft: 20 + Math.floor(rand() * 81),
        top,
        bottom: full ? h : Math.min(h, top + Math.floor(h * (0.3 + rand() * 0.5))),
        slant: (rand() * 2 - 1) * 0.01,
        seed: Math.floor(rand() * 1e6),
      });
    }
    for (const s of this.scratches) {
      for (let y = s.top; y < s.bottom; y++) {
        // Strength varies slowly along the line, as a real scratch's depth does.
        const along = 0.7 + 0.3 * Math.sin(y * 0.05 + s.seed);
        const cx = s.x + s.slant * (y - h / 2);
        const x0 = Math.floor(cx), r = y * w;
        for (let x = x0; x < x0 + s.width; x++) if (x >= 0 && x < w) L[r + x] += s.contrast * along;
      }
      s.x += s.drift;
      s.framesLeft--;
    }
    for (let i = this.scratches.length - 1; i >= 0; i--) {
      const s = this.scratches[i];
      if (s.framesLeft <= 0 || s.x < 2 || s.x > w - 4) this.scratches.splice(i, 1);
    }
  }

  private addDust(L: Float32Array): Int32Array[] {
    const { width: w, height: h, rand } = this;
    const mean = (this.o.dustPerFrame * w * h) / (640 * 360);
    const count = Math.max(0, Math.round(mean * (0.5 + rand())));
    const blobs: Int32Array[] = [];
    for (let k = 0; k < count; k++) {
      const radius = 1 + rand() * 6.5;
      const ax = radius, ay = radius * (0.55 + 0.45 * rand()), angle = rand() * Math.PI;
      const cx = radius + rand() * (w - 2 * radius), cy = radius + rand() * (h - 2 * radius);
      const dark = rand() < 0.6;
      const value = dark ? 3 + rand() * 15 : 85 + rand() * 15;
      const wob = rand() * 6.28;
      const cos = Math.cos(angle), sin = Math.sin(angle);
      const px: number[] = [];
      const R = Math.ceil(radius) + 1;
      for (let y = Math.max(0, Math.floor(cy) - R); y <= Math.min(h - 1, Math.floor(cy) + R); y++) {
        for (let x = Math.max(0, Math.floor(cx) - R); x <= Math.min(w - 1, Math.floor(cx) + R); x++) {
          const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
          const u = (dx * cos + dy * sin) / ax, v = (-dx * sin + dy * cos) / ay;
          // An irregular outline: the radius wobbles with the angle.
          const edge = 1 + 0.25 * Math.sin(3 * Math.atan2(v, u) + wob);
          const d = Math.sqrt(u * u + v * v) / edge;
          const cover = Math.min(1, Math.max(0, (1 - d) * Math.min(ax, ay) + 0.5));
          if (cover <= 0) continue;
          const i = y * w + x;
          L[i] += (value - L[i]) * cover;
          px.push(i);
        }
      }
      if (px.length) blobs.push(Int32Array.from(px));
    }
    return blobs;
  }
}
