// `chroma serve --input film.mp4 --edit`: the editor for a film's colour hints. It runs until
// SIGINT/SIGTERM; hints are saved when the page asks (a button), never behind the user's back.
import { existsSync } from 'node:fs';
import { HELP, OUTPUT, QUIET, flagOr, optionLines, parseFlags, readFlag } from './flags.js';
import { option } from '../core/options.js';
import { ALLOW_ORIGIN, DEVICE, HOST, MODEL, PORT, QUALITY, SIZE, TEMPERATURE, THREADS, TOKEN } from '../core/option-specs.js';
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';
import { loadModel } from '../model/load-model.js';
import { probeMedia } from '../media/probe.js';
import { checkOutputName, isImagePath } from '../colorizer.js';
import { hintsUnsupported } from '../graph/color-graph.js';
import { readHintsFile, referenceImagePath } from '../hints/hints-file.js';
import { referenceTiltFor } from '../jobs/job-reference.js';
import { EditSession, defaultHintsPath, defaultRenderPath } from '../editor/session.js';
import { startEditServer } from '../server/edit-server.js';
import { RESTORE } from './restore-option.js';
import { parseRestoreOption } from '../restore/options.js';
import { listenForStop } from './stop-signal.js';

const FILM = option({ flag: 'input', short: 'i', arg: 'FILM', type: 'string', multiple: true, doc: 'the film (a video file)' });
const EDIT = option({ flag: 'edit', type: 'boolean', doc: 'the editor instead of the live viewer' });
const HINTS_FILE = option({
  flag: 'hints', arg: 'FILE', type: 'string', default: 'FILM.hints.json beside the film',
  doc: 'the hints file to start from (loaded when it exists) and save to',
});
const RENDER_OUTPUT = option({
  ...OUTPUT, arg: 'FILE', default: 'FILM-colour.mp4 beside the film',
  doc: "where the page's render button writes the whole film (an existing file is replaced only when the page says so)",
});
const EDIT_MODEL = option({ ...MODEL, doc: "'default' (built in), 'siggraph17' (pulled), or an ONNX path with a hints input" });
const EDIT_TOKEN = option({ ...TOKEN, default: 'env CHROMA_TOKEN, else a random one printed in the URL', doc: "the page's token (the editor always needs one: it saves files)" });
const EDIT_QUALITY = option({ ...QUALITY, default: '85', doc: 'JPEG quality of the frames shown' });
const EDIT_RESTORE = option({
  ...RESTORE,
  doc: "repair the film's L as colorize --restore does, for the frames shown (the page can switch to the original) and the film rendered: auto, light, strong, off, or a comma list of dust,scratches,flicker,grain,blotches",
});
export const EDIT_FLAGS = [
  FILM, EDIT, HINTS_FILE, RENDER_OUTPUT, EDIT_MODEL, DEVICE, THREADS, SIZE, TEMPERATURE, EDIT_RESTORE, HOST, PORT, EDIT_TOKEN, ALLOW_ORIGIN, EDIT_QUALITY,
  { ...QUIET, doc: 'print only the URL' }, HELP,
] as const;

export const EDIT_HELP = `Usage: chroma serve --input FILM --edit [options]

Place colour hints on a film in the browser: step, play and seek through it or jump to a shot on
the shot strip, click a point to give it a colour (a colour picker, or one of the model's own top
colours at that point), drag a hint to move it, Delete to remove it, Ctrl+Z / Ctrl+Shift+Z to undo
and redo. Each hint follows its object through its frame, its shot or every shot of its setup,
and the frame is re-coloured at once. Save writes the hints file beside the film; render writes
the whole film (to --output) as
  chroma colorize FILM -o FILM-colour.mp4 --hints FILM.hints.json
would (the editor shows single frames without temporal smoothing: render with smoothing off, or
'--smooth off', gives exactly what it showed). With --restore the frames are shown repaired, as
'colorize --restore' repairs them (a switch on the page shows the original instead), and the
render repairs the film the same way (docs/restore.md, "In the editor"). The editor keeps a
decoded copy of the film in a temporary folder while it runs (width x height x 3 bytes a frame;
films needing over 8 GiB are refused: cut the shot out).

Examples:
  chroma serve --input reel.mp4 --edit
  chroma serve --input reel.mp4 --edit --hints reel-v2.hints.json --port 9000
  chroma serve --input reel.mp4 --edit --restore auto

Options:
${optionLines(EDIT_FLAGS)}

Endpoints: /  the editor   /ws  its socket   /hints.json  the hints as a download
           /frame.png?frame=N  frame N rendered with the hints, lossless
           /shot.jpg?shot=N  shot N's thumbnail   /rendered  the last film rendered, as a download
Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage (also a bad hints file), 3 bad input film,
            4 an --output chroma cannot write (e.g. an image name), 5 model problem (e.g. a model without a hints input).
`;

/** Flags of the live viewer that mean nothing for a film being edited. */
const LIVE_ONLY = ['--loop', '--format', '--width', '--height', '--fps', '--batch', '--max-wait', '--smooth',
  '--max-viewers', '--record', '--rtsp-transport', '--exit-on-source-failure', '--log-format'];

export function editOptionsFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const live = argv.find((a) => LIVE_ONLY.includes(a.split('=')[0]));
  if (live) throw usageError(`${live.split('=')[0]} is for live sources; --edit opens a film (see chroma serve --edit --help)`);
  const { values: v, positionals } = parseFlags('serve', argv, EDIT_FLAGS);
  if (v.help) return { help: true as const };
  if (positionals.length) throw usageError(`unexpected argument ${positionals[0]} (the film goes after --input)`);
  if (!v.input?.length) throw usageError('--edit needs --input FILM');
  if (v.input.length > 1) throw usageError('--edit opens one film: give one --input');
  const film = v.input[0];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(film) || film === '-' || film.startsWith('/dev/')) {
    throw usageError(`--edit needs a film file, not a live source (${film})`);
  }
  if (isImagePath(film)) throw usageError(`${film}: --edit is for films; hints for a still go in a file given to 'chroma colorize --hints'`);
  const output = v.output ?? defaultRenderPath(film);
  checkOutputName(output, film);
  return {
    help: false as const, quiet: Boolean(v.quiet), film, device: flagOr(DEVICE, v.device, 'auto'),
    hints: v.hints, output, model: v.model, threads: readFlag(THREADS, v.threads), size: readFlag(SIZE, v.size),
    temperature: readFlag(TEMPERATURE, v.temperature), restore: parseRestoreOption(v.restore ?? 'off'), host: v.host, port: readFlag(PORT, v.port),
    token: v.token ?? env.CHROMA_TOKEN ?? null, allowOrigins: v['allow-origin'] ?? [], quality: readFlag(EDIT_QUALITY, v.quality),
  };
}

export async function runEditCommand(argv: string[]): Promise<number> {
  let o: ReturnType<typeof editOptionsFromArgv>;
  try {
    o = editOptionsFromArgv(argv);
  } catch (err) {
    process.stderr.write(`chroma serve: ${describeError(err)}\n`);
    return exitCodeOf(err);
  }
  if (o.help) {
    process.stdout.write(EDIT_HELP);
    return EXIT.ok;
  }
  const log = o.quiet ? () => {} : (l: string) => process.stderr.write(`${l}\n`);
  const stop = listenForStop({ repeat: true });
  try {
    if (!existsSync(o.film)) throw usageError(`${o.film}: no such file`);
    const info = await probeMedia(o.film);
    if (info.still) throw usageError(`${o.film}: a still image; --edit is for films`);
    const model = await loadModel(o.model, { device: o.device, ...(o.threads ? { threads: o.threads } : {}), log });
    if (!model.hintsName) throw hintsUnsupported(model);
    const hintsPath = o.hints ?? defaultHintsPath(o.film);
    const target = { width: info.width, height: info.height, media: 'video' as const, frameCount: info.frames ?? undefined, fps: info.fps ?? undefined };
    const hints = existsSync(hintsPath) ? await readHintsFile(hintsPath, target) : null;
    const tilt = hints?.reference ? await referenceTiltFor(model, { image: referenceImagePath(hintsPath, hints.reference), strength: hints.reference.strength }) : null;
    log(`chroma serve --edit: decoding ${o.film} (${info.frames ?? '?'} frames)…`);
    const session = await EditSession.open(model, info, {
      hints, hintsPath, tilt, renderPath: o.output, restore: o.restore, ...(o.size ? { size: o.size } : {}), ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    });
    const server = await startEditServer(session, {
      ...(o.host ? { host: o.host } : {}), ...(o.port !== undefined ? { port: o.port } : {}), token: o.token,
      allowOrigins: o.allowOrigins, ...(o.quality ? { quality: o.quality } : {}),
    });
    process.stdout.write(`chroma serve --edit: ${server.url}  (${session.frames} frames, ${hints ? `${hints.hints.length} hints from ` : 'hints save to '}${hintsPath})\n`);
    await stop.wait();
    await server.close();
    await model.release();
    return EXIT.ok;
  } catch (err) {
    process.stderr.write(`chroma serve: ${describeError(err)}\n`);
    return exitCodeOf(err);
  } finally {
    stop.dispose();
  }
}
