// Shots and camera setups of a film (`chroma shots`, the editor's shot strip, `"until": "setup"` hints).
export { findShots, findFilmShots, SHOT_PASS_WIDTH } from './find-shots.js';
export type { FindShotsOptions } from './find-shots.js';
export { ShotCollector } from './shot-map.js';
export type { ShotInfo, SetupInfo, ShotMap, FilmShots, ShotMapOptions } from './shot-map.js';
export { groupSetups, matchShots, SETUP_DEFAULTS } from './setups.js';
export type { ShotSamples, ShotMatch, SetupOptions, SetupGrouping } from './setups.js';
export { bestShift } from '../motion/align.js';
export type { Picture, Shift, AlignOptions } from '../motion/align.js';
export { thumbnail, THUMB_WIDTH } from './thumbnail.js';
export type { Thumb } from './thumbnail.js';
