// What `--restore` asks for: which defects to repair and how hard, as plain numbers the detectors
// read. The presets are the only place the numbers live; bench/restore.ts measured them.
import { invalidOption } from '../core/errors.js';

export type RestoreDefect = 'flicker' | 'dust' | 'scratches' | 'grain' | 'blotches';
export type RestorePreset = 'auto' | 'light' | 'strong' | 'off';
/** 'lookahead' (files: a few future frames are held) or 'causal' (live: past frames only). */
export type RestoreMode = 'lookahead' | 'causal';

export const RESTORE_DEFECTS: readonly RestoreDefect[] = ['flicker', 'dust', 'scratches', 'grain', 'blotches'];

export interface FlickerSettings {
  /** Frames each side averaged into the brightness reference (look-ahead holds this many; default 6). */
  window: number;
  /** Causal mode: the reference's per-frame history weight (default 0.8). */
  history: number;
  /** Largest gain correction either way, as a ratio (default 1.25). */
  maxGain: number;
  /**
   * L units by which a frame's mean and spread may differ from the reference and be taken for the
   * scene's own change (a pan, a head turning) rather than flicker; only the rest is corrected
   * (default 0.5; 0 corrects every difference).
   */
  tolerance: number;
  /**
   * Columns of the grid on which one region's breathing is corrected after the whole frame's
   * (src/restore/flicker-regions.ts; rows in proportion; default 6; 0 corrects whole frames only).
   * Look-ahead only: live restoration corrects whole frames.
   */
  regions: number;
}

export interface DustSettings {
  /** L units a pixel must differ from both compensated neighbours, same sign (default 14). */
  threshold: number;
  /** L units the two neighbours may differ at that pixel and still count as agreeing (default 10). */
  agree: number;
  /** Largest blob in pixels accepted as dust; larger ones are taken for motion (default 400). */
  maxArea: number;
  /**
   * Longest side (px) of a blob's box accepted as dust (default 24): a long band is the edge of
   * something that moved further than the flow followed.
   */
  maxExtent: number;
  /** Pixels grown around each blob before filling, for its soft edge (default 1). */
  grow: number;
}

/** How a blotch's pixels that the frames around cannot give are filled. */
export type BlotchFill = 'net' | 'directional';

export interface BlotchSettings {
  /** L units a pixel must differ from the frames two away (t-2, t+2), same sign (default 14). */
  threshold: number;
  /** L units those two may differ and still agree; also the agreement for filling from frames (default 10). */
  agree: number;
  /** Smallest blob in pixels taken for a blotch; smaller ones are dust's (default 60). */
  minArea: number;
  /** Shortest and longest side (px) of a blob's box taken for a blotch (default 12 and 120). */
  minExtent: number;
  maxExtent: number;
  /** Pixels grown around each blotch before filling, for its soft edge (default 2). */
  grow: number;
  /** Fill from the frames two and three away where they agree (default true). */
  fromFrames: boolean;
  /** The fill for the rest: 'net' (the learned inpainting net, default) or 'directional' (inpaint.ts). */
  fill: BlotchFill;
  /**
   * Also look for blotches at motion boundaries: pixels where the witnesses disagree join a blob
   * (without counting towards its size), and a margin matching one witness will do (default
   * true). Every blob must also have no track: its content found in no frame within two.
   */
  boundaries: boolean;
}

export interface ScratchSettings {
  /** L units a column must stand out from its neighbours 3 px away on each side (default 6). */
  threshold: number;
  /** Share of a band's rows that must show the line for the band to be flagged (default 0.6). */
  rowShare: number;
  /** Rows per band: scratches may be partial or slightly slanted (default 64). */
  bandRows: number;
  /**
   * Mean contrast (L units) over the frame's height from which a 1-px column line too faint for
   * the scratch test is taken for a hairline and taken out (src/restore/hairlines.ts; default
   * 1.5; 0 leaves hairlines).
   */
  hairline: number;
}

export interface GrainSettings {
  /** Multiplies the estimated grain level: 0 leaves it, 1 is the measured default, 2 is strong (default 1). */
  strength: number;
  /**
   * Residual level (L units) that clean footage shows; only what rises above it is filtered, as
   * sqrt(level^2 - floor^2) (default 1.5: the clean dev clips measure 0.1 to 2.0).
   */
  floor: number;
}

/** What the restoration stage does; a null defect is left alone. */
export interface RestoreSettings {
  flicker: FlickerSettings | null;
  dust: DustSettings | null;
  scratches: ScratchSettings | null;
  grain: GrainSettings | null;
  blotches: BlotchSettings | null;
}

const FLICKER: FlickerSettings = { window: 6, history: 0.8, maxGain: 1.25, tolerance: 0.5, regions: 6 };
const DUST: DustSettings = { threshold: 10, agree: 10, maxArea: 400, maxExtent: 24, grow: 1 };
const SCRATCHES: ScratchSettings = { threshold: 6, rowShare: 0.6, bandRows: 64, hairline: 1.5 };
const GRAIN: GrainSettings = { strength: 1, floor: 1.5 };
const BLOTCHES: BlotchSettings = { threshold: 14, agree: 10, minArea: 60, minExtent: 12, maxExtent: 120, grow: 2, fromFrames: true, fill: 'net', boundaries: true };

/** The presets: auto repairs every defect at the measured settings; light is conservative; strong is not. */
export const RESTORE_PRESETS: Readonly<Record<Exclude<RestorePreset, 'off'>, RestoreSettings>> = {
  auto: { flicker: FLICKER, dust: DUST, scratches: SCRATCHES, grain: GRAIN, blotches: BLOTCHES },
  light: {
    flicker: { ...FLICKER, maxGain: 1.12, regions: 0 },
    dust: { ...DUST, threshold: 20, maxArea: 200 },
    scratches: null,
    grain: { ...GRAIN, strength: 0.6 },
    blotches: { ...BLOTCHES, threshold: 20, boundaries: false },
  },
  strong: {
    flicker: { ...FLICKER, window: 8, tolerance: 0.25, regions: 8 },
    dust: { ...DUST, threshold: 10, agree: 14, maxArea: 900, maxExtent: 40, grow: 2 },
    scratches: { ...SCRATCHES, threshold: 5, rowShare: 0.5, hairline: 1 },
    grain: { ...GRAIN, strength: 1.6, floor: 1 },
    blotches: { ...BLOTCHES, threshold: 10, maxExtent: 160, grow: 3, boundaries: true },
  },
};

/** True when the settings repair nothing. */
export function restoresNothing(s: RestoreSettings | null | undefined): boolean {
  return !s || RESTORE_DEFECTS.every((d) => s[d] === null);
}

/**
 * The CLI's `--restore`: a preset (auto, light, strong, off) or a comma list of defects
 * (dust,scratches,flicker,grain,blotches) each at its auto settings. Null for off. Throws a usage error
 * naming what was wrong.
 */
export function parseRestoreOption(value: string): RestoreSettings | null {
  const t = value.trim().toLowerCase();
  if (t === 'off') return null;
  if (Object.hasOwn(RESTORE_PRESETS, t)) return RESTORE_PRESETS[t as keyof typeof RESTORE_PRESETS];
  const parts = t.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = parts.filter((p) => !(RESTORE_DEFECTS as readonly string[]).includes(p));
  if (!parts.length || bad.length) {
    throw invalidOption('--restore', `auto, light, strong, off or a list of ${RESTORE_DEFECTS.join(', ')}`, value);
  }
  const auto = RESTORE_PRESETS.auto;
  return {
    flicker: parts.includes('flicker') ? auto.flicker : null,
    dust: parts.includes('dust') ? auto.dust : null,
    scratches: parts.includes('scratches') ? auto.scratches : null,
    grain: parts.includes('grain') ? auto.grain : null,
    blotches: parts.includes('blotches') ? auto.blotches : null,
  };
}
