// chroma's user API: colorize files, stills and folders, serve a live stream, measure results,
// manage models. The CLI is a thin layer over these. The graph's stages, for building your own
// pipelines, are the `chroma/graph` subpath (src/graph.ts).
export { Colorizer, colorize, VIDEO_EXTENSIONS, isImagePath } from './colorizer.js';
export type { ColorizerOptions, ColorizeOptions, ColorizeResult, DirectoryEntryResult, Job } from './colorizer.js';
export type { VideoJobOptions } from './jobs/video-job.js';
export type { ResumeOptions } from './jobs/resumable-job.js';
export type { SegmentRecord } from './jobs/checkpoint.js';
export type { Progress } from './core/frames.js';
export type { Device, LoadModelOptions } from './model/load-model.js';
export type { Codec, EncodeSettings } from './media/encode-args.js';
export type { SmoothOptions, SmoothStrength, SmoothPreset, SmoothMode, SmoothMotion } from './smoothing/options.js';
export { RESTORE_PRESETS, parseRestoreOption } from './restore/options.js';
export type { RestoreSettings, RestorePreset, RestoreDefect, RestoreMode, FlickerSettings, DustSettings, ScratchSettings, GrainSettings } from './restore/options.js';
export type { RestoreOptions } from './graph/restore-stage.js';

export { startServer } from './server/live-server.js';
export type { ServerOptions, ServerHandle, ServerStats } from './server/server-types.js';
export { startEditServer } from './server/edit-server.js';
export type { EditServerOptions, EditServerHandle } from './server/edit-server.js';
export { EditSession, defaultHintsPath, defaultRenderPath } from './editor/session.js';
export type { EditSessionOptions, Suggestion, ListedHint, EditorShots, FilmRenderResult } from './editor/session.js';
export type { HintEdit } from './editor/hint-store.js';
export type { HintView } from './editor/tracker.js';
export { startMultiServer } from './server/multi.js';
export type { MultiServerOptions, MultiServerHandle, NamedInput } from './server/multi.js';

export { findShots } from './shots/find-shots.js';
export type { FindShotsOptions } from './shots/find-shots.js';
export type { ShotInfo, SetupInfo, ShotMap } from './shots/shot-map.js';

export { measureVideo } from './metrics/index.js';
export type { MeasureOptions, VideoMetrics, TemporalMetrics, AccuracyMetrics } from './metrics/index.js';

export { listModels, pullModel, convertFile, modelsCacheDir } from './model/registry.js';
export type { ModelListing, PullOptions, PullProgress, PullResult } from './model/registry.js';

export { ChromaError, EXIT } from './core/errors.js';
export type { ErrorKind } from './core/errors.js';
export { DEFAULT_TEMPERATURE } from './core/defaults.js';
