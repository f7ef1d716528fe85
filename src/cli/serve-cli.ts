// `chroma serve --input SRC`: colorize a live source and show it in the browser. The process runs
// until SIGINT/SIGTERM, then closes viewers, kills ffmpeg and finalises any recording.
import { existsSync } from 'node:fs';
import { numberFlag, parseFlags } from './flags.js';
import { startServer, type ServerOptions } from '../server/index.js';
import { startMultiServer, parseNamedInput, type NamedInput } from '../server/multi.js';
import { EXIT, describeError, exitCodeOf, invalidOption, usageError } from '../core/errors.js';
import { killAllChildren } from '../media/child.js';
import { parseSmoothOption } from '../smoothing/options.js';
import { isRtspTransport, RTSP_TRANSPORTS } from '../server/sources/rtsp.js';
import { createLogger, urlSecrets, LOG_FORMATS, type LogFormat } from '../server/log.js';
import { redactUrl } from '../server/source.js';
import { parseRestoreOption } from '../restore/options.js';
import { listenForStop } from './stop-signal.js';

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
  -i, --input SRC      rtsp://, rtmp://, http(s):// (MPEG-TS, HLS .m3u8, ...), /dev/videoN (V4L2),
                       a file (played at its real rate), or - for stdin
                       NAME=SRC names it (letters, digits, - _); repeat --input for several
                       sources on one server and one model: each at /NAME/, all of them at /,
                       inference batched across them (--batch defaults to their number);
                       source options (--format, --width, ...) then apply to every source
  --format F           ffmpeg input format (-f): v4l2, mpegts, lavfi (SRC is a filter graph), ...
  --loop               replay a file forever
  --width N --height N frame size (default: probed from the source; required for stdin)
  --fps N              frame rate (cameras: the rate asked for; otherwise when probing cannot tell)
  --rtsp-transport T   rtsp:// only: tcp | udp | auto (default tcp; auto: UDP first, TCP if it
                       gets nothing). An RTSP socket silent for 5 s fails the attempt (retried)
  --exit-on-source-failure
                       exit with code 6 when a network source cannot be reached at start
                       (default: start anyway, report it as waiting and keep retrying)

Model:
  --model M            'default' (built in), 'eccv16' / 'siggraph17' (pulled), or an ONNX path
  --device D           auto | cpu | cuda (default auto)
  --threads N          CPU inference threads (default: all cores)
  --size N             model input short side (default: the model's training size; lower = faster)
  --batch N            frames per inference call (default 1: lowest latency)
  --max-wait MS        longest a partial batch waits for more frames (default 40)
  --temperature T      annealed-mean temperature, 0.05..1 (default 0.38); viewers can change it
  --smooth S           causal temporal smoothing: off | low | medium | high | 0..1 (default off);
                       when on, viewers can change its strength
  --restore R          repair the film's L first, from past frames only: auto | light | strong |
                       off, or a list of dust,scratches,flicker,grain (default off; see README)

Viewers:
  --host ADDR          address to bind (default 127.0.0.1: this machine only)
  --port N             port (default 8080; 0 = any free port)
  --token T            require this token for the page, /metrics and the socket (also env
                       CHROMA_TOKEN); open the page as http://HOST:PORT/?token=T
  --allow-origin O     also accept WebSocket connections from pages at origin O (repeatable)
  --quality Q          JPEG quality 1..100 (default 75)
  --max-viewers N      most viewers at once (default 64)
                       The page's "use my camera" sends the viewer's own camera up the socket
                       and shows it colorized (needs --token; 15 fps, 640x480, 4 cameras at most)
                       A click on the video puts the picker's colour there from the next frame
                       on, tracked, for every viewer (needs --token and a hint-capable model such
                       as the built-in one; 16 hints at most; a scene cut ends them)

Editing a film's colour hints:
  --edit               with --input FILM: the hints editor instead of the live viewer (step, seek,
                       click to colour, tracked through the shot, saved beside the film); see
                       chroma serve --edit --help

Recording:
  --record OUT.mp4     also write the colorized stream to a file (finalised on stop)

  --log-format F       text | json (default text). Every line has an ISO timestamp, a level and
                       the source's name (its URL without credentials); passwords never appear
  -q, --quiet          no log lines (errors still go to stderr)
  -h, --help           this help

Endpoints: /  viewer page   /ws  frames + control   /healthz  JSON status   /metrics  Prometheus
           (several sources: each under /NAME/, the overview at /, all sources' status at /healthz)
Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage, 3 bad input file, 5 model problem,
            6 source unavailable (no such camera; a network source at start with
              --exit-on-source-failure).
`;

/** --smooth: the same presets as for files; off (or 0) means no smoothing stage at all. */
function smoothOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const alpha = parseSmoothOption(v);
  return alpha > 0 ? alpha : undefined;
}

/** Parse the command line into server options (exported for tests). */
export function serveOptionsFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): {
  help: boolean;
  quiet: boolean;
  options: ServerOptions;
  /** Several sources (startMultiServer); options.input is then the first one's SRC. */
  inputs?: NamedInput[];
} {
  const { values: v, positionals } = parseFlags('serve', argv, {
    input: { type: 'string', short: 'i', multiple: true },
    format: { type: 'string' },
    loop: { type: 'boolean' },
    width: { type: 'string' },
    height: { type: 'string' },
    fps: { type: 'string' },
    model: { type: 'string' },
    device: { type: 'string' },
    threads: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    'max-wait': { type: 'string' },
    temperature: { type: 'string' },
    smooth: { type: 'string' },
    restore: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    quality: { type: 'string' },
    'max-viewers': { type: 'string' },
    record: { type: 'string' },
    'rtsp-transport': { type: 'string' },
    'exit-on-source-failure': { type: 'boolean' },
    'log-format': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
});
  if (v.help) return { help: true, quiet: false, options: { input: '' } };
  if (positionals.length) throw usageError(`unexpected argument ${positionals[0]} (the source goes after --input)`);
  if (!v.input?.length) throw usageError('missing --input SRC');
  // One source may be named; a lavfi graph (testsrc2=...) or an existing file with '=' is not a name.
  const named = v.input.map((arg) => (v.format === 'lavfi' && v.input!.length === 1) || existsSync(arg) ? null : parseNamedInput(arg));
  if (v.input.length > 1 && named.some((n) => n === null)) {
    throw usageError(`several --input need a name each: --input NAME=SRC (not ${v.input[named.indexOf(null)]})`);
  }
  const inputs = v.input.length > 1 ? (named as NamedInput[]) : undefined;
  const transport = v['rtsp-transport'] ?? 'tcp';
  if (!isRtspTransport(transport)) throw invalidOption('--rtsp-transport', RTSP_TRANSPORTS.join(', '), transport);
  const logFormat = v['log-format'] ?? 'text';
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) throw invalidOption('--log-format', LOG_FORMATS.join(' or '), logFormat);
  const device = v.device ?? 'auto';
  if (device !== 'auto' && device !== 'cpu' && device !== 'cuda') throw usageError(`--device ${device}: expected auto, cpu or cuda`);
  const options: ServerOptions = {
    input: named[0]?.input ?? v.input[0],
    name: named[0]?.name,
    format: v.format,
    loop: v.loop,
    width: numberFlag(v.width, 'width'),
    height: numberFlag(v.height, 'height'),
    fps: numberFlag(v.fps, 'fps'),
    model: v.model,
    device,
    threads: numberFlag(v.threads, 'threads'),
    size: numberFlag(v.size, 'size'),
    batch: numberFlag(v.batch, 'batch'),
    maxWaitMs: numberFlag(v['max-wait'], 'max-wait'),
    temperature: numberFlag(v.temperature, 'temperature'),
    smooth: smoothOption(v.smooth),
    restore: parseRestoreOption(v.restore ?? 'off'),
    host: v.host,
    port: numberFlag(v.port, 'port'),
    token: v.token ?? env.CHROMA_TOKEN ?? null,
    allowOrigin: v['allow-origin'],
    quality: numberFlag(v.quality, 'quality'),
    maxViewers: numberFlag(v['max-viewers'], 'max-viewers'),
    record: v.record,
    rtspTransport: transport,
    exitOnSourceFailure: v['exit-on-source-failure'],
    logFormat: logFormat as LogFormat,
  };
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw usageError(`--threads ${v.threads}: expected a positive integer`);
  }
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

  const stop = listenForStop();
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
