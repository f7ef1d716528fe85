// The frame records that flow through a pipeline (source, colour graph, sink). Each stage adds
// fields; nothing is copied between stages, so a frame's planes are owned by whichever stage holds
// the record.

/** A decoded frame: packed sRGB, 3 bytes a pixel, row-major (or yuv420p planes, `yuv`). */
export interface RawFrame {
  /** 0-based index in decode order. */
  index: number;
  /** Presentation time in seconds (from the source's timestamps), or null when unknown. */
  pts: number | null;
  width: number;
  height: number;
  /** width * height * 3 bytes (rgb24). For a frame decoded as yuv420p, made from `yuv` when first read. */
  rgb: Buffer;
  /** Set on frames decoded as yuv420p (file jobs whose encoder takes yuv420p too). Default: absent (rgb24). */
  yuv?: YuvPlanes;
}

/** The matrix of a tv-range Y'CbCr source: BT.709 when tagged so, else BT.601 (ffmpeg's default). */
export type YuvMatrix = 'bt601' | 'bt709';

/** A decoded yuv420p frame's bytes and how to read them. */
export interface YuvPlanes {
  /** Y (width x height), then Cb and Cr (half width and height): frameBytes('yuv420p', ...) bytes. */
  planes: Buffer;
  /** Y -> the rgb24 gray code ffmpeg's rgb24 decoder gives a pixel with neutral chroma (media/gray-codes.ts). */
  codes: Uint8Array;
  matrix: YuvMatrix;
  /** Set once the chroma was found neutral: the frame is then the gray codes of its Y values (`codes[Y]`). */
  gray: boolean;
}

/** After L extraction: CIE L (0..100) at full resolution. */
export interface LFrame extends RawFrame {
  /** width * height, CIE L* in [0, 100]. */
  L: Float32Array;
  /** True when every pixel had R = G = B (the exact gray fast path was taken). */
  gray: boolean;
}

/** After resizing for the model: the network's input plane, already normalised per the model contract. */
export interface ModelFrame extends LFrame {
  modelWidth: number;
  modelHeight: number;
  /** modelWidth * modelHeight, normalised as (L - lOffset) * lScale. */
  modelInput: Float32Array;
  /** modelWidth * modelHeight, plain CIE L at model resolution (for smoothing and scene cuts). */
  modelL: Float32Array;
  /**
   * User hints for this frame as the model's hint planes (3 x modelWidth x modelHeight: a/110, b/110,
   * mask - 0.5; see core/model-contract.ts), set by the hints stage. Absent: no hints.
   */
  modelHints?: Float32Array;
  /** True on the hint-free copy of a hinted frame that the unhinted pass sends through the net (operators/pair-unhinted.ts). */
  unhintedTwin?: boolean;
}

/** After inference (and annealed-mean decoding when the model outputs logits): ab at model-output resolution. */
export interface AbFrame extends ModelFrame {
  abWidth: number;
  abHeight: number;
  /** Planar: a in [0, abW*abH), then b. CIE a*, b* units. */
  ab: Float32Array;
  /** On a hinted frame when the unhinted pass ran: the net's ab for it without hints, same layout as `ab`. */
  unhintedAb?: Float32Array;
}

/**
 * The layouts of frame bytes in a pipe: packed sRGB (3 bytes a pixel), or planar BT.709 tv-range
 * Y'CbCr 4:2:0 (the Y plane, then Cb and Cr at half width and height; even sizes only).
 */
export type PixelFormat = 'rgb24' | 'yuv420p';

/** Bytes of one width x height frame in `format`. */
export function frameBytes(format: PixelFormat, width: number, height: number): number {
  return format === 'rgb24' ? width * height * 3 : width * height + 2 * (width >> 1) * (height >> 1);
}

/** After composition: the colour frame at full resolution. */
export interface ColorFrame extends AbFrame {
  /** The colour frame's bytes: width * height * 3 (rgb24), or yuv420p when `outFormat` says so. */
  out: Buffer;
  /** The layout of `out`. Default (absent): rgb24. */
  outFormat?: PixelFormat;
}

/** Progress reported by a running job. */
export interface Progress {
  /** Frames written so far. */
  frames: number;
  /** Total frames when known (from the container), else null. */
  total: number | null;
  /** Encoded seconds of the output so far. */
  seconds: number;
  /** Frames per second over the job so far. */
  fps: number;
  /** Estimated seconds left, or null when the total is unknown. */
  etaSeconds: number | null;
}
