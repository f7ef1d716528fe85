// The film's shots and camera setups, built frame by frame in one pass: each frame's L plane goes
// in (whoever decodes it: findShots at 160 px, the hint pass at model size), the scene-cut test
// ends shots (smoothing/scene-cut.ts, the same test the smoothing stage and hint tracks use), and
// a bounded set of thumbnails per shot is kept for the setup grouping.
import { HIST_BINS, histogram, tvDistance } from '../smoothing/scene-cut.js';
import { SMOOTH_DEFAULTS } from '../smoothing/options.js';
import { thumbnail, type Thumb } from './thumbnail.js';
import { groupSetups, type SetupOptions, type ShotSamples } from './setups.js';

export interface ShotInfo {
  index: number;
  /** First frame. */
  start: number;
  /** Frame after the last (exclusive). */
  end: number;
  /** The shot's poster frame: the one that stands for it (its middle sample). Not a codec keyframe. */
  posterFrame: number;
  /** The poster frame's time, seconds. */
  posterTime: number;
  /** Index into ShotMap.setups. */
  setup: number;
  /** 0..1: 1 for a setup's first shot; else how sure the match to its setup is (0.5 just at the threshold). */
  setupConfidence: number;
}

export interface SetupInfo {
  index: number;
  /** Shot indices, ascending. */
  shots: number[];
}

export interface ShotMap {
  frames: number;
  fps: number;
  /** The input's size (the analysis ran smaller). */
  width: number;
  height: number;
  shots: ShotInfo[];
  setups: SetupInfo[];
}

/** A shot map with what the grouping saw: per shot, its sample thumbnails and their frames. */
export interface FilmShots {
  map: ShotMap;
  samples: ShotSamples[];
}

export interface ShotMapOptions extends SetupOptions {
  /** Histogram distance above which a frame starts a new shot (default: the smoothing stage's, 0.2). */
  cutThreshold?: number;
}

/** Samples per shot: its first, last and middle frames and between. */
const SAMPLES = 5;
/** Thumbnails kept for the current shot before every other one is dropped (and the stride doubled). */
const KEEP = 64;

/** Feed it every frame's L plane in order; finish() groups the shots into setups. */
export class ShotCollector {
  private hist = new Float64Array(HIST_BINS);
  private prevHist = new Float64Array(HIST_BINS);
  private readonly threshold: number;
  private readonly starts: number[] = [];
  private readonly samples: ShotSamples[] = [];
  private readonly pts: number[] = [];
  // The current shot's kept thumbnails: every `stride`-th frame from its start.
  private kept: { frame: number; thumb: Thumb }[] = [];
  private stride = 1;
  private last: { frame: number; thumb: Thumb } | null = null;
  private seen = 0;

  constructor(private readonly width: number, private readonly height: number, private readonly o: ShotMapOptions = {}) {
    this.threshold = o.cutThreshold ?? SMOOTH_DEFAULTS.cutThreshold;
  }

  /** Frame `index` (the next one: 0, 1, 2...) with its L* plane (0..100) and time. */
  push(index: number, L: Float32Array, pts: number): void {
    const n = this.width * this.height;
    histogram(L, n, this.hist);
    if (index === 0 || tvDistance(this.hist, this.prevHist) > this.threshold) this.startShot(index);
    [this.hist, this.prevHist] = [this.prevHist, this.hist];
    this.pts[index] = pts;
    const offset = index - this.starts[this.starts.length - 1];
    // The shot's last frame is always a sample: keep the newest frame's thumbnail aside.
    const thumb = thumbnail(L, this.width, this.height);
    this.last = { frame: index, thumb };
    if (offset % this.stride === 0) {
      this.kept.push(this.last);
      if (this.kept.length >= KEEP) {
        this.kept = this.kept.filter((_, k) => k % 2 === 0);
        this.stride *= 2;
      }
    }
    this.seen = index + 1;
  }

  /** Frames pushed so far. */
  get frames(): number {
    return this.seen;
  }

  /** First frames of shots after the first (the scene cuts), in order. */
  get cuts(): number[] {
    return this.starts.slice(1);
  }

  private startShot(index: number): void {
    this.closeShot();
    this.starts.push(index);
    this.kept = [];
    this.stride = 1;
  }

  private closeShot(): void {
    if (this.starts.length === 0 || !this.last) return;
    const pool = this.kept[this.kept.length - 1]?.frame === this.last.frame ? this.kept : [...this.kept, this.last];
    const picks = [...new Set(Array.from({ length: SAMPLES }, (_, k) => Math.round((k * (pool.length - 1)) / (SAMPLES - 1))))];
    this.samples.push({ thumbs: picks.map((k) => pool[k].thumb), frames: picks.map((k) => pool[k].frame) });
    this.last = null;
  }

  /** The shots and setups of the frames pushed so far; `size` is the input's (the map reports it). */
  finish(fps: number, size: { width: number; height: number }): FilmShots {
    this.closeShot();
    const g = groupSetups(this.samples, this.o);
    const shots: ShotInfo[] = this.starts.map((start, i) => {
      const s = this.samples[i];
      const posterFrame = s.frames[s.frames.length >> 1];
      return {
        index: i, start, end: this.starts[i + 1] ?? this.seen, posterFrame, posterTime: this.pts[posterFrame] ?? posterFrame / fps,
        setup: g.setupOf[i], setupConfidence: g.confidence[i],
      };
    });
    const map: ShotMap = {
      frames: this.seen, fps, width: size.width, height: size.height, shots,
      setups: g.members.map((m, index) => ({ index, shots: m })),
    };
    return { map, samples: this.samples };
  }
}
