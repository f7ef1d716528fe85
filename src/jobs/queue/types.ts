// What a queued run puts in its BullMQ jobs: everything a worker on another machine needs, as JSON.
import type { EncodeSettings } from '../../media/encode-args.js';
import type { MediaInfo } from '../../media/probe.js';
import type { RestoreSettings } from '../../restore/options.js';

/** The settings that change the colour result; the same for every segment of a run. */
export interface ColourSettings {
  /** Model as --model takes it ('default', 'eccv16', or a path that every worker can read). */
  model: string;
  temperature?: number;
  size?: number;
  batch?: number;
  /** Smoothing strength: the filter's alpha (0 = off), as --smooth gives it. */
  smooth: number;
  deinterlace: 'auto' | 'on' | 'off';
  encode: EncodeSettings;
  /** What to repair (--restore, resolved to settings); null or absent: nothing. */
  restore?: RestoreSettings | null;
}

/**
 * A film's hints as a queued segment carries them: the hints file's content (as serializeHints
 * writes it; no `reference`) and where the film's source is in the store. Each worker runs the
 * tracking pass on the source itself, once per film (it is deterministic, so all agree).
 */
export interface QueuedHints {
  file: unknown;
  sourceKey: string;
}

/** One piece of the source as the submitter cut it (stream copy, starts with a keyframe). */
export interface PieceInfo {
  /** Store key of the piece (video only, NUT, the source's own timestamps). */
  key: string;
  /** Index of the piece's first frame in the film. */
  firstFrame: number;
  frames: number;
  /** Timestamps (s, as a one-pass decode gives them) of its first and last frame. */
  firstPts: number;
  lastPts: number;
  /** Seconds to take off the piece's -copyts timestamps to get those of a plain decode of the source. */
  ptsOffset: number;
}

export interface SegmentJobData {
  run: string;
  film: number;
  /** The source's name, for messages ("film.mp4"). */
  label: string;
  index: number;
  /** Segments in this film. */
  count: number;
  piece: PieceInfo;
  /** The neighbours, decoded only for the smoothing's warm-up (carry) and look-ahead frames. */
  previous: PieceInfo | null;
  next: PieceInfo | null;
  /** Frames of the previous piece fed through the graph before this one's first frame. */
  carry: number;
  /** Frames of the next piece fed after this one's last frame (the smoother's look-ahead window). */
  lookahead: number;
  /** The source's probe; `path` is the submitter's and is not used by workers. */
  info: MediaInfo;
  /** The output's name on the submitter's machine: its extension picks the container. */
  output: string;
  settings: ColourSettings;
  /** The film's hints (--hints); absent or null: none. */
  hints?: QueuedHints | null;
}

/** What a segment job returns (BullMQ keeps it as the child's value for the join). */
export interface SegmentResult {
  index: number;
  /** Store key of the colorized segment. */
  key: string;
  frames: number;
  bytes: number;
  sha256: string;
  /** Where the segment's first frame goes in the output (see SegmentRecord.encodedStart). */
  encodedStart: number;
  /** Seconds spent on the segment: all of it, and colorizing alone (decode to encode). */
  seconds: number;
  colorSeconds: number;
  worker: string;
  /** True when another worker had committed this segment first (its result is the one kept). */
  duplicate: boolean;
  /** Milliseconds per frame spent in each stage of the colour graph (as `colorize --json` reports them). */
  stages?: Record<string, number>;
}

export interface JoinJobData {
  run: string;
  film: number;
  /** The source's path on the submitter's machine (for messages and `chroma status`). */
  input: string;
  /** Absolute output path on the submitter's machine; the follower copies the result there. */
  output: string;
  /** Store key of the source (its audio, subtitles and metadata are muxed in at the join). */
  sourceKey: string;
  /** Store key the joined film is written to. */
  outputKey: string;
  segments: number;
  frames: number;
  info: MediaInfo;
  submittedAt: number;
  /** Films in the run, so that any one join job tells the whole run's size. */
  films: number;
  /** Replace an existing output when fetching it (the submitter's -y). */
  overwrite: boolean;
}

export interface JoinResult {
  frames: number;
  outputKey: string;
  seconds: number;
  notes: string[];
  worker: string;
}
