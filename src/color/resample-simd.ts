// The vertical pass of PlaneResampler.runCodes in WebAssembly SIMD: the L* of four gray codes is
// gathered from the table and accumulated into a source-width row, four pixels per step. The
// horizontal pass (on the few output rows) stays in JS. Used by the resize stage for gray frames
// (codes with stride 3 in rgb24 frames, stride 1 in the code plane of a yuv420p decode); null where WebAssembly SIMD is unavailable (or CHROMA_SIMD=0).
import { buildModule, op, I32, F32, V128, type Bytes } from './wasm-asm.js';

const TABLE = 0; // f32 x 256
const ROW = 1024; // f32 x width, then the frame's codes
const PAGE = 65536;

/** set_row(src, n, w) : row[x] = w * T[src[S x]];  add_row(src, n, w) : row[x] += w * T[src[S x]] (n a multiple of 4, S the stride). */
function kernels(stride: number): Uint8Array<ArrayBuffer> {
  const build = (accumulate: boolean) => {
    const src = 0, n = 1, w = 2;
    const dst = 3, end = 4, v = 5, wv = 6, acc = 7;
    const b: Bytes = [];
    const emit = (...xs: Bytes[]) => xs.forEach((x) => b.push(...x));
    emit(op.get(w), op.f32x4Splat, op.set(wv));
    emit(op.i32(ROW), op.set(dst));
    emit(op.get(src), op.get(n), op.i32(stride), op.i32Mul, op.i32Add, op.set(end));
    emit(op.block, op.loop);
    emit(op.get(src), op.get(end), op.i32GeU, op.brIf(1));
    for (let lane = 0; lane < 4; lane++) {
      emit(op.get(src), op.u8Load(stride * lane), op.i32(2), op.i32Shl, op.set(v));
      if (lane === 0) emit(op.get(v), op.f32Load(TABLE), op.f32x4Splat, op.set(acc));
      else emit(op.get(acc), op.get(v), op.f32Load(TABLE), op.f32x4ReplaceLane(lane), op.set(acc));
    }
    emit(op.get(dst));
    emit(op.get(acc), op.get(wv), op.f32x4Mul);
    if (accumulate) emit(op.get(dst), op.v128Load(), op.f32x4Add);
    emit(op.v128Store());
    emit(op.get(src), op.i32(4 * stride), op.i32Add, op.set(src));
    emit(op.get(dst), op.i32(16), op.i32Add, op.set(dst));
    emit(op.br(0), op.end, op.end);
    return { params: [I32, I32, F32], locals: [I32, I32, I32, V128, V128], body: b };
  };
  const s = build(false), a = build(true);
  return buildModule([
    { name: 'set_row', results: [], ...s },
    { name: 'add_row', results: [], ...a },
  ], 1);
}

type RowFn = (src: number, n: number, w: number) => void;

export class SimdRowAccumulator {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly setRow: RowFn;
  private readonly addRow: RowFn;
  private codesAt = 0;
  private width = 0;
  private rows = 0;
  private codes: Uint8Array | null = null;
  /** Source rows [loFirst, loFirst + loRows) are in wasm memory. */
  private loFirst = 0;
  private loRows = 0;

  constructor(module: WebAssembly.Module, private readonly table: Float32Array, readonly stride: number) {
    const inst = new WebAssembly.Instance(module, { env: { mem: this.memory } });
    this.setRow = inst.exports.set_row as RowFn;
    this.addRow = inst.exports.add_row as RowFn;
  }

  /**
   * Start a frame (codes with this accumulator's stride, `width` pixels a row) whose output rows read at most
   * `maxTaps` consecutive source rows each; returns the row view the results are read from.
   */
  begin(codes: Uint8Array, width: number, maxTaps: number): Float32Array {
    const rowBytes = (width * 4 + 15) & ~15;
    this.codesAt = ROW + rowBytes;
    this.rows = maxTaps;
    const need = Math.ceil((this.codesAt + width * maxTaps * this.stride + 16) / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) this.memory.grow(need - have);
    new Float32Array(this.memory.buffer, TABLE, 256).set(this.table);
    this.width = width;
    this.codes = codes;
    this.loRows = 0;
    return new Float32Array(this.memory.buffer, ROW, width);
  }

  /** Bring source rows [first, first + count) into wasm memory (only the block's own rows are copied). */
  window(first: number, count: number): void {
    const ws = this.width * this.stride;
    new Uint8Array(this.memory.buffer, this.codesAt, count * ws).set(this.codes!.subarray(first * ws, (first + count) * ws));
    this.loFirst = first;
    this.loRows = Math.min(count, this.rows);
  }

  /** row = w * L(source row y) when `first`, else row += w * L(source row y); y within the window. */
  accumulate(y: number, w: number, first: boolean, row: Float32Array): void {
    const width = this.width;
    const body = width & ~3;
    const S = this.stride;
    const src = this.codesAt + (y - this.loFirst) * width * S;
    (first ? this.setRow : this.addRow)(src, body, w);
    const T = this.table, codes = this.codes!;
    for (let x = body, i = (y * width + body) * S; x < width; x++, i += S) row[x] = first ? T[codes[i]] * w : row[x] + T[codes[i]] * w;
  }
}

const cached = new Map<number, WebAssembly.Module | null>();

/** A row accumulator over `table` for codes `stride` bytes apart (1 or 3), or null without WebAssembly SIMD. */
export function simdRowAccumulator(table: Float32Array, stride = 3): SimdRowAccumulator | null {
  if (!cached.has(stride)) {
    let module: WebAssembly.Module | null = null;
    if (process.env.CHROMA_SIMD !== '0' && typeof WebAssembly !== 'undefined') {
      try {
        const bytes = kernels(stride);
        if (WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
      } catch {
        module = null;
      }
    }
    cached.set(stride, module);
  }
  const module = cached.get(stride);
  return module ? new SimdRowAccumulator(module, table, stride) : null;
}
