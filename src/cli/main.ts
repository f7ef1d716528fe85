#!/usr/bin/env node
// The `chroma` command: subcommands over the library. `chroma INPUT -o OUTPUT` is short for
// `chroma colorize INPUT -o OUTPUT`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';
import { runColorizeCommand } from './colorize-cli.js';
import { EXIT, describeError, exitCodeOf } from '../core/errors.js';
import { killAllChildren } from '../media/child.js';

const HELP = `chroma: colorize black-and-white video, stills and live streams

Usage:
  chroma colorize INPUT -o OUTPUT [options]   colorize a video, an image, or a folder
  chroma colorize IN -o OUT --queue URL --store S   submit to a farm and follow the run
  chroma worker --queue URL --store S         colorize queued segments until stopped
  chroma status [RUN] --queue URL             list runs, or re-attach to one
  chroma cancel RUN --queue URL --store S     give up a queued run
  chroma serve --input SRC [options]          live: camera/RTSP/file -> browser viewer over WebSocket
  chroma models list | pull NAME | convert F  the built-in model and the authors' ECCV16/SIGGRAPH17
  chroma shots FILM [--json]                  a film's shots, poster frames and camera setups
  chroma metrics COLORIZED [--original ORIG]  flicker, warping error, CDC, AuC, PSNR, colourfulness
  chroma bench [options]                      fps per stage, end to end, batch sweep, vs a peer
  chroma train PHOTOS_DIR -o MODEL.onnx       fine-tune the built-in model on your own colour photos

  chroma COMMAND --help                       options of one command
  chroma --version

Example:
  chroma colorize old-film.mp4 -o old-film-colour.mp4
`;

type Command = (argv: string[]) => Promise<number>;

// Subcommands load lazily: `chroma colorize` never pays for the server or the benchmark.
const lazy = (spec: string, name: string) => async (): Promise<Command> =>
  ((await import(spec)) as Record<string, Command>)[name];
const commands: Record<string, () => Promise<Command>> = {
  colorize: async () => runColorizeCommand,
  serve: lazy('./serve-cli.js', 'runServeCommand'),
  worker: lazy('./worker-cli.js', 'runWorkerCommand'),
  status: lazy('./status-cli.js', 'runStatusCommand'),
  cancel: lazy('./status-cli.js', 'runCancelCommand'),
  models: lazy('./models-cli.js', 'runModelsCommand'),
  metrics: lazy('./metrics-cli.js', 'runMetricsCommand'),
  shots: lazy('./shots-cli.js', 'runShotsCommand'),
  bench: lazy('../../bench/bench-cli.js', 'runBenchCommand'),
  train: lazy('./train-cli.js', 'runTrainCommand'),
};

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (!first || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(HELP);
    return first ? EXIT.ok : EXIT.usage;
  }
  if (first === '--version' || first === '-V') {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  const load = commands[first];
  if (load) return (await load())(rest);
  if (first.startsWith('-')) {
    process.stderr.write(`chroma: unknown option ${first} (see chroma --help)\n`);
    return EXIT.usage;
  }
  // `chroma INPUT -o OUTPUT` is short for colorize; a word that is no file but close to a command
  // name is a typo, not an input.
  const near = existsSync(first) ? null : nearestCommand(first, Object.keys(commands));
  if (near) {
    process.stderr.write(`chroma: unknown command '${first}' (did you mean '${near}'? see chroma --help)\n`);
    return EXIT.usage;
  }
  return runColorizeCommand(argv);
}

/** The command within two edits of `word` (the closest), or null. */
export function nearestCommand(word: string, names: string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const n of names) {
    const d = editDistance(word.toLowerCase(), n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

// Run when executed directly (bin), not when imported by tests.
const invoked = process.argv[1] ?? '';
if (/(?:main|chroma)(?:\.[jt]s)?$/.test(invoked)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      killAllChildren();
      process.stderr.write(`chroma: ${describeError(err)}\n`);
      process.exitCode = exitCodeOf(err);
    },
  );
}
