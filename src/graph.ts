// The `chroma/graph` subpath: the colour graph and its stages, for callers who build their own
// pipelines (a frame source of their own, a different sink). Each stage is an RxJS operator over
// the frame records of src/core/frames.ts.
export { colorGraph } from './graph/color-graph.js';
export type { GraphOptions, GraphHooks, GraphPoint, AbStage } from './graph/color-graph.js';
export type { RawFrame, LFrame, ModelFrame, AbFrame, ColorFrame } from './core/frames.js';
export { FlowGate, defaultGateLimit } from './core/flow-gate.js';
export { StageTimer } from './core/stage-timer.js';
export type { StageName } from './core/stage-timer.js';
export { loadModel } from './model/load-model.js';
export type { LoadedModel, ModelInfo, ModelKind } from './core/model-contract.js';
export { META_KEYS, DEFAULT_MODEL_INFO } from './core/model-contract.js';

export { decodeFrames } from './operators/decode-frames.js';
export type { DecodeOptions } from './operators/decode-frames.js';
export { extractL } from './operators/extract-l.js';
export { resizeForModel } from './operators/resize-for-model.js';
export type { ResizeOptions } from './operators/resize-for-model.js';
export { batchFrames } from './operators/batch-frames.js';
export type { BatchOptions } from './operators/batch-frames.js';
export { inferBatch } from './operators/infer-batch.js';
export type { InferBatchOptions, InferredBatch } from './operators/infer-batch.js';
export { annealedMeanAb } from './operators/annealed-mean-ab.js';
export { composeFrames } from './operators/compose-frames.js';
export { encodeFrames } from './operators/encode-frames.js';
export type { EncodeFramesOptions } from './operators/encode-frames.js';
export { smoothAb } from './operators/smooth-ab.js';
export { AbSmoother } from './smoothing/smoother.js';
export { SMOOTH_PRESETS, SMOOTH_DEFAULTS, DEFAULT_VIDEO_SMOOTH, DEFAULT_STILL_SMOOTH, smoothingAlpha } from './smoothing/options.js';
export type { SmoothOptions, SmoothStrength, SmoothPreset, SmoothMode, SmoothMotion } from './smoothing/options.js';
export { restoreStage, restoreHold } from './graph/restore-stage.js';
export type { LStage, RestoreStageOptions, RestoreEvents } from './graph/restore-stage.js';
export { restoreFlicker } from './operators/restore-flicker.js';
export type { RestoreFlickerOptions } from './operators/restore-flicker.js';
export { restoreMotion } from './operators/restore-motion.js';
export type { RestoreMotionOptions } from './operators/restore-motion.js';
export { restoreDust } from './operators/restore-dust.js';
export type { RestoreDustOptions } from './operators/restore-dust.js';
export { restoreGrain } from './operators/restore-grain.js';
export type { RestoreGrainOptions } from './operators/restore-grain.js';
export { restoreScratches } from './operators/restore-scratches.js';
export type { RestoreScratchesOptions } from './operators/restore-scratches.js';
export { restorePreview } from './operators/restore-preview.js';
export type { RestorePreviewOptions } from './operators/restore-preview.js';
export { FilmDamage } from './restore/synthetic-damage.js';
export type { DamageOptions, DamageTruth } from './restore/synthetic-damage.js';
export { probeMedia } from './media/probe.js';
export type { MediaInfo } from './media/probe.js';
