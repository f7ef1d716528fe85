// Lab -> sRGB composition in WebAssembly SIMD: four pixels per vector (f32x4, two vectors a step)
// for the Lab -> XYZ -> linear sRGB arithmetic, the sRGB encode through the same 65536-entry table
// as the JS path.
// About 3-4x the JS loop on one core. The module is generated at load time by wasm-asm.ts (no
// binary blobs); where WebAssembly SIMD is missing, `simdComposer()` returns null and callers
// keep the JS path.
//
// Memory: [0, 64 KiB) sRGB encode table; then fy and Y of each gray code, and of each luma value
// through the last Y -> code table (f32 x 256 each); then,
// per frame, the horizontally upsampled ab rows (hA, hB: abHeight x width f32), the strip's bytes
// (rgb24, composed in place), its L plane or code row and, for yuv420p output, its Y, U and V
// rows (yuv_pair converts the rgb24 strip while it is in cache, with the integer arithmetic of
// yuv.ts, so the bytes are the JS loop's; about 3x cheaper than that loop).
import { buildModule, op, I32, F32, V128, type Bytes, type FunctionDef } from './wasm-asm.js';
import { rgbToYuv420Rows, YUV420_FIXED } from './yuv.js';
import type { PixelFormat } from '../core/frames.js';
import { ENCODE_TABLE, FY_OF_GRAY_TABLE, Y_OF_GRAY_TABLE, LAB_TO_RGB, upsampleAbRows, composeLabPixel, type UpsampleMap } from './lab.js';

const ENC = 0;
const FYT = 65536;
const YT = FYT + 1024;
// The same two tables indexed by luma, through the frame's Y -> gray code table (row_ycodes).
const FYT_Y = YT + 1024;
const YT_Y = FYT_Y + 1024;
const DATA = YT_Y + 1024;
const PAGE = 65536;
/** Bytes of frame composed per strip (fits in a typical L2 cache with its ab rows). */
const STRIP_BYTES = 192 * 1024;
/** Groups of 4 pixels a step of the row kernels (2: about 5 % faster than 1 at 1080p; 4 no better; a power of 2). */
const UNROLL = 2;

const align16 = (n: number) => (n + 15) & ~15;

/**
 * row_gray(px, n, a0, a1, b0, b1, t): n pixels (a multiple of 4 x UNROLL) of a gray rgb24 row at px,
 * composed in place; a0/a1 (b0/b1) are the hA (hB) rows above and below, t the vertical weight.
 * row_float(lp, px, n, a0, a1, b0, b1, t): the same with L* from the f32 row at lp, written to px.
 * row_codes(cp, px, n, a0, a1, b0, b1, t): the same with gray codes one byte apart at cp.
 * row_ycodes(...): row_codes over luma bytes, whose codes are the Y -> code table's (its tables at FYT_Y, YT_Y).
 */
function kernels(): Uint8Array<ArrayBuffer> {
  const [S, K, L] = [ENCODE_TABLE.length - 1, LAB_TO_RGB.k, LAB_TO_RGB];
  const build = (source: 'gray' | 'float' | 'codes', fyAt = FYT, yAt = YT) => {
    const floatL = source === 'float';
    // Parameters: lp is the L row (float) or the code row (codes).
    let pi = 0;
    const lp = source !== 'gray' ? pi++ : -1;
    const px = pi++, n = pi++, a0 = pi++, a1 = pi++, b0 = pi++, b1 = pi++, t = pi++;
    const params = [...(source !== 'gray' ? [I32] : []), I32, I32, I32, I32, I32, I32, F32];
    // Locals.
    const locals: number[] = [];
    const local = (type: number) => (locals.push(type), pi + locals.length - 1);
    const end = local(I32);
    const c = {
      t: local(V128), knee: local(V128), off: local(V128), lin: local(V128), zero: local(V128), one: local(V128),
      scale: local(V128), half: local(V128), i116: local(V128), c16: local(V128),
      k: K.map(() => local(V128)),
    };
    const b: Bytes = [];
    const emit = (...xs: Bytes[]) => xs.forEach((x) => b.push(...x));
    const splat = (idx: number, value: number) => emit(op.f32(value), op.f32x4Splat, op.set(idx));
    emit(op.get(t), op.f32x4Splat, op.set(c.t));
    splat(c.knee, L.knee); splat(c.off, L.off); splat(c.lin, L.lin); splat(c.zero, 0); splat(c.one, 1);
    splat(c.scale, S); splat(c.half, 0.5); splat(c.i116, 1 / 116); splat(c.c16, 16 / 116);
    K.forEach((k, i) => splat(c.k[i], k));
    // end = px + n * 3
    emit(op.get(px), op.get(n), op.i32(3), op.i32Mul, op.i32Add, op.set(end));
    const bump = (idx: number, by: number) => emit(op.get(idx), op.i32(by), op.i32Add, op.set(idx));

    /**
     * The statements of one group of 4 pixels, `g` groups after the step's first, with locals of
     * its own: two groups a step, their statements interleaved, give the core two independent
     * chains side by side (each group's is long: gathers, f^-1, the matrix, the encode lookups).
     */
    const group = (g: number): Bytes[] => {
      const fy = local(V128), Y = local(V128), fx = local(V128), fz = local(V128), X = local(V128), Z = local(V128);
      const va = local(V128), R = local(V128), G = local(V128), B = local(V128), v = local(I32);
      const out: Bytes[] = [];
      const st = (...xs: Bytes[]) => out.push(xs.flat());
      // f^-1 with its knee: select(f > knee, f^3, (f - off) * lin), into `to`.
      const finv = (f: number, to: number) => st(
        op.get(f), op.get(f), op.f32x4Mul, op.get(f), op.f32x4Mul,
        op.get(f), op.get(c.off), op.f32x4Sub, op.get(c.lin), op.f32x4Mul,
        op.get(f), op.get(c.knee), op.f32x4Gt, op.bitselect, op.set(to),
      );
      const channel = (k0: number, k1: number, k2: number, to: number) => st(
        op.get(c.k[k0]), op.get(X), op.f32x4Mul, op.get(c.k[k1]), op.get(Y), op.f32x4Mul, op.f32x4Add,
        op.get(c.k[k2]), op.get(Z), op.f32x4Mul, op.f32x4Add,
        op.get(c.zero), op.f32x4Max, op.get(c.one), op.f32x4Min, op.get(c.scale), op.f32x4Mul, op.get(c.half), op.f32x4Add,
        op.i32x4TruncSatF32x4S, op.set(to),
      );
      if (floatL) {
        // fy = (L + 16) / 116, Y = f^-1(fy)
        st(op.get(lp), op.v128Load(16 * g), op.get(c.i116), op.f32x4Mul, op.get(c.c16), op.f32x4Add, op.set(fy));
        finv(fy, Y);
      } else {
        // Gather fy and Y of the four gray codes from their tables.
        for (let lane = 0; lane < 4; lane++) {
          if (source === 'codes') st(op.get(lp), op.u8Load(4 * g + lane), op.i32(2), op.i32Shl, op.set(v));
          else st(op.get(px), op.u8Load(12 * g + 3 * lane), op.i32(2), op.i32Shl, op.set(v));
          if (lane === 0) {
            st(op.get(v), op.f32Load(fyAt), op.f32x4Splat, op.set(fy));
            st(op.get(v), op.f32Load(yAt), op.f32x4Splat, op.set(Y));
          } else {
            st(op.get(fy), op.get(v), op.f32Load(fyAt), op.f32x4ReplaceLane(lane), op.set(fy));
            st(op.get(Y), op.get(v), op.f32Load(yAt), op.f32x4ReplaceLane(lane), op.set(Y));
          }
        }
      }
      // fx = fy + lerp(a0, a1, t); fz = fy - lerp(b0, b1, t)
      const at = 16 * g;
      st(op.get(a0), op.v128Load(at), op.tee(va), op.get(a1), op.v128Load(at), op.get(va), op.f32x4Sub, op.get(c.t), op.f32x4Mul, op.f32x4Add,
        op.get(fy), op.f32x4Add, op.set(fx));
      st(op.get(fy), op.get(b0), op.v128Load(at), op.tee(va), op.get(b1), op.v128Load(at), op.get(va), op.f32x4Sub, op.get(c.t), op.f32x4Mul, op.f32x4Add,
        op.f32x4Sub, op.set(fz));
      finv(fx, X);
      finv(fz, Z);
      channel(0, 1, 2, R);
      channel(3, 4, 5, G);
      channel(6, 7, 8, B);
      for (let lane = 0; lane < 4; lane++) {
        [R, G, B].forEach((vecIdx, ch) => st(op.get(px), op.get(vecIdx), op.i32x4ExtractLane(lane), op.u8Load(ENC), op.u8Store(12 * g + 3 * lane + ch)));
      }
      return out;
    };

    emit(op.block, op.loop);
    emit(op.get(px), op.get(end), op.i32GeU, op.brIf(1));
    const groups = Array.from({ length: UNROLL }, (_, g) => group(g));
    for (let i = 0; i < groups[0].length; i++) for (const gs of groups) emit(gs[i]);
    bump(px, 12 * UNROLL);
    if (floatL) bump(lp, 16 * UNROLL);
    if (source === 'codes') bump(lp, 4 * UNROLL);
    for (const p of [a0, a1, b0, b1]) bump(p, 16 * UNROLL);
    emit(op.br(0), op.end, op.end);
    return { params, locals, body: b };
  };
  const g = build('gray'), f = build('float'), c = build('codes'), yc = build('codes', FYT_Y, YT_Y);
  return buildModule([
    { name: 'row_gray', params: g.params, results: [], locals: g.locals, body: g.body },
    { name: 'row_float', params: f.params, results: [], locals: f.locals, body: f.body },
    { name: 'row_codes', params: c.params, results: [], locals: c.locals, body: c.body },
    { name: 'row_ycodes', params: yc.params, results: [], locals: yc.locals, body: yc.body },
    { name: 'yuv_pair', ...yuvPair() },
  ], 2);
}

/**
 * yuv_pair(p0, p1, y0, y1, u, v, n): two rgb24 rows at p0 and p1 as yuv420p, their Y rows to y0
 * and y1, their chroma row to u and v; n pixels, a multiple of 8. The integer arithmetic of
 * rgbToYuv420Rows (yuv.ts) in i32 lanes, so the bytes are the same. Reads 4 bytes past each row's
 * n pixels.
 */
function yuvPair(): Omit<FunctionDef, 'name'> {
  const k = YUV420_FIXED;
  const [p0, p1, y0, y1, u, v, n] = [0, 1, 2, 3, 4, 5, 6];
  const locals: number[] = [];
  const local = (type: number) => (locals.push(type), 7 + locals.length - 1);
  const end = local(I32);
  const [mRB, mG] = [local(V128), local(V128)];
  // R and B go through i16 pair products (i32x4.dot_i16x8_s: r x cR + b x cB a lane; every
  // coefficient but Y's green fits in i16), G through i32 products.
  const [cYRB, cYG, cYBias, cURB, cUG, cVRB, cVG, cCBias] = Array.from({ length: 8 }, () => local(V128));
  const [RB, G, pixels] = [local(V128), local(V128), local(V128)];
  // Per 4-pixel group (A: pixels 0-3 of the 8, B: 4-7): row 0 + row 1 sums of the (R, B) pairs and of G.
  const [sRBA, sGA, sRBB, sGB] = Array.from({ length: 4 }, () => local(V128));
  const [yA0, yB0, yA1, yB1] = Array.from({ length: 4 }, () => local(V128));
  const [sRB, sG, out] = [local(V128), local(V128), local(V128)];
  const b: Bytes = [];
  const emit = (...xs: Bytes[]) => xs.forEach((x) => b.push(...x));
  const splat = (idx: number, value: number) => emit(op.i32(value), op.i32x4Splat, op.set(idx));
  // The i16 pair (lo, hi) in every i32 lane.
  const pair = (lo: number, hi: number) => ((lo & 0xffff) | (hi << 16)) | 0;
  // Of each of 4 packed pixels: R and B into the low bytes of two i16 lanes; G into the low byte
  // of an i32 lane (index 0x80: zero).
  const mRBBytes = Array.from({ length: 16 }, (_, i) => (i % 2 ? 0x80 : 3 * (i >> 2) + ((i >> 1) & 1) * 2));
  const mGBytes = Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 3 * (i / 4) + 1 : 0x80));
  emit(op.v128Const(mRBBytes), op.set(mRB), op.v128Const(mGBytes), op.set(mG));
  splat(cYRB, pair(k.yr, k.yb)); splat(cYG, k.yg); splat(cYBias, k.yBias);
  splat(cURB, pair(k.ur, k.ub)); splat(cUG, k.ug); splat(cVRB, pair(k.vr, k.vb)); splat(cVG, k.vg); splat(cCBias, k.cBias);
  emit(op.get(p0), op.get(n), op.i32(3), op.i32Mul, op.i32Add, op.set(end));
  // The 4 pixels at row + offset: their (R, B) pairs and G into their locals, Y of them into `yOut`.
  const group = (row: number, offset: number, yOut: number) => {
    emit(op.get(row), op.v128Load(offset), op.set(pixels));
    emit(op.get(pixels), op.get(mRB), op.i8x16Swizzle, op.set(RB), op.get(pixels), op.get(mG), op.i8x16Swizzle, op.set(G));
    emit(
      op.get(RB), op.get(cYRB), op.i32x4DotI16x8S, op.get(G), op.get(cYG), op.i32x4Mul, op.i32x4Add,
      op.get(cYBias), op.i32x4Add, op.i32(16), op.i32x4ShrU, op.set(yOut),
    );
  };
  // Row sums: (R, B) pairs in i16 lanes (at most 510), G in i32 lanes.
  const accumulate = (first: boolean, sRBx: number, sGx: number) => {
    if (first) emit(op.get(RB), op.set(sRBx), op.get(G), op.set(sGx));
    else emit(op.get(sRBx), op.get(RB), op.i16x8Add, op.set(sRBx), op.get(sGx), op.get(G), op.i32x4Add, op.set(sGx));
  };
  // i32 lanes 0+1 and 2+3 of group A, then of group B: the 2x2 sums of 4 chroma samples (for the
  // (R, B) pairs each i16 lane with its own: at most 1020).
  const lanes = (odd: number) => Array.from({ length: 16 }, (_, i) => 8 * ((i >> 2) & 1) + 16 * (i >> 3) + 4 * odd + (i & 3));
  const pairSum = (a: number, bb: number, add: Bytes, to: number) => emit(
    op.get(a), op.get(bb), op.i8x16Shuffle(lanes(0)), op.get(a), op.get(bb), op.i8x16Shuffle(lanes(1)), add, op.set(to),
  );
  const chroma = (crb: number, cg: number) => emit(
    op.get(sRB), op.get(crb), op.i32x4DotI16x8S, op.get(sG), op.get(cg), op.i32x4Mul, op.i32x4Add,
    op.get(cCBias), op.i32x4Add, op.i32(18), op.i32x4ShrS,
  );
  const bump = (idx: number, by: number) => emit(op.get(idx), op.i32(by), op.i32Add, op.set(idx));

  emit(op.block, op.loop);
  emit(op.get(p0), op.get(end), op.i32GeU, op.brIf(1));
  group(p0, 0, yA0); accumulate(true, sRBA, sGA);
  group(p0, 12, yB0); accumulate(true, sRBB, sGB);
  group(p1, 0, yA1); accumulate(false, sRBA, sGA);
  group(p1, 12, yB1); accumulate(false, sRBB, sGB);
  // Y: 8 bytes a row (the values are 16-235: the unsigned narrowing keeps them).
  emit(op.get(y0), op.get(yA0), op.get(yB0), op.i16x8NarrowI32x4U, op.tee(out), op.get(out), op.i8x16NarrowI16x8U, op.v128Store64Lane(0));
  emit(op.get(y1), op.get(yA1), op.get(yB1), op.i16x8NarrowI32x4U, op.tee(out), op.get(out), op.i8x16NarrowI16x8U, op.v128Store64Lane(0));
  pairSum(sRBA, sRBB, op.i16x8Add, sRB); pairSum(sGA, sGB, op.i32x4Add, sG);
  // U and V: 4 bytes each, from one vector (bytes 0-3 U, 4-7 V).
  chroma(cURB, cUG);
  chroma(cVRB, cVG);
  emit(op.i16x8NarrowI32x4U, op.tee(out), op.get(out), op.i8x16NarrowI16x8U, op.set(out));
  emit(op.get(u), op.get(out), op.v128Store32Lane(0), op.get(v), op.get(out), op.v128Store32Lane(1));
  bump(p0, 24); bump(p1, 24); bump(y0, 8); bump(y1, 8); bump(u, 4); bump(v, 4);
  emit(op.br(0), op.end, op.end);
  return { params: [I32, I32, I32, I32, I32, I32, I32], results: [], locals, body: b };
}

type RowGray = (px: number, n: number, a0: number, a1: number, b0: number, b1: number, t: number) => void;
type RowFloat = (lp: number, px: number, n: number, a0: number, a1: number, b0: number, b1: number, t: number) => void;
type YuvPair = (p0: number, p1: number, y0: number, y1: number, u: number, v: number, n: number) => void;

export interface SimdComposerOptions {
  /** rgb24 -> yuv420p in the module (true), or through the JS loop of yuv.ts (the same bytes; for benches). Default true. */
  yuvKernel?: boolean;
}

export class SimdComposer {
  private readonly memory: WebAssembly.Memory;
  private readonly rowGray: RowGray;
  private readonly rowFloat: RowFloat;
  private readonly rowCodes: RowFloat;
  private readonly rowYCodes: RowFloat;
  /** The Y -> code table whose tables are at FYT_Y and YT_Y (a copy), or null before the first. */
  private yTables: Uint8Array | null = null;
  private readonly yuvPair: YuvPair | null;

  constructor(module: WebAssembly.Module, options: SimdComposerOptions = {}) {
    this.memory = new WebAssembly.Memory({ initial: 2 });
    const inst = new WebAssembly.Instance(module, { env: { mem: this.memory } });
    this.rowGray = inst.exports.row_gray as RowGray;
    this.rowFloat = inst.exports.row_float as RowFloat;
    this.rowCodes = inst.exports.row_codes as RowFloat;
    this.rowYCodes = inst.exports.row_ycodes as RowFloat;
    this.yuvPair = options.yuvKernel === false ? null : (inst.exports.yuv_pair as YuvPair);
    const u8 = new Uint8Array(this.memory.buffer);
    u8.set(ENCODE_TABLE, ENC);
    new Float32Array(this.memory.buffer, FYT, 256).set(FY_OF_GRAY_TABLE);
    new Float32Array(this.memory.buffer, YT, 256).set(Y_OF_GRAY_TABLE);
  }

  /** The gray tables indexed by luma through `yToCode`, written once per table (tasks bring copies: compared by content). */
  private useYTables(yToCode: Uint8Array): void {
    const last = this.yTables;
    if (last && last.every((c, i) => c === yToCode[i])) return;
    const fy = new Float32Array(this.memory.buffer, FYT_Y, 256), Y = new Float32Array(this.memory.buffer, YT_Y, 256);
    for (let i = 0; i < 256; i++) {
      fy[i] = FY_OF_GRAY_TABLE[yToCode[i]];
      Y[i] = Y_OF_GRAY_TABLE[yToCode[i]];
    }
    this.yTables = Uint8Array.from(yToCode);
  }

  private ensure(bytes: number): void {
    const need = Math.ceil((DATA + bytes) / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) this.memory.grow(need - have);
  }

  /**
   * composeLab into `out` (rgb24, or yuv420p when `outFmt` says so): from gray codes (`rgb` with
   * R = G = B, or one byte a pixel when `codeStride` is 1; `L` null) or from an L plane. `out` may
   * be `rgb` (rgb24 only). Only rows [from, to) when given (a band: the pixels are independent; for
   * yuv420p `from` and `to` even or the height). With `yToCode` (one byte a pixel only), the bytes
   * are luma and the codes are `yToCode[Y]`.
   */
  compose(
    L: Float32Array | null, rgb: Uint8Array | null, ab: Float32Array, abWidth: number, abHeight: number,
    width: number, height: number, map: UpsampleMap, out: Uint8Array, from = 0, to = height, outFmt: PixelFormat = 'rgb24',
    codeStride: 1 | 3 = 3, yToCode: Uint8Array | null = null,
  ): void {
    // The frame goes through in strips of rows small enough to stay in cache: copied in, composed
    // in place, copied out (as yuv420p: converted on the way out, rows in pairs, by the module's
    // yuv_pair into Y, U and V strips, then copied out).
    const rowBytes = width * 3;
    const yuv = outFmt === 'yuv420p';
    let strip = Math.max(1, Math.min(height, Math.floor(STRIP_BYTES / rowBytes)));
    if (yuv) strip = Math.max(2, strip & ~1);
    const hBytes = abHeight * width * 4;
    const HA = DATA, HB = HA + align16(hBytes), FRAME = HB + align16(hBytes);
    // 16 bytes past the strip: yuv_pair reads a little past its last pixels.
    const LP = FRAME + align16(strip * rowBytes + 16);
    const packed = !L && codeStride === 1;
    const viaY = packed && yToCode !== null;
    if (viaY) this.useYTables(yToCode!);
    const YO = LP + align16(L ? strip * width * 4 : packed ? strip * width : 0);
    const cw = width >> 1, UO = YO + align16(strip * width), VO = UO + align16((strip >> 1) * cw);
    this.ensure((yuv && this.yuvPair ? VO + align16((strip >> 1) * cw) : YO) - DATA);
    const buf = this.memory.buffer;
    const hA = new Float32Array(buf, HA, abHeight * width), hB = new Float32Array(buf, HB, abHeight * width);
    if (to <= from) return;
    // Only the ab rows this band's pixels interpolate between.
    upsampleAbRows(ab, abWidth, abHeight, width, map, hA, hB, map.y0[from], map.y1[to - 1] + 1);
    const mem = new Uint8Array(buf);
    const lMem = L ? new Float32Array(buf, LP, strip * width) : null;
    const cMem = packed ? new Uint8Array(buf, LP, strip * width) : null;
    const { y0, y1, wy } = map;
    const body = width & ~(4 * UNROLL - 1);
    const yuvPair = this.yuvPair, yuvBody = yuvPair ? width & ~7 : 0;
    const uPlane = width * height, vPlane = uPlane + cw * (height >> 1);
    for (let first = from; first < to; first += strip) {
      const rows = Math.min(strip, to - first);
      const from = first * rowBytes, bytes = rows * rowBytes;
      if (L) lMem!.set(L.subarray(first * width, (first + rows) * width));
      else if (packed) cMem!.set(rgb!.subarray(first * width, (first + rows) * width));
      else mem.set(rgb!.subarray(from, from + bytes), FRAME);
      for (let r = 0; r < rows; r++) {
        const y = first + r;
        const r0 = y0[y] * width * 4, r1 = y1[y] * width * 4, t = wy[y];
        const px = FRAME + r * rowBytes;
        if (L) this.rowFloat(LP + r * width * 4, px, body, HA + r0, HA + r1, HB + r0, HB + r1, t);
        else if (packed) (viaY ? this.rowYCodes : this.rowCodes)(LP + r * width, px, body, HA + r0, HA + r1, HB + r0, HB + r1, t);
        else this.rowGray(px, body, HA + r0, HA + r1, HB + r0, HB + r1, t);
        // The last pixels of the row (past the kernel's steps), in JS.
        for (let x = body; x < width; x++) {
          const i0 = y0[y] * width + x, i1 = y1[y] * width + x;
          const fa = hA[i0] + (hA[i1] - hA[i0]) * t, fb = hB[i0] + (hB[i1] - hB[i0]) * t;
          const q = px + 3 * x;
          const code = packed ? (viaY ? yToCode![cMem![r * width + x]] : cMem![r * width + x]) : mem[q];
          composeLabPixel(L ? L[y * width + x] : null, code, fa, fb, mem, q);
        }
      }
      if (!yuv) {
        out.set(mem.subarray(FRAME, FRAME + bytes), from);
        continue;
      }
      if (yuvPair && yuvBody) {
        for (let r = 0; r < rows; r += 2) {
          const px = FRAME + r * rowBytes, c = (r >> 1) * cw;
          yuvPair(px, px + rowBytes, YO + r * width, YO + (r + 1) * width, UO + c, VO + c, yuvBody);
        }
        const crows = (rows >> 1) * cw, c0 = (first >> 1) * cw;
        out.set(mem.subarray(YO, YO + rows * width), first * width);
        out.set(mem.subarray(UO, UO + crows), uPlane + c0);
        out.set(mem.subarray(VO, VO + crows), vPlane + c0);
      }
      // The last width % 8 columns (all of them without the kernel), in JS, after the copies.
      if (yuvBody < width) rgbToYuv420Rows(mem, FRAME, width, height, first, rows, out, yuvBody);
    }
  }
}

let cached: SimdComposer | null | undefined;

/** The process's SIMD composer, or null where WebAssembly SIMD is unavailable (or CHROMA_SIMD=0). */
export function simdComposer(): SimdComposer | null {
  if (cached !== undefined) return cached;
  cached = process.env.CHROMA_SIMD === '0' ? null : newSimdComposer();
  return cached;
}

/** A composer of its own (benches compare its options), or null where WebAssembly SIMD is unavailable. */
export function newSimdComposer(options: SimdComposerOptions = {}): SimdComposer | null {
  if (typeof WebAssembly === 'undefined') return null;
  try {
    const bytes = kernels();
    return WebAssembly.validate(bytes) ? new SimdComposer(new WebAssembly.Module(bytes), options) : null;
  } catch {
    return null;
  }
}
