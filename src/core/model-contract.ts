// The model contract: what an ONNX file must be for chroma to run it.
//
//   input  : the first graph input, float32 N x 1 x H x W, the CIE L plane normalised as
//            (L - lOffset) * lScale. H and W are multiples of `sizeMultiple`.
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
  /** Model input H and W must be multiples of this. */
  sizeMultiple: number;
  /** Output ab is multiplied by this (kind "ab" only). */
  abScale: number;
  /** Human-readable name. */
  name: string;
}

/** ONNX metadata_props keys (strings). */
export const META_KEYS = {
  kind: 'chroma.kind',
  lOffset: 'chroma.l_offset',
  lScale: 'chroma.l_scale',
  trainSize: 'chroma.train_size',
  sizeMultiple: 'chroma.size_multiple',
  abScale: 'chroma.ab_scale',
  name: 'chroma.name',
} as const satisfies Record<keyof ModelInfo, string>;

export const DEFAULT_MODEL_INFO: Omit<ModelInfo, 'kind' | 'name'> = {
  lOffset: 50,
  lScale: 0.01,
  trainSize: 256,
  sizeMultiple: 8,
  abScale: 1,
};

/**
 * A model ready to run (made by loadModel in src/model): the session and the names of its first
 * input and output. A second input (user hints) would be one more optional name here.
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
  /** Intra-op threads asked for (undefined: the default); the inference worker uses the same. */
  threads?: number;
  release(): Promise<void>;
}
