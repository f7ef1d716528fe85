// Every option the library takes, declared once: name, flag, type, range or choices, default and
// a line of doc. The library checks values with these (checkOption), the CLI parses and documents
// its flags with them, and docs/ tables are generated from them (scripts/api-docs.ts); a test
// keeps the lists that live elsewhere (codecs, presets, ranges of the live controls) equal to them.
import { DEFAULT_BATCH, DEFAULT_LIVE_BATCH, DEFAULT_TEMPERATURE, TEMPERATURE_RANGE } from './defaults.js';
import { option } from './options.js';

// The model and its inference: files, stills, the live server, the editor and farm workers.
export const MODEL = option({
  flag: 'model', arg: 'M', type: 'string', default: "'default'",
  doc: "'default' (built in), 'eccv16' / 'siggraph17' (after 'chroma models pull'), an ONNX path, or 'null' (gray; measures the pipeline without a model)",
});
export const DEVICE = option({
  key: 'device', flag: 'device', arg: 'D', type: 'choice', choices: ['auto', 'cpu', 'cuda'], default: 'auto',
  doc: 'where inference runs: auto is CUDA when its provider loads, else CPU; cuda fails without it',
});
export const THREADS = option({
  key: 'threads', flag: 'threads', arg: 'N', type: 'integer', min: 1, max: 1024, default: 'all cores', doc: 'CPU inference threads',
});
export const SIZE = option({
  key: 'size', flag: 'size', arg: 'N', type: 'integer', min: 32, max: 4096, default: "the model's training size",
  doc: "model input short side in pixels, rounded to the model's multiple; lower = faster",
});
export const BATCH = option({
  key: 'batch', flag: 'batch', arg: 'N', type: 'integer', min: 1, max: 256, default: String(DEFAULT_BATCH), doc: 'frames per inference call',
});
export const TEMPERATURE = option({
  key: 'temperature', flag: 'temperature', arg: 'T', type: 'number', min: TEMPERATURE_RANGE[0], max: TEMPERATURE_RANGE[1],
  default: String(DEFAULT_TEMPERATURE), doc: 'annealed-mean temperature; lower = more vivid',
});
export const SMOOTH = option({
  key: 'smooth', flag: 'smooth', arg: 'S', type: 'number', min: 0, max: 1, words: ['off', 'low', 'medium', 'high'],
  default: 'medium (stills: off)', doc: 'temporal smoothing strength',
});
export const IN_FLIGHT = option({
  key: 'inFlight', flag: 'in-flight', arg: 'N', type: 'integer', min: 1, max: 65536, default: '24 at batch 4',
  doc: 'frames allowed between decoder and encoder',
});
export const WORKERS = option({
  key: 'workers', flag: 'workers', arg: 'N', type: 'integer', min: 0, max: 16, default: 'cores - 1 - cores/4, in 1..8',
  doc: 'pixel threads for extract L, resize and compose (video files); 0 = on the main thread',
});
export const DEINTERLACE = option({
  key: 'deinterlace', flag: 'deinterlace', arg: 'M', type: 'choice', choices: ['auto', 'on', 'off'], default: 'auto',
  doc: 'deinterlace the source; auto: when the stream says it is interlaced',
});
export const CODEC = option({
  flag: 'codec', arg: 'C', type: 'choice', choices: ['h264', 'h265', 'ffv1', 'prores'], default: 'h264',
  doc: 'output codec: ffv1 is lossless (.mkv), prores is ProRes 422 HQ (.mov)',
});
export const HW_ENCODE = option({
  key: 'hwEncode', flag: 'hw-encode', arg: 'M', type: 'choice', choices: ['auto', 'off'], default: 'off',
  doc: 'h264/h265: auto encodes on NVENC, Quick Sync or VAAPI when the ffmpeg in use has one that works, else x264/x265',
});
export const CRF = option({
  key: 'crf', flag: 'crf', arg: 'N', type: 'integer', min: 0, max: 51, default: '18', doc: 'h264/h265 quality; lower = better, bigger',
});
export const REFERENCE_STRENGTH = option({
  key: 'strength', flag: 'reference-strength', arg: 'S', type: 'number', min: 0, max: 1, default: '0.7',
  doc: 'how far to tilt towards the reference photo; needs --reference',
});

/** What a file job checks (ColorizeOptions); the CLI and the library share these lines. */
export const COLORIZE_SPECS = [TEMPERATURE, BATCH, SIZE, SMOOTH, IN_FLIGHT, WORKERS, DEINTERLACE] as const;
/** What loading a model checks (LoadModelOptions). */
export const LOAD_MODEL_SPECS = [DEVICE, THREADS] as const;

// The live server's own (ServerOptions); its model options are the ones above, with the live ranges.
export const LIVE_BATCH = option({ ...BATCH, max: 64, default: String(DEFAULT_LIVE_BATCH), doc: 'frames per inference call; 1 gives the lowest latency' });
export const LIVE_SIZE = option({ ...SIZE, default: "the model's live size (120 for the built-in model, else its training size)" });
export const LIVE_TEMPERATURE = option({ ...TEMPERATURE, min: 0.05, doc: 'annealed-mean temperature; lower = more vivid; viewers can change it' });
export const LIVE_SMOOTH = option({ ...SMOOTH, default: 'off', doc: 'causal temporal smoothing; when on, viewers can change its strength' });
export const WIDTH = option({ key: 'width', flag: 'width', arg: 'N', type: 'integer', min: 16, max: 8192, default: 'probed; required for stdin', doc: 'source frame width' });
export const HEIGHT = option({ key: 'height', flag: 'height', arg: 'N', type: 'integer', min: 16, max: 8192, default: 'probed; required for stdin', doc: 'source frame height' });
export const FPS = option({ key: 'fps', flag: 'fps', arg: 'N', type: 'number', min: 0.1, max: 1000, default: 'probed', doc: 'frame rate: for a camera the rate asked for, else used when probing cannot tell' });
export const MAX_WAIT = option({ key: 'maxWaitMs', flag: 'max-wait', arg: 'MS', type: 'number', min: 0, max: 10000, default: '40', doc: 'longest a partial batch waits for more frames' });
export const PORT = option({ key: 'port', flag: 'port', arg: 'N', type: 'integer', min: 0, max: 65535, default: '8080', doc: 'port; 0 = any free port' });
export const QUALITY = option({ key: 'quality', flag: 'quality', arg: 'Q', type: 'integer', min: 1, max: 100, default: '75', doc: 'JPEG quality of the frames sent' });
export const MAX_VIEWERS = option({ key: 'maxViewers', flag: 'max-viewers', arg: 'N', type: 'integer', min: 1, max: 10000, default: '64', doc: 'most viewers at once' });
export const CLIENT_QUEUE = option({ key: 'clientQueue', flag: 'client-queue', arg: 'N', type: 'integer', min: 1, max: 64, default: '2', doc: "frames queued per viewer before that viewer's frames drop" });
export const RTSP_TRANSPORT = option({
  key: 'rtspTransport', flag: 'rtsp-transport', arg: 'T', type: 'choice', choices: ['tcp', 'udp', 'auto'], default: 'tcp',
  doc: 'rtsp:// only: RTP over tcp, udp, or auto (UDP first, then TCP)',
});
export const LOG_FORMAT = option({
  key: 'logFormat', flag: 'log-format', arg: 'F', type: 'choice', choices: ['text', 'json'], default: 'text',
  doc: 'log lines as text, or one JSON object each: time, level, source, message',
});

export const HOST = option({ key: 'host', flag: 'host', arg: 'ADDR', type: 'string', default: '127.0.0.1: this machine only', doc: 'address to bind' });
export const TOKEN = option({ key: 'token', flag: 'token', arg: 'T', type: 'string', default: 'env CHROMA_TOKEN, else none', doc: 'require this token for the page, /metrics and the socket: open http://HOST:PORT/?token=T' });
export const ALLOW_ORIGIN = option({ key: 'allowOrigin', flag: 'allow-origin', arg: 'O', type: 'string', multiple: true, default: 'none', doc: 'also accept WebSocket connections from pages at origin O; repeatable' });

/** What startServer checks (ServerOptions), under the library's names. */
export const SERVER_SPECS = [
  WIDTH, HEIGHT, FPS, QUALITY, PORT, LIVE_BATCH, MAX_WAIT, SIZE, LIVE_TEMPERATURE, { ...LIVE_SMOOTH, words: [] },
  MAX_VIEWERS, CLIENT_QUEUE, RTSP_TRANSPORT, LOG_FORMAT, DEVICE, THREADS,
] as const;

// Shots and camera setups (findShots, `chroma shots`).
export const CUT_THRESHOLD = option({
  key: 'cutThreshold', flag: 'cut-threshold', arg: 'D', type: 'number', min: 0.01, max: 1, default: '0.2',
  doc: "histogram distance between consecutive frames that starts a new shot (the smoothing stage's)",
});
export const SETUP_THRESHOLD = option({
  key: 'setupThreshold', flag: 'setup-threshold', arg: 'C', type: 'number', min: 0.05, max: 1, default: '0.45',
  doc: 'correlation of two shots after alignment at or above which they are one camera setup; higher = stricter',
});
/** What findShots checks (FindShotsOptions). */
export const SHOTS_SPECS = [CUT_THRESHOLD, SETUP_THRESHOLD] as const;
