// Each hint's track through the film, computed one hint at a time (so renders can run between
// them: a track is a pass over its shot, a render is what the person waits for), and the hints as
// seen at one frame. A hint not tracked yet lives on its own frame only, where its point is known.
// A setup hint (`"until": "setup"`) is also re-found in every other shot of its setup and followed
// through each (jobs/setup-hints.ts, as `colorize --hints` does).
import { FALLBACK_FPS } from '../core/defaults.js';
import { labHex } from '../hints/top-colours.js';
import { trackHints, type HintTrack, type HintTrackOptions } from '../hints/hint-tracks.js';
import type { Hint, HintsFile } from '../hints/hints-file.js';
import type { HintProvider } from '../operators/apply-hints.js';
import type { MediaInfo } from '../media/probe.js';
import { hintSpec, trackedHintProvider, type FilmPlanes, type HintLoss, type PlacedTrack } from '../jobs/video-hints.js';
import { setupReach } from '../jobs/setup-hints.js';

/** A hint as the editor shows it at one frame. */
export interface HintView {
  id: string;
  frame: number;
  x: number;
  y: number;
  color: string;
  size?: number;
  until: Hint['until'];
  /** Where it is at the frame asked about (film pixels), or null when it is not alive there. */
  at: [number, number] | null;
  /** Frames it lives in after tracking (null until tracked). */
  span: { first: number; last: number } | null;
  tracked: boolean;
  /** A setup hint's other shots where it was not re-found. */
  missed: number[];
}

/** A setup hint in another shot of its setup: its track there, or null where it was not re-found. */
interface OtherShot {
  shot: number;
  track: HintTrack | null;
}

export class HintTracker {
  private readonly tracks = new Map<string, HintTrack>();
  private readonly others = new Map<string, OtherShot[]>();
  private trackingNow = false;
  /** Model pixels per film pixel. */
  private readonly sx: number;
  private readonly sy: number;

  constructor(private readonly planes: FilmPlanes, private readonly info: MediaInfo, private readonly tracking?: HintTrackOptions) {
    this.sx = planes.width / info.width;
    this.sy = planes.height / info.height;
  }

  /** True while a track is being computed. */
  get working(): boolean {
    return this.trackingNow;
  }

  private missing(h: Hint): boolean {
    return !this.tracks.has(trackKey(h)) && hintSpec(h, this.planes, this.info) !== null;
  }

  /** Hints of `file` whose track is not computed yet. */
  untracked(file: HintsFile): number {
    return file.hints.filter((h) => this.missing(h)).length;
  }

  /** Compute one missing track (false when none is missing). */
  async trackNext(file: HintsFile): Promise<boolean> {
    const h = file.hints.find((x) => this.missing(x));
    if (!h) return false;
    const spec = hintSpec(h, this.planes, this.info)!;
    this.trackingNow = true;
    try {
      const reach = h.until === 'setup' ? await setupReach(spec.start, spec.x, spec.y, this.planes) : [];
      const found = reach.filter((r) => r.spec);
      const [track, ...there] = await trackHints([spec, ...found.map((r) => r.spec!)], this.planes.width, this.planes.height, this.planes.read, this.tracking);
      this.tracks.set(trackKey(h), track);
      this.others.set(trackKey(h), reach.map((r) => ({ shot: r.shot, track: r.spec ? there[found.indexOf(r)] : null })));
    } finally {
      this.trackingNow = false;
    }
    return true;
  }

  /** Forget the tracks of hints that are gone or moved. */
  dropStale(file: HintsFile): void {
    const keep = new Set(file.hints.map((h) => trackKey(h)));
    for (const k of this.tracks.keys()) if (!keep.has(k)) this.tracks.delete(k);
    for (const k of this.others.keys()) if (!keep.has(k)) this.others.delete(k);
  }

  /** Each hint with its track (or its own frame only, before tracking). */
  private placed(file: HintsFile): PlacedTrack[] {
    const out: PlacedTrack[] = [];
    for (const h of file.hints) {
      const spec = hintSpec(h, this.planes, this.info);
      if (!spec) continue;
      const track = this.tracks.get(trackKey(h)) ?? {
        first: spec.start, last: spec.start, origin: spec.start, xy: Float32Array.of(spec.x, spec.y), lost: [],
      };
      out.push({ hint: h, track });
      for (const o of this.others.get(trackKey(h)) ?? []) if (o.track) out.push({ hint: h, track: o.track });
    }
    return out;
  }

  /** The per-frame hints for the colour graph, with the tracks computed so far (null: no hints). */
  provider(file: HintsFile): HintProvider | null {
    return file.hints.length ? trackedHintProvider(this.placed(file), this.sx, this.sy) : null;
  }

  /** Points lost so far, as `colorize --json` reports them. */
  losses(file: HintsFile): HintLoss[] {
    const out: HintLoss[] = [];
    file.hints.forEach((h, i) => {
      const name = h.id ?? `hints[${i}]`;
      for (const l of this.tracks.get(trackKey(h))?.lost ?? []) out.push({ hint: name, index: i, ...l });
      for (const o of this.others.get(trackKey(h)) ?? []) {
        if (!o.track) out.push({ hint: name, index: i, frame: this.planes.shots.map.shots[o.shot].start, direction: 'forward', reason: 'not-found', shot: o.shot });
        else for (const l of o.track.lost) out.push({ hint: name, index: i, ...l, shot: o.shot });
      }
    });
    return out;
  }

  /** The hints of `file` as seen at `frame`. */
  view(file: HintsFile, frame: number): HintView[] {
    const fps = this.info.fps ?? FALLBACK_FPS;
    const placed = new Map<Hint, PlacedTrack[]>();
    for (const p of this.placed(file)) placed.set(p.hint, [...(placed.get(p.hint) ?? []), p]);
    return file.hints.map((h) => {
      const p = placed.get(h);
      const at = p ? trackedHintProvider(p, this.sx, this.sy)(frame)?.[0] : undefined;
      const t = this.tracks.get(trackKey(h));
      return {
        id: h.id!, frame: h.frame ?? Math.round((h.time ?? 0) * fps), x: h.x, y: h.y, color: h.color ?? abHex(h.ab),
        ...(h.size !== undefined ? { size: h.size } : {}), until: h.until ?? 'shot',
        at: at ? [at.x, at.y] : null, span: t ? { first: t.first, last: t.last } : null, tracked: t !== undefined,
        missed: (this.others.get(trackKey(h)) ?? []).filter((o) => !o.track).map((o) => o.shot),
      };
    });
  }
}

/** What a track depends on: a hint moved, re-timed or re-spanned needs a new one. */
function trackKey(h: Hint): string {
  return JSON.stringify([h.frame ?? null, h.time ?? null, h.x, h.y, h.until ?? 'shot']);
}

/** A hint given as ab: shown at mid lightness. */
function abHex(ab: [number, number]): string {
  return labHex(60, ab[0], ab[1]);
}
