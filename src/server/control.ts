// Messages viewers send over the socket, and the settings they change. Every viewer shares one
// colorized stream, so a change applies to all of them and the new state is announced to all.
//
//   {"type":"set", "temperature"?: number in [0.05, 1], "smooth"?: number in [0, 1], "paused"?: boolean}
//   {"type":"get"}
//
// Anything else (not JSON, not an object, unknown type or field, wrong type, out of range, binary)
// is refused with {"type":"error","message":...} and changes nothing.

export interface LiveSettings {
  /** Annealed-mean temperature. */
  temperature: number;
  /** Temporal smoothing strength (0 = off). */
  smooth: number;
  /** When true the model is skipped and viewers keep the last frame. */
  paused: boolean;
}

export const LIVE_TEMPERATURE_RANGE = [0.05, 1] as const;
export const SMOOTH_RANGE = [0, 1] as const;
/** Largest control message accepted, in bytes (also the socket's maxPayload). */
export const MAX_CONTROL_BYTES = 4096;

export type ControlMessage =
  | { type: 'set'; patch: Partial<LiveSettings> }
  | { type: 'get' };

export type ControlParse = { ok: true; message: ControlMessage } | { ok: false; error: string };

const SET_FIELDS = new Set(['type', 'temperature', 'smooth', 'paused']);

function fail(error: string): ControlParse {
  return { ok: false, error };
}

function inRange(v: unknown, [lo, hi]: readonly [number, number]): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
}

export interface ParseOptions {
  /** Whether a smoothing stage exists; without one `smooth` is refused. */
  smoothAvailable: boolean;
}

/** Validate one frame received from a viewer. */
export function parseControl(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, opts: ParseOptions): ControlParse {
  if (isBinary) return fail('binary messages are not accepted; send JSON text');
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  if (buf.length > MAX_CONTROL_BYTES) return fail(`message too large (${buf.length} bytes, max ${MAX_CONTROL_BYTES})`);
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    return fail('not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object');
  const obj = value as Record<string, unknown>;
  const type = obj.type;
  if (typeof type !== 'string') return fail('missing "type"');

  if (type === 'get') {
    const extra = Object.keys(obj).filter((k) => k !== 'type');
    if (extra.length) return fail(`unknown field "${extra[0]}" for type "get"`);
    return { ok: true, message: { type: 'get' } };
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
  if (Object.keys(patch).length === 0) return fail('"set" needs at least one of temperature, smooth, paused');
  return { ok: true, message: { type: 'set', patch } };
}
