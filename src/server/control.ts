// Messages viewers send over the socket, and the settings they change. Every viewer shares one
// colorized stream, so a change applies to all of them and the new state is announced to all.
//
//   {"type":"set", "temperature"?: number in [0.05, 1], "smooth"?: number in [0, 1], "paused"?: boolean,
//           "view"?: "restored" | "original"}
//   {"type":"get"}
//   {"type":"hint", "x": number, "y": number, "color": "#rrggbb", "size"?: integer, "frame"?: integer}
//   {"type":"unhint", "id": string}
//   {"type":"clear-hints"}
//
// Hints (live-hints.ts) are checked here for their shape only; whether this server, this socket
// and the number of hints already placed allow one is the server's call.
//
// Anything else (not JSON, not an object, unknown type or field, wrong type, out of range, binary)
// is refused with {"type":"error","message":...} and changes nothing.
import { hexToAb } from '../hints/hints-file.js';

import { parseJsonMessage } from './json-message.js';

export interface LiveSettings {
  /** Annealed-mean temperature. */
  temperature: number;
  /** Temporal smoothing strength (0 = off). */
  smooth: number;
  /** When true the model is skipped and viewers keep the last frame. */
  paused: boolean;
  /** With --restore: the repaired film ('restored') or the film as it came ('original'). */
  view: LiveView;
}

export type LiveView = 'restored' | 'original';
export const LIVE_VIEWS: readonly LiveView[] = ['restored', 'original'];

export const LIVE_TEMPERATURE_RANGE = [0.05, 1] as const;
export const SMOOTH_RANGE = [0, 1] as const;
/** Largest control message accepted, in bytes (also the socket's maxPayload). */
export const MAX_CONTROL_BYTES = 4096;

/** A click on the viewer: where (source pixels of the frame shown), which colour, how big, on which frame. */
export interface HintRequest {
  x: number;
  y: number;
  /** The colour as sent (#rrggbb, lower case) and its Lab a, b. */
  color: string;
  ab: [number, number];
  /** Patch side in source pixels (default: defaultHintSize of the source, as in a hints file). */
  size?: number;
  /** Seq of the frame the viewer was showing (its header's seq), to say how old the click was. */
  frame?: number;
}

export type ControlMessage =
  | { type: 'set'; patch: Partial<LiveSettings> }
  | { type: 'get' }
  | { type: 'hint'; hint: HintRequest }
  | { type: 'unhint'; id: string }
  | { type: 'clear-hints' };

/** Longest hint id accepted in "unhint" (the server's ids are short: h1, h2, ...). */
export const MAX_HINT_ID_LENGTH = 64;

export type ControlParse = { ok: true; message: ControlMessage } | { ok: false; error: string };

const SET_FIELDS = new Set(['type', 'temperature', 'smooth', 'paused', 'view']);
const HINT_FIELDS = new Set(['type', 'x', 'y', 'color', 'size', 'frame']);

function fail(error: string): ControlParse {
  return { ok: false, error };
}

function inRange(v: unknown, [lo, hi]: readonly [number, number]): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
}

export interface ParseOptions {
  /** Whether a smoothing stage exists; without one `smooth` is refused. */
  smoothAvailable: boolean;
  /** Why there is no restored film to switch from (no --restore), or null when there is. Default: null. */
  restoreReason?: string | null;
  /** The source's frame size, the range of a hint's x, y (0 x 0 before the first frame). */
  width?: number;
  height?: number;
}

/** Validate one frame received from a viewer. */
export function parseControl(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, opts: ParseOptions): ControlParse {
  const parsed = parseJsonMessage(data, isBinary, MAX_CONTROL_BYTES);
  if (!parsed.ok) return fail(parsed.error);
  const obj = parsed.obj;
  const type = obj.type;

  if (type === 'get' || type === 'clear-hints') {
    const extra = Object.keys(obj).filter((k) => k !== 'type');
    if (extra.length) return fail(`unknown field "${extra[0].slice(0, 40)}" for type "${type}"`);
    return { ok: true, message: { type } };
  }
  if (type === 'hint') return parseHint(obj, opts.width ?? 0, opts.height ?? 0);
  if (type === 'unhint') {
    for (const k of Object.keys(obj)) if (k !== 'type' && k !== 'id') return fail(`unknown field "${k.slice(0, 40)}" for type "unhint"`);
    const id = obj.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_HINT_ID_LENGTH) return fail(`"id" must be a hint id (a string of 1..${MAX_HINT_ID_LENGTH} characters)`);
    return { ok: true, message: { type: 'unhint', id } };
  }
  if (type !== 'set') return fail(`unknown type "${type.slice(0, 40)}"`);

  for (const k of Object.keys(obj)) if (!SET_FIELDS.has(k)) return fail(`unknown field "${k.slice(0, 40)}"`);
  const patch: Partial<LiveSettings> = {};
  if ('temperature' in obj) {
    if (!inRange(obj.temperature, LIVE_TEMPERATURE_RANGE)) {
      return fail(`"temperature" must be a number in [${LIVE_TEMPERATURE_RANGE[0]}, ${LIVE_TEMPERATURE_RANGE[1]}]`);
    }
    patch.temperature = obj.temperature;
  }
  if ('smooth' in obj) {
    if (!inRange(obj.smooth, SMOOTH_RANGE)) return fail(`"smooth" must be a number in [${SMOOTH_RANGE[0]}, ${SMOOTH_RANGE[1]}]`);
    if (!opts.smoothAvailable && obj.smooth !== 0) return fail('temporal smoothing is not available on this server');
    patch.smooth = obj.smooth;
  }
  if ('paused' in obj) {
    if (typeof obj.paused !== 'boolean') return fail('"paused" must be true or false');
    patch.paused = obj.paused;
  }
  if ('view' in obj) {
    if (!LIVE_VIEWS.includes(obj.view as LiveView)) return fail('"view" must be "restored" or "original"');
    if (opts.restoreReason) return fail(opts.restoreReason);
    patch.view = obj.view as LiveView;
  }
  if (Object.keys(patch).length === 0) return fail('"set" needs at least one of temperature, smooth, paused, view');
  return { ok: true, message: { type: 'set', patch } };
}

function parseHint(obj: Record<string, unknown>, width: number, height: number): ControlParse {
  for (const k of Object.keys(obj)) if (!HINT_FIELDS.has(k)) return fail(`unknown field "${k.slice(0, 40)}" for type "hint"`);
  if (!(width > 0 && height > 0)) return fail('no frame from the source yet: a hint needs its size');
  for (const [k, extent] of [['x', width], ['y', height]] as const) {
    if (!inRange(obj[k], [0, extent - 1])) return fail(`"${k}" must be a number in [0, ${extent - 1}] (source pixels)`);
  }
  const color = obj.color;
  const ab = typeof color === 'string' && /^#[0-9a-f]{6}$/i.test(color) ? hexToAb(color) : null;
  if (!ab) return fail('"color" must be an sRGB hex colour "#rrggbb"');
  const hint: HintRequest = { x: obj.x as number, y: obj.y as number, color: (color as string).toLowerCase(), ab };
  if ('size' in obj) {
    const side = Math.min(width, height);
    if (!Number.isInteger(obj.size) || !inRange(obj.size, [1, side])) return fail(`"size" must be an integer in [1, ${side}] (patch side in source pixels)`);
    hint.size = obj.size as number;
  }
  if ('frame' in obj) {
    if (!Number.isInteger(obj.frame) || !inRange(obj.frame, [0, 2 ** 32 - 1])) return fail('"frame" must be the seq of a frame (an integer >= 0)');
    hint.frame = obj.frame as number;
  }
  return { ok: true, message: { type: 'hint', hint } };
}
