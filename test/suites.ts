// Every test file, with what it needs beyond node, ffmpeg and onnxruntime. `npm run test:unit`
// (scripts/test-unit.ts) runs the files that need nothing listed here; `npm test` runs them all.
// test/suites.test.ts fails when a test file is missing, or uses one of these without saying so.
//   redis      a redis-server it starts on loopback (skipped without one)
//   chromium   a headless Chromium through playwright-core (skipped or reduced without one)
//   gstreamer  the GStreamer RTSP camera, test/rtsp-server.py (skipped without one)
//   torch      a Python with torch (skipped without one)
//   slow       whole jobs, CLIs or servers end to end: tens of seconds each
export type Need = 'redis' | 'chromium' | 'gstreamer' | 'torch' | 'slow';

export const TEST_FILES: Record<string, readonly Need[]> = {
  'annealed-mean.test.ts': [],
  'api-docs.test.ts': [],
  'backpressure.test.ts': [],
  'bad-input.test.ts': ['slow'],
  'bench.test.ts': ['slow'],
  'broadcaster.test.ts': [],
  'compose-simd.test.ts': [],
  'editor.test.ts': ['chromium', 'slow'],
  'editor-film.test.ts': ['chromium', 'slow'],
  'faults.test.ts': ['slow'],
  'front-door.test.ts': ['slow'],
  'hardening.test.ts': ['chromium', 'slow'],
  'hint-propagate.test.ts': [],
  'hint-tracks.test.ts': [],
  'hints-file.test.ts': [],
  'hints-rasterize.test.ts': [],
  'hints-stills.test.ts': ['slow'],
  'hints-video.test.ts': ['slow'],
  'http-front.test.ts': [],
  'hw-encode.test.ts': ['slow'],
  'hostile-endpoints.test.ts': ['slow'],
  'infer-batch.test.ts': [],
  'lab.test.ts': [],
  'layers.test.ts': [],
  'live-hints.test.ts': ['slow'],
  'live-lag.test.ts': [],
  'marbles.test.ts': [],
  'metrics.test.ts': [],
  'shots.test.ts': ['slow'],
  'new-user.test.ts': ['redis', 'slow'],
  'models-import.test.ts': [],
  'null-model.test.ts': ['slow'],
  'onnx-builder.test.ts': [],
  'option-schema.test.ts': ['slow'],
  'pipeline.test.ts': ['slow'],
  'queue-segment.test.ts': ['slow'],
  'props-model-files.test.ts': ['slow'],
  'props-parsers.test.ts': [],
  'queue-units.test.ts': [],
  'queue-worker.test.ts': ['redis', 'slow'],
  'queue.test.ts': ['redis', 'slow'],
  'reference-photo.test.ts': ['slow'],
  'reference-tilt.test.ts': [],
  'restore-cli.test.ts': ['slow'],
  'restore-operators.test.ts': [],
  'restore-blotches.test.ts': [],
  'restore.test.ts': [],
  'resumable-job.test.ts': ['slow'],
  'resume.test.ts': ['slow'],
  'serve-log.test.ts': [],
  'server-cli.test.ts': ['slow'],
  'server-multi.test.ts': ['chromium', 'gstreamer', 'slow'],
  'server-reconnect.test.ts': ['slow'],
  'server-rtsp.test.ts': ['chromium', 'gstreamer', 'slow'],
  'server-units.test.ts': [],
  'server.test.ts': ['slow'],
  'smoothing.test.ts': ['slow'],
  'stills.test.ts': ['slow'],
  'suites.test.ts': [],
  'track-points.test.ts': [],
  'train-cli.test.ts': ['torch', 'slow'],
  'viewer-hints.test.ts': ['chromium', 'slow'],
  'viewer.test.ts': ['chromium', 'slow'],
  'webcam.test.ts': ['chromium', 'slow'],
};

/** The unit suite: the files that need nothing. */
export const unitFiles = (): string[] => Object.keys(TEST_FILES).filter((f) => TEST_FILES[f].length === 0);
