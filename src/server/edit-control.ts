// Messages the editor page sends over its socket (`chroma serve --input film.mp4 --edit`). This
// module checks their shape (JSON object, known type, known fields of the right types, size cap);
// the values of a hint (inside the picture, a real colour, a frame of this film) are checked by
// the hints file's own validator when the edit is applied (editor/hint-store.ts), so the editor and
// `colorize --hints` refuse the same things with the same line.
//
//   {"type":"seek", "frame": int}                        show (render) that frame
//   {"type":"add", "frame": int, "x": n, "y": n, "color": "#rrggbb", "size"?: int, "until"?: "frame"|"shot"|"setup"|int}
//   {"type":"update", "id": s, "frame"?, "x"?, "y"?, "color"?, "size"?, "until"?}
//   {"type":"delete", "id": s}
//   {"type":"suggest", "frame": int, "x": n, "y": n}     the model's own top colours at that pixel
//   {"type":"load", "file": {"hints": [...], ...}}       replace every hint (a hints file's JSON)
//   {"type":"save"}                                      write the hints file beside the film
//   {"type":"get"}                                       the state again
//   {"type":"undo"} / {"type":"redo"}                    step back / forward over the hint edits
//   {"type":"render", "smooth"?: bool, "overwrite"?: bool}  the whole film, with the hints now, to the render path
//   {"type":"cancel"}                                    stop the render (its temporary file is removed)
//   {"type":"view", "view": "original"|"restored"}       this page's frames from the L as decoded, or restored (--restore only)
//
// Anything else is refused with {"type":"error","message":...} and changes nothing.
import type { HintEdit } from '../editor/session.js';
import { parseJsonMessage } from './json-message.js';

/** Largest message, bytes (a `load` of a hints file; the socket's maxPayload). */
export const MAX_EDIT_MESSAGE_BYTES = 256 * 1024;
/** Largest message other than `load`, bytes. */
export const MAX_EDIT_COMMAND_BYTES = 4096;

export type EditMessage =
  | { type: 'seek'; frame: number }
  | { type: 'suggest'; frame: number; x: number; y: number }
  | { type: 'save' }
  | { type: 'get' }
  | { type: 'load'; file: unknown }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'render'; smooth?: boolean; overwrite?: boolean }
  | { type: 'cancel' }
  | { type: 'view'; view: 'original' | 'restored' }
  | Exclude<HintEdit, { type: 'replace' }>;

export type EditParse = { ok: true; message: EditMessage } | { ok: false; error: string };

type Kind = 'int' | 'number' | 'string' | 'until' | 'object' | 'bool' | 'view';

/** Per type: its fields, their kinds, and which are required. */
const TYPES: Record<string, { fields: Record<string, Kind>; required: string[] }> = {
  seek: { fields: { frame: 'int' }, required: ['frame'] },
  suggest: { fields: { frame: 'int', x: 'number', y: 'number' }, required: ['frame', 'x', 'y'] },
  add: { fields: { frame: 'int', x: 'number', y: 'number', color: 'string', size: 'int', until: 'until' }, required: ['frame', 'x', 'y', 'color'] },
  update: { fields: { id: 'string', frame: 'int', x: 'number', y: 'number', color: 'string', size: 'int', until: 'until' }, required: ['id'] },
  delete: { fields: { id: 'string' }, required: ['id'] },
  load: { fields: { file: 'object' }, required: ['file'] },
  save: { fields: {}, required: [] },
  get: { fields: {}, required: [] },
  undo: { fields: {}, required: [] },
  redo: { fields: {}, required: [] },
  render: { fields: { smooth: 'bool', overwrite: 'bool' }, required: [] },
  cancel: { fields: {}, required: [] },
  view: { fields: { view: 'view' }, required: ['view'] },
};

const DESCRIBE: Record<Kind, string> = {
  int: 'an integer >= 0',
  number: 'a finite number',
  string: 'a string of 1..64 characters',
  until: '"frame", "shot", "setup" or a frame number',
  object: 'an object',
  bool: 'true or false',
  view: '"original" or "restored"',
};

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'int': return typeof v === 'number' && Number.isInteger(v) && v >= 0;
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'string': return typeof v === 'string' && v.length >= 1 && v.length <= 64;
    case 'until': return v === 'frame' || v === 'shot' || v === 'setup' || (typeof v === 'number' && Number.isInteger(v) && v >= 0);
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'bool': return typeof v === 'boolean';
    case 'view': return v === 'original' || v === 'restored';
  }
}

const fail = (error: string): EditParse => ({ ok: false, error });
const shown = (s: string) => JSON.stringify(s.slice(0, 40));

/** Validate one socket message from the editor page. */
export function parseEditMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): EditParse {
  const parsed = parseJsonMessage(data, isBinary, MAX_EDIT_MESSAGE_BYTES);
  if (!parsed.ok) return fail(parsed.error);
  const { obj, bytes } = parsed;
  const spec = Object.hasOwn(TYPES, obj.type) ? TYPES[obj.type] : undefined;
  if (!spec) return fail(`unknown type ${shown(obj.type)} (expected one of ${Object.keys(TYPES).join(', ')})`);
  if (obj.type !== 'load' && bytes > MAX_EDIT_COMMAND_BYTES) return fail(`message too large (${bytes} bytes, max ${MAX_EDIT_COMMAND_BYTES} for "${obj.type}")`);
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'type') continue;
    const kind = Object.hasOwn(spec.fields, k) ? spec.fields[k] : undefined;
    if (!kind) return fail(`unknown field ${shown(k)} for type "${obj.type}"`);
    if (!fits(kind, v)) return fail(`"${k}" must be ${DESCRIBE[kind]}`);
  }
  for (const k of spec.required) if (obj[k] === undefined) return fail(`"${obj.type}" needs "${k}"`);
  return { ok: true, message: obj as unknown as EditMessage };
}
