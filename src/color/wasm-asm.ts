// A minimal WebAssembly binary writer: just enough to emit small numeric kernels (one imported
// memory, a few exported functions, i32/f32/v128 locals, loops, loads/stores and the SIMD ops
// the colour kernels use). Instructions are byte arrays; a function body is their concatenation.

export type Bytes = number[];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export function uleb(n: number): Bytes {
  const out: Bytes = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

export function sleb(n: number): Bytes {
  const out: Bytes = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function f32bytes(x: number): Bytes {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [...b];
}

function name(s: string): Bytes {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function vec(items: Bytes[]): Bytes {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: Bytes): Bytes {
  return [id, ...uleb(body.length), ...body];
}

const simd = (op: number, ...imm: Bytes): Bytes => [0xfd, ...uleb(op), ...imm];
const memarg = (align: number, offset: number): Bytes => [...uleb(align), ...uleb(offset)];

/** The instructions used by the kernels (stack machine, as in the text format). */
export const op = {
  get: (i: number): Bytes => [0x20, ...uleb(i)],
  set: (i: number): Bytes => [0x21, ...uleb(i)],
  tee: (i: number): Bytes => [0x22, ...uleb(i)],
  i32: (v: number): Bytes => [0x41, ...sleb(v)],
  f32: (v: number): Bytes => [0x43, ...f32bytes(v)],
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32Shl: [0x74], i32LtU: [0x49], i32GeU: [0x4f],
  f32Load: (offset = 0): Bytes => [0x2a, ...memarg(2, offset)],
  u8Load: (offset = 0): Bytes => [0x2d, ...memarg(0, offset)],
  u8Store: (offset = 0): Bytes => [0x3a, ...memarg(0, offset)],
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b],
  br: (d: number): Bytes => [0x0c, ...uleb(d)],
  brIf: (d: number): Bytes => [0x0d, ...uleb(d)],
  v128Load: (offset = 0): Bytes => simd(0x00, ...memarg(4, offset)),
  v128Store: (offset = 0): Bytes => simd(0x0b, ...memarg(4, offset)),
  f32x4Splat: simd(0x13),
  i32x4ExtractLane: (lane: number): Bytes => simd(0x1b, lane),
  f32x4ReplaceLane: (lane: number): Bytes => simd(0x20, lane),
  f32x4Gt: simd(0x44),
  bitselect: simd(0x52),
  f32x4Add: simd(0xe4), f32x4Sub: simd(0xe5), f32x4Mul: simd(0xe6),
  f32x4Min: simd(0xe8), f32x4Max: simd(0xe9),
  i32x4TruncSatF32x4S: simd(0xf8),
  // Integer lanes (the Y'CbCr kernels).
  v128Const: (bytes: Bytes): Bytes => simd(0x0c, ...bytes),
  /** Bytes picked by 16 immediate indices from two vectors (0-15 the first, 16-31 the second). */
  i8x16Shuffle: (lanes: Bytes): Bytes => simd(0x0d, ...lanes),
  /** Bytes picked by the indices in the second vector; an index >= 16 gives 0. */
  i8x16Swizzle: simd(0x0e),
  i32x4Splat: simd(0x11),
  v128And: simd(0x4e), v128Or: simd(0x50),
  v128Store32Lane: (lane: number, offset = 0): Bytes => simd(0x5a, ...memarg(0, offset), lane),
  v128Store64Lane: (lane: number, offset = 0): Bytes => simd(0x5b, ...memarg(0, offset), lane),
  i8x16NarrowI16x8U: simd(0x66),
  i16x8NarrowI32x4U: simd(0x86),
  i16x8Add: simd(0x8e),
  i32x4ShrS: simd(0xac), i32x4ShrU: simd(0xad), i32x4Add: simd(0xae), i32x4Mul: simd(0xb5),
  /** Per i32 lane: the sum of the products of its two signed i16 halves with the other vector's. */
  i32x4DotI16x8S: simd(0xba),
};

export interface FunctionDef {
  name: string;
  params: number[];
  results: number[];
  /** Extra locals after the parameters, by type. */
  locals: number[];
  body: Bytes;
}

/** A module importing `env.mem` (min `minPages`) and exporting `fns`. */
export function buildModule(fns: FunctionDef[], minPages = 1): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const imports = [[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(minPages)]];
  const funcs = fns.map((_, i) => uleb(i));
  const exports = fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const codes = fns.map((f) => {
    // Locals: runs of equal types.
    const runs: Bytes[] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const body = [...vec(runs), ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}
