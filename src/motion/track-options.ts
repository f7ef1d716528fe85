// The point tracker's options, statuses and result (src/motion/track-points.ts), apart so that the
// tracker file holds only the tracking.

/** Point kept: tracked and passed every check. */
export const TRACK_KEPT = 0;
/** Lost: its position is (or went) outside the frame. */
export const LOST_OUTSIDE = 1;
/** Lost: tracked back, it did not return to within `fbThreshold` of where it started. */
export const LOST_FORWARD_BACKWARD = 2;
/** Lost: its window has too little texture (weak structure tensor) to be located reliably. */
export const LOST_WEAK = 3;
/** Lost: where it went does not look like where it was (window correlation below `minCorrelation`). */
export const LOST_MISMATCH = 4;

export interface TrackerOptions {
  /** Pyramid levels including the full-size one, at most (default 3); fewer where the coarsest would be smaller than the window. */
  levels?: number;
  /**
   * Window radius: each point is matched on a (2r+1)^2 window (default 7, a 15x15 window). Larger
   * windows keep more points on plain surfaces but slide onto the background around small objects
   * (r = 11 stayed on the background beside a 16-px object that r = 7 followed).
   */
  radius?: number;
  /** Gauss–Newton iterations per level at most (default 20). */
  iterations?: number;
  /** Stop iterating once an update moves the point less than this, in pixels of that level (default 0.01). */
  epsilon?: number;
  /** Largest forward–backward distance, in pixels, for a point to be kept (default 1). */
  fbThreshold?: number;
  /**
   * Smallest eigenvalue of the window's mean structure tensor, intensities scaled to 0..1, for a
   * point to be trackable (default 1e-5: a gradient of about 0.3 % of full scale per pixel in the
   * window's weakest direction). Below it the window is flat or a straight edge.
   */
  minEigenvalue?: number;
  /**
   * Smallest normalised cross-correlation between the point's window before and after, for it to
   * be kept (default 0.6; -1 turns the check off). Catches what the forward–backward check can
   * miss: a point that settled, consistently both ways, on whatever now covers it. Insensitive to
   * brightness and contrast changes (flicker).
   */
  minCorrelation?: number;
}

/** Full-scale value of a plane: L* (0..100) for Float32Array, 8-bit codes (0..255) for Uint8Array. */
export type Plane = Float32Array | Uint8Array;

/** Where tracked points went: positions (x, y pairs; NaN when lost), a status per point, FB distance. */
export interface TrackResult {
  points: Float32Array;
  /** TRACK_KEPT (0) or the LOST_* reason. */
  lost: Uint8Array;
  /** Forward–backward distance in pixels (NaN when the point was lost before the check). */
  fbError: Float32Array;
}

/** A result with room for `count` points. */
export function createTrackResult(count: number): TrackResult {
  return { points: new Float32Array(2 * count), lost: new Uint8Array(count), fbError: new Float32Array(count) };
}
