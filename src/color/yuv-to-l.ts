// L* of a yuv420p frame whose chroma is not neutral, with the values of yuv420ToRgbRows then
// rgbToL. Film that is black and white in all but its file (chroma 127 instead of 128, a faint
// tint) has a handful of distinct chroma pairs, and for one pair L* depends on Y' alone: so each
// pair seen gets a 256-entry table of L* by Y' (made by that same conversion on a 256-pixel row,
// once), and a pixel costs one lookup instead of the conversion (0.14x its CPU on a tinted frame,
// bench/pixel-stages.ts --stages ltint). A source with more pairs than the tables hold (a colour
// film) takes the conversion itself; every RETRY_AFTER such calls the tables are emptied and tried
// again, so a thread that served a colour film serves the next, tinted, one from tables.
import { rgbToL } from './lab.js';
import { yuv420ToRgbRows } from './yuv.js';
import type { YuvMatrix } from '../core/frames.js';

/** Most chroma pairs given a table (1 KiB each); past them the source is colour and converted pixel by pixel. */
export const MAX_CHROMA_TABLES = 1024;
/** Calls converted pixel by pixel before the full tables are emptied for another try. */
export const RETRY_AFTER = 100;

export class YuvToL {
  /** Table index of each chroma pair (Cb << 8 | Cr), -1 for none yet. */
  private readonly slotOf = new Int32Array(65536).fill(-1);
  private tables = new Float32Array(256 * 16);
  private used = 0;
  private matrix: YuvMatrix | null = null;
  private converted = 0;
  /** A 256x2 yuv420p frame whose Y' rows are 0..255, for making one pair's table (its chroma set per pair). */
  private readonly probe = Uint8Array.from({ length: 256 * 2 + 128 * 2 }, (_, i) => i & 255);
  private readonly probeRgb = new Uint8Array(256 * 2 * 3);
  /** rgb24 rows on the way to L* when the tables are full. */
  private scratch = new Uint8Array(0);

  /** L* of rows [from, to) (from even) of the frame into `out`, at the rows' own offsets. */
  rows(yuv: Uint8Array, width: number, height: number, matrix: YuvMatrix, from: number, to: number, out: Float32Array): void {
    if (matrix !== this.matrix || (this.used >= MAX_CHROMA_TABLES && this.converted >= RETRY_AFTER)) this.reset(matrix);
    if (this.used < MAX_CHROMA_TABLES && this.byTables(yuv, width, height, from, to, out)) return;
    this.converted++;
    this.convert(yuv, width, height, matrix, from, to, out);
  }

  /** Chroma pairs with a table now (a figure for tests). */
  get tableCount(): number {
    return this.used;
  }

  private reset(matrix: YuvMatrix): void {
    this.matrix = matrix;
    this.slotOf.fill(-1);
    this.used = 0;
    this.converted = 0;
  }

  /** False (rows unfinished) when a new chroma pair finds no table left. */
  private byTables(yuv: Uint8Array, width: number, height: number, from: number, to: number, out: Float32Array): boolean {
    const cw = width >> 1, u0 = width * height, v0 = u0 + cw * (height >> 1);
    const slotOf = this.slotOf;
    let tables = this.tables;
    for (let y = from; y < to; y++) {
      const c = (y >> 1) * cw, row = y * width;
      let last = -1, base = 0;
      for (let x = 0; x < width; x++) {
        const ci = c + (x >> 1), key = (yuv[u0 + ci] << 8) | yuv[v0 + ci];
        if (key !== last) {
          let slot = slotOf[key];
          if (slot < 0) {
            if (this.used >= MAX_CHROMA_TABLES) return false;
            slot = this.addTable(key);
            tables = this.tables;
          }
          last = key;
          base = slot << 8;
        }
        out[row + x] = tables[base | yuv[row + x]];
      }
    }
    return true;
  }

  private addTable(key: number): number {
    const slot = this.used++;
    if (this.tables.length < this.used * 256) {
      const grown = new Float32Array(Math.min(MAX_CHROMA_TABLES, this.used * 2) * 256);
      grown.set(this.tables);
      this.tables = grown;
    }
    const p = this.probe;
    p.fill(key >> 8, 512, 640);
    p.fill(key & 255, 640, 768);
    yuv420ToRgbRows(p, 256, 2, this.matrix!, 0, 1, this.probeRgb);
    rgbToL(this.probeRgb, this.tables.subarray(slot << 8, (slot + 1) << 8), 256);
    this.slotOf[key] = slot;
    return slot;
  }

  private convert(yuv: Uint8Array, width: number, height: number, matrix: YuvMatrix, from: number, to: number, out: Float32Array): void {
    const need = height * width * 3;
    if (this.scratch.length < need) this.scratch = new Uint8Array(need);
    yuv420ToRgbRows(yuv, width, height, matrix, from, to, this.scratch);
    rgbToL(this.scratch.subarray(from * width * 3, to * width * 3), out.subarray(from * width, to * width), (to - from) * width);
  }
}
