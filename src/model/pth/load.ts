// Loads a PyTorch state dict (.pth / .pt) written by torch.save in either serialisation:
//   - zip (PyTorch >= 1.6): <archive>/data.pkl names tensors whose raw little-endian storages sit in
//     <archive>/data/<key>;
//   - legacy single stream: pickles of the magic number, the protocol version and sys_info, then
//     the main pickle, then a pickled list of storage keys, then each storage in that order as an
//     int64 element count followed by its raw bytes.
// Floating-point tensors (float32, and float16 / bfloat16 / float64 converted) come back as
// Float32Arrays; integer BatchNorm counters (num_batches_tracked) are dropped; anything else is an
// error that names the problem.

import { readFileSync } from 'node:fs';

import { GlobalRef, PickleError, PyDict, PyTuple, unpickle, type PickleGlobal } from './pickle.js';
import { looksLikeZip, ZipError, ZipReader } from './zip.js';

export interface StateTensor {
  dims: number[];
  data: Float32Array;
}
export type StateDict = Map<string, StateTensor>;

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool' | 'complex64' | 'complex128';

const STORAGE_TYPES: Record<string, { dtype: DType; size: number }> = {
  FloatStorage: { dtype: 'float32', size: 4 },
  DoubleStorage: { dtype: 'float64', size: 8 },
  HalfStorage: { dtype: 'float16', size: 2 },
  BFloat16Storage: { dtype: 'bfloat16', size: 2 },
  LongStorage: { dtype: 'int64', size: 8 },
  IntStorage: { dtype: 'int32', size: 4 },
  ShortStorage: { dtype: 'int16', size: 2 },
  CharStorage: { dtype: 'int8', size: 1 },
  ByteStorage: { dtype: 'uint8', size: 1 },
  BoolStorage: { dtype: 'bool', size: 1 },
  ComplexFloatStorage: { dtype: 'complex64', size: 8 },
  ComplexDoubleStorage: { dtype: 'complex128', size: 16 },
};

class StorageType {
  constructor(readonly name: string, readonly dtype: DType, readonly size: number) {}
}

/** A storage named by a persistent id; `bytes` is filled in when its data is located. */
class StorageRef {
  bytes: Uint8Array | undefined;
  private f32: Float32Array | undefined;
  constructor(
    readonly key: string,
    readonly type: StorageType,
    /** Element count (from the persistent id; for legacy files, from the count before the data). */
    public numel: number,
    /** Legacy views of another storage: element offset into the root storage. */
    readonly root?: StorageRef,
    readonly rootOffset = 0,
  ) {}

  /** The storage as float32 (converted once, zero-copy for aligned float32). */
  float32(): Float32Array {
    if (this.f32) return this.f32;
    if (this.root) {
      this.f32 = this.root.float32().subarray(this.rootOffset, this.rootOffset + this.numel);
      return this.f32;
    }
    const b = this.bytes;
    if (!b) throw new CheckpointError(`storage ${this.key}: data not found in the file`);
    const n = this.numel;
    const need = n * this.type.size;
    if (b.length < need) throw new CheckpointError(`storage ${this.key}: ${b.length} bytes, expected ${need} (${n} x ${this.type.dtype}); truncated file?`);
    const aligned = (k: number): Uint8Array => (b.byteOffset % k === 0 ? b : new Uint8Array(b)); // copy starts at 0
    switch (this.type.dtype) {
      case 'float32': {
        const a = aligned(4);
        this.f32 = new Float32Array(a.buffer, a.byteOffset, n);
        break;
      }
      case 'float64': {
        const a = aligned(8);
        this.f32 = Float32Array.from(new Float64Array(a.buffer, a.byteOffset, n));
        break;
      }
      case 'float16': {
        const a = aligned(2);
        const h = new Uint16Array(a.buffer, a.byteOffset, n);
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
        this.f32 = out;
        break;
      }
      case 'bfloat16': {
        const a = aligned(2);
        const h = new Uint16Array(a.buffer, a.byteOffset, n);
        const bits = new Uint32Array(n);
        for (let i = 0; i < n; i++) bits[i] = h[i] << 16;
        this.f32 = new Float32Array(bits.buffer);
        break;
      }
      default:
        throw new CheckpointError(`storage ${this.key}: dtype ${this.type.dtype} is not a floating-point type`);
    }
    return this.f32;
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** A tensor as rebuilt by torch._utils._rebuild_tensor_v2: a strided view of a storage. */
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}

function intTuple(v: unknown, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || !items.every((x) => typeof x === 'number' && Number.isInteger(x))) throw new CheckpointError(`${what} is not a tuple of ints`);
  return items as number[];
}

/** Most elements one tensor may have (1 GiB of float32; the largest layer of either model has 2.4 M). */
const MAX_TENSOR_ELEMENTS = 2 ** 28;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new CheckpointError('tensor without a storage');
  if (!isCount(offset)) throw new CheckpointError('tensor storage offset is not an int >= 0');
  const dims = intTuple(size, 'tensor size');
  const strides = intTuple(stride, 'tensor stride');
  // Checked here, before anything is allocated for the tensor: a hostile size must not become memory.
  if (dims.length !== strides.length) throw new CheckpointError(`tensor size [${dims.join(', ')}] and stride [${strides.join(', ')}] differ in rank`);
  if (!dims.every(isCount) || !strides.every(isCount)) throw new CheckpointError(`tensor size [${dims.join(', ')}] or stride [${strides.join(', ')}] has a negative entry`);
  if (dims.reduce((a, b) => a * b, 1) > MAX_TENSOR_ELEMENTS) throw new CheckpointError(`tensor of size [${dims.join(', ')}] is larger than ${MAX_TENSOR_ELEMENTS} elements`);
  return new TensorRef(storage, offset, dims, strides);
}

function torchGlobals(loadFromBytes: (b: Uint8Array) => unknown): Record<string, PickleGlobal> {
  const g: Record<string, PickleGlobal> = {
    'torch._utils._rebuild_tensor_v2': { call: rebuildTensor },
    'torch._utils._rebuild_tensor': { call: rebuildTensor },
    'torch._utils._rebuild_parameter': { call: (a) => a[0] },
    'torch._utils._rebuild_parameter_with_state': { call: (a) => a[0] },
    'torch.storage._load_from_bytes': {
      call: (a) => {
        if (!(a[0] instanceof Uint8Array)) throw new CheckpointError('_load_from_bytes without bytes');
        return loadFromBytes(a[0]);
      },
    },
    'torch.device': { call: (a) => a.join(':') },
  };
  for (const [name, t] of Object.entries(STORAGE_TYPES)) {
    g[`torch.${name}`] = { value: new StorageType(name, t.dtype, t.size) };
  }
  return g;
}

function storageTypeOf(v: unknown): StorageType {
  if (v instanceof GlobalRef && v.def.value instanceof StorageType) return v.def.value;
  throw new CheckpointError('persistent id names an unknown storage type');
}

function pidItems(pid: unknown): unknown[] {
  if (!(pid instanceof PyTuple)) throw new CheckpointError('unexpected persistent id');
  const [tag] = pid.items;
  if (tag === 'module') throw new CheckpointError('the file holds a pickled nn.Module (whole model), not a state dict; save model.state_dict() instead');
  if (tag !== 'storage') throw new CheckpointError(`unexpected persistent id type ${JSON.stringify(tag)}`);
  return pid.items;
}

// ---- zip format --------------------------------------------------------------------------------

function loadZip(buf: Uint8Array): unknown {
  const zip = new ZipReader(buf);
  const pkl = zip.names().find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pkl) throw new CheckpointError(`zip archive without data.pkl (entries: ${zip.names().slice(0, 5).join(', ')}); not a PyTorch checkpoint`);
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const bo = zip.has(`${prefix}byteorder`) ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() : 'little';
  if (bo !== 'little') throw new CheckpointError(`checkpoint was written ${bo}-endian; only little-endian is supported`);
  const storages = new Map<string, StorageRef>();
  const value = unpickle(zip.read(pkl), {
    what: pkl,
    globals: torchGlobals(loadFromBytes),
    persistentLoad: (pid) => {
      const [, type, key, , numel] = pidItems(pid);
      const st = storageTypeOf(type);
      if (typeof key !== 'string' || !isCount(numel)) throw new CheckpointError('malformed storage persistent id');
      let ref = storages.get(key);
      if (!ref) {
        ref = new StorageRef(key, st, numel);
        const member = `${prefix}data/${key}`;
        if (!zip.has(member)) throw new CheckpointError(`storage ${key}: archive member ${member} missing`);
        ref.bytes = zip.read(member);
        storages.set(key, ref);
      }
      return ref;
    },
  }).value;
  return value;
}

// ---- legacy format -----------------------------------------------------------------------------

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function loadFromBytes(b: Uint8Array): unknown {
  return loadLegacy(b);
}

function loadLegacy(buf: Uint8Array): unknown {
  let r = unpickle(buf, { what: 'legacy header' }, 0);
  if (r.value !== LEGACY_MAGIC) throw new CheckpointError('not a PyTorch checkpoint (pickle without the torch.save magic number)');
  r = unpickle(buf, { what: 'legacy header' }, r.end);
  if (r.value !== 1001) throw new CheckpointError(`unsupported legacy checkpoint protocol version ${String(r.value)}`);
  r = unpickle(buf, { what: 'legacy sys_info' }, r.end);
  const sysInfo = r.value;
  if (sysInfo instanceof PyDict && sysInfo.map.get('little_endian') === false) {
    throw new CheckpointError('checkpoint was written big-endian; only little-endian is supported');
  }

  const roots = new Map<string, StorageRef>();
  r = unpickle(buf, {
    what: 'legacy main pickle',
    globals: torchGlobals(loadFromBytes),
    persistentLoad: (pid) => {
      const [, type, key, , numel, viewMeta] = pidItems(pid);
      const st = storageTypeOf(type);
      if (typeof key !== 'string' || !isCount(numel)) throw new CheckpointError('malformed storage persistent id');
      let root = roots.get(key);
      if (!root) {
        root = new StorageRef(key, st, numel);
        roots.set(key, root);
      }
      if (viewMeta instanceof PyTuple) {
        const [viewKey, offset, size] = viewMeta.items;
        if (!isCount(offset) || !isCount(size)) throw new CheckpointError('malformed storage view');
        return new StorageRef(String(viewKey), st, size, root, offset);
      }
      return root;
    },
  }, r.end);
  const value = r.value;
  r = unpickle(buf, { what: 'legacy storage key list' }, r.end);
  const keys = r.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new CheckpointError('legacy checkpoint: storage key list is not a list of strings');
  let pos = r.end;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const key of keys as string[]) {
    const ref = roots.get(key);
    if (!ref) throw new CheckpointError(`legacy checkpoint: storage ${key} listed but never referenced`);
    if (pos + 8 > buf.length) throw new CheckpointError(`legacy checkpoint truncated before storage ${key}`);
    const n = Number(view.getBigInt64(pos, true));
    pos += 8;
    const len = n * ref.type.size;
    if (n < 0 || pos + len > buf.length) throw new CheckpointError(`legacy checkpoint truncated in storage ${key} (${n} x ${ref.type.dtype})`);
    ref.bytes = buf.subarray(pos, pos + len);
    // The count on disk is authoritative for the data length.
    ref.numel = n;
    pos += len;
  }
  return value;
}

// ---- state dict --------------------------------------------------------------------------------

function gather(t: TensorRef, key: string): StateTensor {
  const dims = t.size;
  const numel = dims.reduce((a, b) => a * b, 1);
  const src = t.storage.float32();
  if (numel === 0) return { dims, data: new Float32Array(0) };
  let maxIndex = t.offset;
  for (let i = 0; i < dims.length; i++) maxIndex += (dims[i] - 1) * t.stride[i];
  if (t.offset < 0 || maxIndex >= src.length) {
    throw new CheckpointError(`tensor "${key}": view [${dims.join(', ')}] at offset ${t.offset} with strides [${t.stride.join(', ')}] exceeds its storage of ${src.length} elements`);
  }
  // Contiguous?
  let contiguous = true;
  let expect = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    if (dims[i] !== 1 && t.stride[i] !== expect) contiguous = false;
    expect *= dims[i];
  }
  if (contiguous) return { dims, data: src.slice(t.offset, t.offset + numel) };
  const out = new Float32Array(numel);
  const rank = dims.length;
  const idx = new Array<number>(rank).fill(0);
  let p = t.offset;
  for (let o = 0; o < numel; o++) {
    out[o] = src[p];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      p += t.stride[d];
      if (idx[d] < dims[d]) break;
      p -= t.stride[d] * dims[d];
      idx[d] = 0;
    }
  }
  return { dims, data: out };
}

const FLOAT_TYPES = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16']);

function typeName(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyTuple) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v instanceof StorageRef) return 'storage';
  return typeof v;
}

function toStateDict(top: unknown): StateDict {
  if (!(top instanceof PyDict)) throw new CheckpointError(`not a state dict: the checkpoint holds a ${typeName(top)}, not a dict of tensors`);
  let dict = top;
  // Common wrappers: {'state_dict': {...}} / {'model': {...}}.
  const hasTensor = [...dict.map.values()].some((v) => v instanceof TensorRef);
  if (!hasTensor) {
    for (const k of ['state_dict', 'model', 'model_state_dict']) {
      const inner = dict.map.get(k);
      if (inner instanceof PyDict) {
        dict = inner;
        break;
      }
    }
  }
  const out: StateDict = new Map();
  for (const [k, v] of dict.map) {
    const key = String(k);
    if (!(v instanceof TensorRef)) throw new CheckpointError(`not a state dict: entry "${key}" is a ${typeName(v)}, not a tensor`);
    const dt = v.storage.type.dtype;
    if (!FLOAT_TYPES.has(dt)) {
      if (key.endsWith('num_batches_tracked')) continue;
      throw new CheckpointError(`tensor "${key}" has dtype ${dt}; only floating-point tensors (float32/16/64, bfloat16) are supported`);
    }
    out.set(key, gather(v, key));
  }
  if (out.size === 0) throw new CheckpointError('not a state dict: no tensors found');
  return out;
}

/**
 * Reads a PyTorch state dict from bytes or a file path. Throws CheckpointError (with the reason)
 * for anything that is not a state dict of floating-point tensors in one of the two formats.
 */
export function loadStateDict(src: Uint8Array | string): StateDict {
  const raw = typeof src === 'string' ? readFileSync(src) : src;
  // A plain Uint8Array view (Buffer.slice would not copy).
  const buf = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const what = typeof src === 'string' ? src : 'checkpoint';
  try {
    if (looksLikeZip(buf)) return toStateDict(loadZip(buf));
    if (buf.length >= 2 && buf[0] === 0x80 && buf[1] >= 2 && buf[1] <= 5) return toStateDict(loadLegacy(buf));
    if (buf.length >= 262 && new TextDecoder().decode(buf.subarray(257, 262)) === 'ustar') {
      throw new CheckpointError('tar-format PyTorch checkpoint (PyTorch < 0.1.10) is not supported');
    }
    throw new CheckpointError('not a PyTorch checkpoint (neither a zip archive nor a pickle stream)');
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof PickleError || e instanceof ZipError) {
      const err = new CheckpointError(`${what}: ${e.message.replace(/^checkpoint: /, '')}`);
      err.cause = e;
      throw err;
    }
    throw e;
  }
}
