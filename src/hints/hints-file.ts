// The hints file: where a person said "this is red". One JSON format serves stills and video, so
// a file the viewer saves for a film renders the same with `colorize --hints`, and a stills file is
// simply a video file without timing. Parsing is strict on purpose: a typo'd key or a point off
// the picture would otherwise colour nothing (or the wrong thing) in silence, after a long render.
// Every problem is reported as one line naming the hint and the key, as a HintsError (exit 2).
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ChromaError } from '../core/errors.js';
import { srgbToLab } from '../color/lab.js';

/** A bad hints file or hint: one line naming the hint index and key. Maps to exit code 2 (usage). */
export class HintsError extends ChromaError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'HintsError';
  }
}

/** How long a video hint lives: its own frame only, its whole shot, or up to a frame (inclusive). */
export type HintUntil = 'frame' | 'shot' | 'setup' | number;

/** One hint as written in the file, with its colour resolved to Lab ab. */
export interface Hint {
  /** Name, unique within the file: reports of lost points use it (default: none, reports use the index). */
  id?: string;
  /** Pixel of the input (column, row; origin top-left); 0 <= x <= width - 1, 0 <= y <= height - 1. */
  x: number;
  y: number;
  /** The hint's colour as Lab (D65) a, b: from `color` when the file gave one, else `ab` as written. */
  ab: [number, number];
  /** The sRGB hex colour as written (#rgb or #rrggbb), kept so that saving writes it back (absent when the file gave `ab`). */
  color?: string;
  /** Patch side in input pixels (integer, 1..short side). Default: {@link defaultHintSize}. */
  size?: number;
  /** Video only: the frame the hint was placed on (integer >= 0). Default 0. Exclusive with `time`. */
  frame?: number;
  /** Video only: the time the hint was placed at, in seconds (>= 0). Exclusive with `frame` (default: none, `frame` rules). */
  time?: number;
  /** Video only: how long the hint lives (default `"shot"`); `"setup"`: its shot and every other shot of its camera setup; a number is the last frame, >= `frame`. */
  until?: HintUntil;
}

/** "Colour this film like this photograph" (see src/hints/reference-tilt.ts). */
export interface HintsReference {
  /** Path of the photograph as written: relative to the hints file (see {@link referenceImagePath}). */
  image: string;
  /** How strongly to tilt towards the photograph's colours, 0..1 (default 0.7). */
  strength: number;
}

export interface HintsFile {
  hints: Hint[];
  reference?: HintsReference;
}

/** What the hints are for: its size bounds the points, and only video accepts timing keys. */
export interface HintsTarget {
  /** Input width and height in pixels. */
  width: number;
  height: number;
  /** `"image"` (a still: `frame`, `time`, `until` are refused) or `"video"`. Default `"image"`. */
  media?: 'image' | 'video';
  /** Video: number of frames, when known; bounds `frame` and a numeric `until`. Default: unbounded. */
  frameCount?: number;
  /** Video: frames per second, when known; bounds `time` (with frameCount) and orders `until`. Default: unknown (then `time` need only be >= 0). */
  fps?: number;
  /** Name used at the start of every message, e.g. the file's path. Default `"hints"`. */
  source?: string;
  /** Most hints a file may hold (default 4096): a bound on the work one file can ask for. */
  maxHints?: number;
}

/** Default reference strength. */
export const DEFAULT_REFERENCE_STRENGTH = 0.7;
/** Default life of a video hint. */
export const DEFAULT_UNTIL: HintUntil = 'shot';

/**
 * Default patch side in input pixels: the short side / 48, rounded, clamped to 3..25 (10 at 640x480,
 * 15 at 1280x720, 23 at 1920x1080). At the model's ~144-px short side that is a patch of about 3 px:
 * inside the 1–9 px the model was trained with, small enough to stay on one object.
 */
export function defaultHintSize(width: number, height: number): number {
  return Math.min(25, Math.max(3, Math.round(Math.min(width, height) / 48)));
}

/** The hint's patch side in input pixels: its own `size`, else the default for that input size. */
export function hintSize(hint: Pick<Hint, 'size'>, width: number, height: number): number {
  return hint.size ?? defaultHintSize(width, height);
}

/** The frame a video hint was placed on: `frame`, else `time` x fps rounded, else 0. */
export function hintFrame(hint: Pick<Hint, 'frame' | 'time'>, fps: number): number {
  if (hint.frame !== undefined) return hint.frame;
  if (hint.time !== undefined) return Math.round(hint.time * fps);
  return 0;
}

/** Absolute path of the reference photograph: `image` resolved against the hints file's folder. */
export function referenceImagePath(hintsFilePath: string, reference: HintsReference): string {
  return resolve(dirname(hintsFilePath), reference.image);
}

/** Lab (D65) a, b of an sRGB hex colour (#rgb or #rrggbb), or null when it is not one. */
export function hexToAb(hex: string): [number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
  if (!m) return null;
  const h = m[1].length === 3 ? m[1].replace(/./g, (c) => c + c) : m[1];
  const n = parseInt(h, 16);
  const [, a, b] = srgbToLab((n >> 16) & 255, (n >> 8) & 255, n & 255);
  return [a, b];
}

const HINT_KEYS = new Set(['id', 'x', 'y', 'color', 'ab', 'size', 'frame', 'time', 'until']);
const VIDEO_KEYS = ['frame', 'time', 'until'] as const;
const TOP_KEYS = new Set(['hints', 'reference']);
const REFERENCE_KEYS = new Set(['image', 'strength']);
/** |a|, |b| bound: wider than any sRGB colour (|a|, |b| < 128), so only nonsense is refused. */
const AB_LIMIT = 128;
const MAX_ID_LENGTH = 64;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/**
 * Parse and validate a hints file's text for an input of the given size. Throws a HintsError whose
 * message is one line, e.g. `film.hints.json: hints[2].x: 700 is outside the picture (0..639)`.
 */
export function parseHints(text: string, target: HintsTarget): HintsFile {
  const src = target.source ?? 'hints';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new HintsError(`${src}: not valid JSON (${(err as Error).message})`);
  }
  return validateHints(json, target);
}

/** Validate an already-parsed hints object (e.g. from a viewer message); see {@link parseHints}. */
export function validateHints(json: unknown, target: HintsTarget): HintsFile {
  const src = target.source ?? 'hints';
  const fail = (where: string, msg: string): never => {
    throw new HintsError(`${src}: ${where}${where ? ': ' : ''}${msg}`);
  };
  if (!isObject(json)) fail('', 'expected an object {"hints": [...]}');
  const top = json as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!TOP_KEYS.has(k)) fail(k, 'unknown key (expected "hints" and optionally "reference")');
  if (!Array.isArray(top.hints)) fail('hints', top.hints === undefined ? 'missing (an array of hints)' : 'must be an array');
  const list = top.hints as unknown[];
  const maxHints = target.maxHints ?? 4096;
  if (list.length > maxHints) fail('hints', `${list.length} hints, more than the ${maxHints} allowed`);

  const ids = new Map<string, number>();
  const hints = list.map((raw, i) => validateHint(raw, i, target, ids, fail));
  const file: HintsFile = { hints };
  if (top.reference !== undefined) file.reference = validateReference(top.reference, fail);
  return file;
}

type Fail = (where: string, msg: string) => never;

function validateHint(raw: unknown, i: number, t: HintsTarget, ids: Map<string, number>, fail: Fail): Hint {
  const at = (key: string) => `hints[${i}]${key ? `.${key}` : ''}`;
  if (!isObject(raw)) return fail(at(''), 'must be an object {"x", "y", "color" or "ab", ...}');
  for (const k of Object.keys(raw)) if (!HINT_KEYS.has(k)) fail(at(k), `unknown key (expected one of ${[...HINT_KEYS].join(', ')})`);
  const video = t.media === 'video';
  if (!video) for (const k of VIDEO_KEYS) if (raw[k] !== undefined) fail(at(k), 'applies to video only (this input is a still image)');

  const finite = (key: string): number => {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(at(key), `${show(v)} is not a finite number`);
    return v as number;
  };
  const integer = (key: string, min: number, max: number, what: string): number => {
    const v = finite(key);
    if (!Number.isInteger(v) || v < min || v > max) fail(at(key), `${show(v)} is not ${what} (an integer ${min}..${max})`);
    return v;
  };

  const hint = {} as Hint;
  if (raw.id !== undefined) {
    const id = raw.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) fail(at('id'), `${show(id)} is not a name (a string of 1..${MAX_ID_LENGTH} characters)`);
    const seen = ids.get(id as string);
    if (seen !== undefined) fail(at('id'), `${show(id)} is already the id of hints[${seen}]`);
    ids.set(id as string, i);
    hint.id = id as string;
  }
  for (const [key, extent] of [['x', t.width], ['y', t.height]] as const) {
    if (raw[key] === undefined) fail(at(key), 'missing');
    const v = finite(key);
    if (v < 0 || v > extent - 1) fail(at(key), `${v} is outside the picture (0..${extent - 1})`);
    hint[key] = v;
  }

  if (raw.color === undefined && raw.ab === undefined) fail(at('color'), 'missing (give "color", an sRGB hex, or "ab", [a, b])');
  if (raw.color !== undefined && raw.ab !== undefined) fail(at('ab'), 'give "color" or "ab", not both');
  if (raw.color !== undefined) {
    const ab = typeof raw.color === 'string' ? hexToAb(raw.color) : null;
    if (!ab) fail(at('color'), `${show(raw.color)} is not an sRGB hex colour (#rgb or #rrggbb)`);
    hint.ab = ab!;
    hint.color = raw.color as string;
  } else {
    const ab = raw.ab;
    if (!Array.isArray(ab) || ab.length !== 2 || !ab.every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= AB_LIMIT)) {
      fail(at('ab'), `${show(ab)} is not [a, b] (two finite numbers, each -${AB_LIMIT}..${AB_LIMIT})`);
    }
    hint.ab = [(ab as number[])[0], (ab as number[])[1]];
  }

  if (raw.size !== undefined) hint.size = integer('size', 1, Math.min(t.width, t.height), 'a patch side in pixels');

  if (raw.frame !== undefined && raw.time !== undefined) fail(at('time'), 'give "frame" or "time", not both');
  const lastFrame = t.frameCount !== undefined ? t.frameCount - 1 : Number.MAX_SAFE_INTEGER;
  if (raw.frame !== undefined) hint.frame = integer('frame', 0, lastFrame, 'a frame of this video');
  if (raw.time !== undefined) {
    const v = finite('time');
    const duration = t.frameCount !== undefined && t.fps ? t.frameCount / t.fps : Infinity;
    if (v < 0 || v >= duration) fail(at('time'), `${v} is not a time in this video (seconds, 0 <= time < ${duration})`);
    hint.time = v;
  }
  if (raw.until !== undefined) {
    const u = raw.until;
    if (u === 'frame' || u === 'shot' || u === 'setup') hint.until = u;
    else if (typeof u === 'number') {
      const start = hint.frame ?? (hint.time !== undefined && t.fps ? Math.round(hint.time * t.fps) : 0);
      hint.until = integer('until', start, lastFrame, `a frame from this hint's own (${start}) on`);
    } else fail(at('until'), `${show(u)} is not "frame", "shot", "setup" or a frame number`);
  }
  return hint;
}

function validateReference(raw: unknown, fail: Fail): HintsReference {
  if (!isObject(raw)) return fail('reference', 'must be an object {"image": path, "strength": 0..1}');
  for (const k of Object.keys(raw)) if (!REFERENCE_KEYS.has(k)) fail(`reference.${k}`, 'unknown key (expected "image" and "strength")');
  if (raw.image === undefined) fail('reference.image', 'missing (the photograph, relative to the hints file)');
  if (typeof raw.image !== 'string' || raw.image.length === 0) fail('reference.image', `${show(raw.image)} is not a path (relative to the hints file)`);
  let strength = DEFAULT_REFERENCE_STRENGTH;
  if (raw.strength !== undefined) {
    const s = raw.strength;
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 1) fail('reference.strength', `${show(s)} is not a number 0..1`);
    strength = s as number;
  }
  return { image: raw.image as string, strength };
}

/** Largest hints file read (16 MiB: some 150,000 hints' worth of text, far above maxHints). */
export const MAX_HINTS_FILE_BYTES = 16 << 20;

/** Read and validate a hints file; an unreadable or oversized file is a HintsError too (exit 2). */
export async function readHintsFile(path: string, target: Omit<HintsTarget, 'source'>): Promise<HintsFile> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_HINTS_FILE_BYTES) throw new HintsError(`${path}: ${size} bytes is too large for a hints file (at most ${MAX_HINTS_FILE_BYTES})`);
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof HintsError) throw err;
    throw new HintsError(`${path}: cannot read the hints file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseHints(text, { ...target, source: path });
}

/**
 * The file's JSON text (2-space indented, one hint per line, trailing newline), in the format
 * parseHints reads: a hint keeps `color` when it was given one, else writes `ab`; keys the hint
 * does not set are left out, so defaults stay defaults.
 */
export function serializeHints(file: HintsFile): string {
  const hints = file.hints.map((h) => {
    const o: Record<string, unknown> = {};
    if (h.id !== undefined) o.id = h.id;
    if (h.frame !== undefined) o.frame = h.frame;
    if (h.time !== undefined) o.time = h.time;
    o.x = h.x;
    o.y = h.y;
    if (h.color !== undefined) o.color = h.color;
    else o.ab = [h.ab[0], h.ab[1]];
    if (h.size !== undefined) o.size = h.size;
    if (h.until !== undefined) o.until = h.until;
    return `    ${JSON.stringify(o)}`;
  });
  const lines = ['{', `  "hints": [${hints.length ? `\n${hints.join(',\n')}\n  ` : ''}]`];
  if (file.reference) lines[1] += `,\n  "reference": ${JSON.stringify({ image: file.reference.image, strength: file.reference.strength })}`;
  return `${lines.join('\n')}\n}\n`;
}
