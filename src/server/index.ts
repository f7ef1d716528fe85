// The live server's public face: startServer (live-server.ts) and the types and helpers that go with it.
export { startServer } from './live-server.js';
export { decodeFrameMessage, FRAME_HEADER_BYTES, STAGE_NAMES, type FrameHeader } from './frame-header.js';
export type { LiveSettings } from './control.js';
export type { SourceState, SourceStatus } from './source.js';
export type { ServerOptions, EmbeddedSource, SourceHandlers, ServerStats, ServerHandle } from './server-types.js';
