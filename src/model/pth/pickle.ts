// A restricted unpickler: the opcodes of protocols 0-5 that PyTorch checkpoints use, with globals
// resolved only through an explicit allow-list supplied by the caller. Nothing named by the pickle
// is ever looked up or executed beyond that list; anything else is refused with a clear error.
//
// Python values map to JS as: None → null, bool → boolean, int → number (bigint beyond 2^53),
// float → number, str → string, bytes → Uint8Array, list/set → Array, tuple → PyTuple,
// dict → PyDict. Allowed globals produce whatever their handler returns.

export class PickleError extends Error {
  override name = 'PickleError';
}

export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

export type PyKey = string | number | bigint | boolean | null;

/** A Python dict (or OrderedDict); `attrs` holds state set by BUILD (e.g. a state dict's _metadata). */
export class PyDict {
  readonly map = new Map<PyKey, unknown>();
  attrs: unknown = undefined;
  constructor(readonly ordered = false) {}
  set(k: unknown, v: unknown): void {
    if (k !== null && typeof k === 'object') throw new PickleError('unsupported pickle: dict key that is not a str/int/bool/None');
    this.map.set(k as PyKey, v);
  }
}

/** One allowed global: something callable by REDUCE/NEWOBJ, or a plain value (e.g. a storage type). */
export interface PickleGlobal {
  call?: (args: unknown[]) => unknown;
  value?: unknown;
}

/** A resolved global on the pickle stack. */
export class GlobalRef {
  constructor(readonly module: string, readonly qualname: string, readonly def: PickleGlobal) {}
  get fullName(): string {
    return `${this.module}.${this.qualname}`;
  }
}

export interface UnpickleOptions {
  /** Allowed globals by "module.name". Built-ins (collections.OrderedDict, _codecs.encode) are added. */
  globals?: Record<string, PickleGlobal>;
  /** Handler for persistent ids (PERSID / BINPERSID). Without one they are refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /** What the data is, for error messages (e.g. "data.pkl"). */
  what?: string;
}

const BUILTIN_GLOBALS: Record<string, PickleGlobal> = {
  'collections.OrderedDict': {
    call: (args) => {
      const d = new PyDict(true);
      if (args.length > 0) {
        const items = args[0];
        if (Array.isArray(items)) {
          for (const it of items) {
            const pair = it instanceof PyTuple ? it.items : it;
            if (!Array.isArray(pair) || pair.length !== 2) throw new PickleError('OrderedDict(...) with a malformed item list');
            d.set(pair[0], pair[1]);
          }
        } else if (items !== undefined) throw new PickleError('OrderedDict(...) with unsupported arguments');
      }
      return d;
    },
  },
  // Protocol-2 pickles written by Python 3 encode bytes as _codecs.encode(str, 'latin1').
  '_codecs.encode': {
    call: (args) => {
      const [s, enc] = args;
      if (typeof s !== 'string') throw new PickleError('_codecs.encode with a non-str argument');
      const e = typeof enc === 'string' ? enc.toLowerCase() : 'utf-8';
      if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
      if (e === 'utf-8' || e === 'utf8') return new TextEncoder().encode(s);
      throw new PickleError(`_codecs.encode with unsupported encoding ${String(enc)}`);
    },
  },
};

const MARK = Symbol('mark');

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

function readLongLE(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Longest integer a pickle may spell (bytes of LONG1/LONG4, digits of INT/LONG): BigInt parsing is quadratic. */
const MAX_LONG_BYTES = 1024;

function parseTextInt(s: string): number | bigint | boolean | null {
  const t = s.replace(/L$/, '');
  if (t === '00') return false;
  if (t === '01') return true;
  if (t.length > MAX_LONG_BYTES || !/^\s*[+-]?\d+\s*$/.test(t)) return null;
  const v = BigInt(t.trim());
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof GlobalRef) return v.fullName;
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/**
 * Unpickles one pickle starting at `start`; returns the value and the offset just past its STOP.
 */
export function unpickle(buf: Uint8Array, opts: UnpickleOptions = {}, start = 0): { value: unknown; end: number } {
  const globals: Record<string, PickleGlobal> = { ...BUILTIN_GLOBALS, ...(opts.globals ?? {}) };
  const what = opts.what ?? 'pickle';
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;

  const fail = (msg: string): never => {
    throw new PickleError(`${what}: ${msg} (at byte ${pos})`);
  };
  const need = (n: number): void => {
    if (pos + n > buf.length) fail('truncated pickle');
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('length too large');
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    // A negative length (BINSTRING's is signed) would move pos backwards: a loop, not a read.
    if (n < 0) fail(`negative length ${n}`);
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const long = (n: number): number | bigint => {
    if (n > MAX_LONG_BYTES) fail(`integer of ${n} bytes is too long (at most ${MAX_LONG_BYTES})`);
    return readLongLE(bytes(n));
  };
  const textInt = (): number | bigint | boolean => {
    const v = parseTextInt(line());
    return v === null ? fail('malformed INT/LONG') : v;
  };
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) fail('truncated pickle (missing newline)');
    const s = latin1.decode(buf.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('MARK expected');
    const items = stack.splice(m as number);
    return items;
  };
  const resolveGlobal = (module: string, name: string): GlobalRef => {
    const full = `${module}.${name}`;
    const def = globals[full];
    if (!def) fail(`refusing to load: the pickle references "${full}", which is not allowed (only PyTorch tensors and state dicts are supported)`);
    return new GlobalRef(module, name, def as PickleGlobal);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof GlobalRef) || !fn.def.call) fail(`refusing to call ${describe(fn)}`);
    const items = args instanceof PyTuple ? args.items : Array.isArray(args) ? args : fail('REDUCE arguments are not a tuple');
    return (fn as GlobalRef).def.call!(items as unknown[]);
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (!(d instanceof PyDict)) fail(`SETITEM(S) on a ${describe(d)}`);
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (d as PyDict).set(items[i], items[i + 1]);
  };
  const appendItems = (l: unknown, items: unknown[]): void => {
    if (!Array.isArray(l)) fail(`APPEND(S) on a ${describe(l)}`);
    // One at a time: a spread of a huge MARK group would overflow the call stack.
    for (const it of items) (l as unknown[]).push(it);
  };
  const persistent = (pid: unknown): unknown => {
    if (!opts.persistentLoad) fail('unexpected persistent id (no storage loader here)');
    return opts.persistentLoad!(pid);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: u64(); break; // FRAME: the length is advisory
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`malformed pickle (stack holds ${stack.length} values at STOP)`);
        return { value: stack[0], end: pos };
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP

      // ---- constants
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(u8())); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(long(n));
        break;
      }
      case 0x49: stack.push(textInt()); break; // INT
      case 0x4c: stack.push(textInt()); break; // LONG
      case 0x47: { // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x46: stack.push(parseFloat(line())); break; // FLOAT

      // ---- strings and bytes
      case 0x58: stack.push(utf8.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(bytes(u64()))); break; // BINUNICODE8
      case 0x54: stack.push(latin1.decode(bytes(i32()))); break; // BINSTRING (py2 str)
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(bytes(u32())); break; // BINBYTES
      case 0x43: stack.push(bytes(u8())); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64())); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64())); break; // BYTEARRAY8

      // ---- containers
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET (as a list)
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x91: stack.push(popMark()); break; // FROZENSET (as a list)
      case 0x64: { const d = new PyDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x90: { const items = popMark(); appendItems(top(), items); break; } // ADDITEMS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS

      // ---- memo
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const idx = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(idx)) fail(`memo key ${idx} missing`);
        stack.push(memo.get(idx));
        break;
      }

      // ---- objects
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL with non-string names');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof PyDict) || kwargs.map.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(call(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) obj.attrs = state;
        else if (obj !== null && typeof obj === 'object' && !(obj instanceof GlobalRef)) (obj as { __state__?: unknown }).__state__ = state;
        else fail(`BUILD on a ${describe(obj)}`);
        break;
      }
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x50: stack.push(persistent(line())); break; // PERSID

      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}` +
          (op === 0x69 || op === 0x6f ? ' (INST/OBJ: arbitrary object construction is refused)' : ''));
    }
  }
}
