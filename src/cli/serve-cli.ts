// `chroma serve --input SRC`: colorize a live source and show it in the browser. The process runs
// until SIGINT/SIGTERM, then closes viewers, kills ffmpeg and finalises any recording.
import { existsSync } from 'node:fs';
import { HELP, QUIET, flagOr, optionLines, parseFlags, readFlag } from './flags.js';
import { option } from '../core/options.js';
import {
  ALLOW_ORIGIN, DEVICE, FPS, HEIGHT, HOST, TOKEN, LIVE_BATCH, LIVE_SMOOTH, LIVE_TEMPERATURE, LOG_FORMAT, MAX_VIEWERS, MAX_WAIT, MODEL, PORT, QUALITY,
  RTSP_TRANSPORT, LIVE_SIZE, THREADS, WIDTH,
} from '../core/option-specs.js';
import { RESTORE } from './restore-option.js';
import { startServer, type ServerOptions } from '../server/index.js';
import { startMultiServer, parseNamedInput, type NamedInput } from '../server/multi.js';
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';
import { killAllChildren } from '../media/child.js';
import { parseSmoothOption } from '../smoothing/options.js';
import { createLogger, urlSecrets } from '../server/log.js';
import { redactUrl } from '../server/source.js';
import { parseRestoreOption } from '../restore/options.js';
import { listenForStop } from './stop-signal.js';


const INPUT = option({ flag: 'input', short: 'i', arg: 'SRC', type: 'string', multiple: true, doc: 'the source (required): a URL, /dev/videoN, a file or - for stdin; NAME=SRC names it; repeatable' });
const FORMAT = option({ flag: 'format', arg: 'F', type: 'string', default: "ffmpeg's guess", doc: 'ffmpeg input format (-f): v4l2, mpegts, lavfi (SRC is a filter graph), ...' });
const LOOP = option({ flag: 'loop', type: 'boolean', default: 'off', doc: 'replay a file forever' });
const EXIT_ON_SOURCE_FAILURE = option({
  flag: 'exit-on-source-failure', type: 'boolean', default: 'off: start, say waiting, retry',
  doc: 'exit 6 when a network source cannot be reached at start',
});
const RESTORE_LIVE = option({ ...RESTORE, doc: "repair the film's L first, from past frames only: auto, light, strong, off, or a list of dust,scratches,flicker,grain" });
const MODEL_LIVE = option({ ...MODEL, doc: "'default' (built in), 'eccv16' / 'siggraph17' (pulled), or an ONNX path" });
const RECORD = option({ flag: 'record', arg: 'OUT.mp4', type: 'string', default: 'none', doc: 'also write the colorized stream to a file (finalised on stop)' });

const SOURCE_FLAGS = [INPUT, FORMAT, LOOP, WIDTH, HEIGHT, FPS, RTSP_TRANSPORT, EXIT_ON_SOURCE_FAILURE] as const;
const LIVE_MODEL_FLAGS = [MODEL_LIVE, DEVICE, THREADS, LIVE_SIZE, LIVE_BATCH, MAX_WAIT, LIVE_TEMPERATURE, LIVE_SMOOTH, RESTORE_LIVE] as const;
const VIEWER_FLAGS = [HOST, PORT, TOKEN, ALLOW_ORIGIN, QUALITY, MAX_VIEWERS] as const;
const OTHER_FLAGS = [RECORD, LOG_FORMAT, { ...QUIET, doc: 'no log lines (errors still go to stderr)' }, HELP] as const;
/** Every flag of `chroma serve` (the editor's are in edit-cli.ts). */
export const SERVE_FLAGS = [...SOURCE_FLAGS, ...LIVE_MODEL_FLAGS, ...VIEWER_FLAGS, ...OTHER_FLAGS] as const;

export const SERVE_HELP = `Usage: chroma serve --input SRC [options]
       chroma serve --input NAME=SRC --input NAME=SRC ... [options]

Colorize a live source and watch it in a browser (WebSocket viewer on http://127.0.0.1:8080/).
When inference is slower than the source, frames are dropped (the newest wins), so latency stays
bounded. A source that drops (stream EOF, camera unplugged, server restart) is reconnected with
backoff while viewers stay connected; a network camera that is not up yet when serve starts is
'waiting' and retried the same way.

Examples:
  chroma serve --input rtsp://camera.local/stream
  chroma serve --input /dev/video0 --width 640 --height 480 --fps 15
  chroma serve --input old-newsreel.mp4 --loop --port 9000
  ffmpeg -i tape.avi -f mpegts - | chroma serve --input - --width 720 --height 576
  chroma serve --input testsrc2=size=640x480:rate=15 --format lavfi --token s3cret
  chroma serve --input lobby=rtsp://cam1/stream --input door=rtsp://cam2/stream

Source:
${optionLines(SOURCE_FLAGS)}
                       SRC: rtsp://, rtmp://, http(s):// (MPEG-TS, HLS .m3u8, ...), /dev/videoN
                       (V4L2), a file (played at its real rate), or - for stdin. NAME=SRC names it
                       (letters, digits, - _); repeat --input for several sources on one server and
                       one model: each at /NAME/, all of them at /, inference batched across them
                       (--batch defaults to their number); source options apply to every source.

Model:
${optionLines(LIVE_MODEL_FLAGS)}

Viewers:
${optionLines(VIEWER_FLAGS)}
                       The page's "use my camera" sends the viewer's own camera up the socket
                       and shows it colorized (needs --token; 15 fps, 640x480, 4 cameras at most).
                       A click on the video puts the picker's colour there from the next frame
                       on, tracked, for every viewer (needs --token and a hint-capable model such
                       as the built-in one; 16 hints at most; a scene cut ends them).

Editing a film's colour hints:
  --edit               with --input FILM: the hints editor instead of the live viewer (step, seek,
                       click to colour, tracked through the shot, saved beside the film); see
                       chroma serve --edit --help

Recording and logs:
${optionLines(OTHER_FLAGS)}

Endpoints: /  viewer page   /ws  frames + control   /healthz  JSON status   /metrics  Prometheus
           (several sources: each under /NAME/, the overview at /, all sources' status at /healthz)
Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage, 3 bad input file, 5 model problem,
            6 source unavailable (no such camera; a network source at start with
              --exit-on-source-failure).
`;

/** The sources of --input: one (perhaps named), or several, each named. */
function namedInputs(input: string[], format: string | undefined): { first: { name?: string; input: string }; inputs?: NamedInput[] } {
  // One source may be named; a lavfi graph (testsrc2=...) or an existing file with '=' is not a name.
  const named = input.map((arg) => (format === 'lavfi' && input.length === 1) || existsSync(arg) ? null : parseNamedInput(arg));
  if (input.length > 1 && named.some((n) => n === null)) {
    throw usageError(`several --input need a name each: --input NAME=SRC (not ${input[named.indexOf(null)]})`);
  }
  return { first: named[0] ?? { input: input[0] }, inputs: input.length > 1 ? (named as NamedInput[]) : undefined };
}

/** Parse the command line into server options (exported for tests). */
export function serveOptionsFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): {
  help: boolean;
  quiet: boolean;
  options: ServerOptions;
  /** Several sources (startMultiServer); options.input is then the first one's SRC. */
  inputs?: NamedInput[];
} {
  const { values: v, positionals } = parseFlags('serve', argv, SERVE_FLAGS);
  if (v.help) return { help: true, quiet: false, options: { input: '' } };
  if (positionals.length) throw usageError(`unexpected argument ${positionals[0]} (the source goes after --input)`);
  if (!v.input?.length) throw usageError('missing --input SRC');
  const { first, inputs } = namedInputs(v.input, v.format);
  // --smooth off (or 0) means no smoothing stage at all.
  const smooth = v.smooth === undefined ? 0 : parseSmoothOption(v.smooth);
  const options: ServerOptions = {
    input: first.input, name: first.name, format: v.format, loop: v.loop,
    width: readFlag(WIDTH, v.width), height: readFlag(HEIGHT, v.height), fps: readFlag(FPS, v.fps),
    model: v.model, device: flagOr(DEVICE, v.device, 'auto'), threads: readFlag(THREADS, v.threads),
    size: readFlag(LIVE_SIZE, v.size), batch: readFlag(LIVE_BATCH, v.batch), maxWaitMs: readFlag(MAX_WAIT, v['max-wait']),
    temperature: readFlag(LIVE_TEMPERATURE, v.temperature), smooth: smooth > 0 ? smooth : undefined,
    restore: parseRestoreOption(v.restore ?? 'off'),
    host: v.host, port: readFlag(PORT, v.port), token: v.token ?? env.CHROMA_TOKEN ?? null, allowOrigin: v['allow-origin'],
    quality: readFlag(QUALITY, v.quality), maxViewers: readFlag(MAX_VIEWERS, v['max-viewers']), record: v.record,
    rtspTransport: flagOr(RTSP_TRANSPORT, v['rtsp-transport'], 'tcp'), exitOnSourceFailure: v['exit-on-source-failure'],
    logFormat: flagOr(LOG_FORMAT, v['log-format'], 'text'),
  };
  if ((options.width === undefined) !== (options.height === undefined)) throw usageError('give both --width and --height, or neither');
  return { help: false, quiet: Boolean(v.quiet), options, inputs };
}

export async function runServeCommand(argv: string[]): Promise<number> {
  if (argv.includes('--edit')) return (await import('./edit-cli.js')).runEditCommand(argv);
  let parsed: ReturnType<typeof serveOptionsFromArgv>;
  try {
    parsed = serveOptionsFromArgv(argv);
  } catch (err) {
    process.stderr.write(`chroma serve: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  if (parsed.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.ok;
  }
  const { options, quiet, inputs } = parsed;
  const log = quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  const all = inputs ?? [{ name: options.name ?? redactUrl(options.input), input: options.input }];
  const own = createLogger(inputs ? 'server' : all[0].name, {
    write: log, format: options.logFormat, secrets: [...all.flatMap((i) => urlSecrets(i.input)), ...(options.token ? [options.token] : [])],
  });

  const stop = listenForStop({ repeat: true });
  try {
    const server = inputs ? await startMultiServer({ ...options, inputs, log }) : await startServer({ ...options, log });
    if (stop.received) {
      await server.close();
      return EXIT.ok;
    }
    const tokenNote = options.token ? '?token=...' : '';
    if ('names' in server) {
      process.stdout.write(`chroma serve: ${server.url}${tokenNote}  (${server.names.map((n) => `${n} at /${n}/`).join(', ')})\n`);
    } else {
      const st = server.stats();
      process.stdout.write(`chroma serve: ${server.url}${tokenNote}  (source ${st.width ? `${st.width}x${st.height}` : 'waiting'}` +
        `${st.fps ? ` @ ${Math.round(st.fps * 100) / 100} fps` : ''})\n`);
    }
    await stop.wait();
    own.info(`chroma serve: ${stop.received ?? 'stop'}: shutting down`);
    // Hard stop after 2 s whatever happens (a wedged child or socket must not keep us alive).
    const deadline = setTimeout(() => killAllChildren(), 1800);
    deadline.unref();
    await server.close();
    clearTimeout(deadline);
    return EXIT.ok;
  } catch (err) {
    killAllChildren();
    process.stderr.write(`chroma serve: ${describeError(err)}\n`);
    return exitCodeOf(err);
  } finally {
    stop.dispose();
  }
}
