// The model contract: what an ONNX file must be for chroma to run it.
//
//   input  : the ONNX graph's first input, float32 N x 1 x H x W, the CIE L plane normalised as
//            (L - lOffset) * lScale. H and W are multiples of `sizeMultiple`.
//   hints  : optional second input named `hints`, float32 N x 3 x H x W: the hint planes as in
//            SIGGRAPH17 (hint a / 110, hint b / 110, mask - 0.5; a frame without hints is 0, 0, -0.5).
//            A model with it takes --hints; without it, it is an automatic colorizer only.
//   output : the first graph output, float32, either
//            - kind "logits313": N x 313 x h x w logits over the ECCV16 ab bins (AB_BINS_313 order),
//              at reduced resolution (h <= H, w <= W; the reference net uses H/4); decoded by the
//              annealed mean; or
//            - kind "ab": N x 2 x h x w, CIE a*, b* (multiplied by abScale) at any resolution <= input.
//   metadata: ONNX metadata_props with the keys below, or a sidecar JSON next to the model
//            (`model.onnx.json` or `model.json`) with the camelCase names. The sidecar wins.

import type * as ort from 'onnxruntime-node';

export type ModelKind = 'logits313' | 'ab';

export interface ModelInfo {
  kind: ModelKind;
  /** Input normalisation: x = (L - lOffset) * lScale. */
  lOffset: number;
  lScale: number;
  /** Short side the net was trained at; the default --size. */
  trainSize: number;
  /**
   * Short side the live server runs it at unless told (`serve --size`): the training size unless
   * the model says less, as the built-in one does to keep a 640x480 camera at 15 fps on 2 cores.
   */
  liveSize: number;
  /** Model input H and W must be multiples of this. */
  sizeMultiple: number;
  /** Output ab is multiplied by this (kind "ab" only). */
  abScale: number;
  /** Human-readable name. */
  name: string;
  /** True when the model has the `hints` input (user-guided colorization). */
  hints: boolean;
}

/** ONNX metadata_props keys (strings). */
export const META_KEYS = {
  kind: 'chroma.kind',
  lOffset: 'chroma.l_offset',
  lScale: 'chroma.l_scale',
  trainSize: 'chroma.train_size',
  liveSize: 'chroma.live_size',
  sizeMultiple: 'chroma.size_multiple',
  abScale: 'chroma.ab_scale',
  name: 'chroma.name',
  hints: 'chroma.hints',
} as const satisfies Record<keyof ModelInfo, string>;

/** Name of the optional hint-planes input. */
export const HINTS_INPUT = 'hints';

/** Hint planes of a frame without hints (3 x h x w: a 0, b 0, mask - 0.5 = -0.5), written into `out` when given. */
export function noHintPlanes(w: number, h: number, out = new Float32Array(3 * w * h)): Float32Array {
  out.fill(0, 0, 2 * w * h);
  out.fill(-0.5, 2 * w * h, 3 * w * h);
  return out;
}

export const DEFAULT_MODEL_INFO: Omit<ModelInfo, 'kind' | 'name' | 'hints' | 'liveSize'> = {
  lOffset: 50,
  lScale: 0.01,
  trainSize: 256,
  sizeMultiple: 8,
  abScale: 1,
};

/**
 * A model ready to run (made by loadModel in src/model): the session and the names of its first
 * input and output, and of its hint input when it has one.
 */
export interface LoadedModel {
  path: string;
  info: ModelInfo;
  provider: 'cuda' | 'cpu';
  session: ort.InferenceSession;
  /** The annealed-mean graph (kind logits313 only). */
  annealer: ort.InferenceSession | null;
  inputName: string;
  outputName: string;
  /** The `hints` input's name, or null for an automatic-only model. */
  hintsName: string | null;
  /** Intra-op threads asked for (undefined: the default); the inference worker uses the same. */
  threads?: number;
  release(): Promise<void>;
}
