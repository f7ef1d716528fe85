// `chroma train PHOTOS_DIR -o my-model.onnx`: fine-tune the built-in model on a folder of colour photos
// (src/model/train.ts does the work; this file is flags, progress and exit codes).
import { HELP, JSON_EVENTS, OUTPUT, OVERWRITE, QUIET, optionLines, parseFlags, readFlag } from './flags.js';
import { option } from '../core/options.js';
import { THREADS } from '../core/option-specs.js';
import { listenForStop } from './stop-signal.js';
import { ProgressBar } from './progress-bar.js';
import { trainModel, type TrainEvent } from '../model/train.js';
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';

const FROM = option({ flag: 'from', arg: 'F', type: 'choice', choices: ['default', 'scratch'], default: 'default', doc: "start from the built-in model's weights, or random ones" });
const MINUTES = option({ flag: 'minutes', arg: 'N', type: 'number', min: 0.2, max: 10080, default: '20', doc: 'training time in minutes, validation not counted' });
const PYTHON = option({ flag: 'python', arg: 'P', type: 'string', default: '$CHROMA_PYTHON, then python3', doc: 'Python 3 with torch, numpy and Pillow' });
const WORK_DIR = option({
  flag: 'work-dir', arg: 'DIR', type: 'string', default: '.MODEL.onnx.chroma-train/ beside the output',
  doc: 'cache, checkpoints and log; removed after a successful run unless --keep-work-dir',
});
const KEEP_WORK_DIR = option({ flag: 'keep-work-dir', type: 'boolean', default: 'off', doc: 'keep the work folder after success too' });
export const TRAIN_FLAGS = [
  { ...OUTPUT, arg: 'FILE', doc: 'the model to write (.onnx; a sidecar FILE.json is written beside it)' }, FROM, MINUTES, PYTHON,
  { ...THREADS, default: '2', doc: 'CPU threads for torch (CUDA is used when torch has it)' }, WORK_DIR, KEEP_WORK_DIR, { ...OVERWRITE, doc: 'replace an existing model file' },
  { ...JSON_EVENTS, doc: 'NDJSON events on stdout: start, progress, validation, summary, error' }, QUIET, HELP,
] as const;

export const TRAIN_HELP = `Usage: chroma train PHOTOS_DIR -o MODEL.onnx [options]

Fine-tunes the built-in model on your own colour photos (an archive of period photographs, say) with the
method it was trained with: soft-encoded cross-entropy over the 313 ab bins with class rebalancing, and
simulated colour hints, so the result still takes --hints. Then: chroma colorize film.mp4 -o out.mp4 --model MODEL.onnx

Options:
${optionLines(TRAIN_FLAGS)}

PHOTOS_DIR: jpg/png photos, also one folder level down; at least 2 (about a tenth, at most 50, are kept
aside for validation). The model is written only if it beats the starting weights on those validation
photos; otherwise nothing is written and it exits 9. Interrupted (Ctrl-C, a crash) or not better yet?
Run the same command again (with a larger --minutes): it continues from the work folder's last checkpoint.
Without torch it says in one line how to install it. The model is named after its file (mine.onnx: "mine").

Exit codes: 0 ok, 2 usage, 3 no photos, 4 output exists or not writable, 8 no Python with torch,
9 no better than the starting model (nothing written), 130 interrupted (rerun to continue), 1 the trainer failed.
`;

export async function runTrainCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags('train', argv, TRAIN_FLAGS);
  } catch (err) {
    process.stderr.write(`chroma train: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(TRAIN_HELP);
    return EXIT.ok;
  }
  const json = Boolean(v.json);
  const emit = (o: object) => json && process.stdout.write(`${JSON.stringify(o)}\n`);
  const bar = new ProgressBar('training');
  const stop = listenForStop();
  try {
    if (positionals.length !== 1) throw usageError('expected exactly one PHOTOS_DIR (see chroma train --help)');
    if (!v.output) throw usageError('-o MODEL.onnx is required (see chroma train --help)');
    const from = readFlag(FROM, v.from);
    const minutes = readFlag(MINUTES, v.minutes);
    const threads = readFlag(THREADS, v.threads);
    const onEvent = (e: TrainEvent) => {
      emit({ event: e.type, ...e, type: undefined });
      if (json || v.quiet) return;
      if (e.type === 'start') {
        process.stderr.write(`training on ${e.photos} photos (${e.validation} for validation), ${e.device}, ${e.resumed ? 'continuing' : 'work folder'} ${e.workDir}\n`);
      } else if (e.type === 'progress') {
        bar.draw(e.minutes / e.totalMinutes, `step ${e.step}  loss ${e.loss.toFixed(3)}  ${e.imagesPerSecond.toFixed(1)} img/s  ETA ${Math.ceil(e.etaSeconds / 60)} min`);
      } else if (e.type === 'validation') {
        bar.done();
        process.stderr.write(`validation at step ${e.step}: loss ${e.loss.toFixed(4)}, AuC ${e.auc.toFixed(2)}, class-balanced AuC ${e.cbAuc.toFixed(2)}${e.best ? ' (best so far: model updated)' : ''}\n`);
      }
    };
    const r = await trainModel({
      photos: positionals[0], output: v.output, from, minutes, threads,
      python: v.python, workDir: v['work-dir'], keepWorkDir: Boolean(v['keep-work-dir']), overwrite: Boolean(v.overwrite), onEvent, signal: stop.signal,
    });
    bar.done();
    emit({ event: 'summary', ...r });
    if (!json) {
      process.stderr.write(`wrote ${r.output} ("${r.name}"; ${r.steps} steps, ${r.minutes.toFixed(1)} min; validation loss ` +
        `${r.startValidationLoss?.toFixed(4) ?? '-'} at the start, ${r.bestValidationLoss?.toFixed(4) ?? '-'} best)\n`);
    }
    return EXIT.ok;
  } catch (err) {
    bar.done();
    const line = describeError(err);
    emit({ event: 'error', message: line, exitCode: exitCodeOf(err) });
    process.stderr.write(`chroma train: ${line}\n`);
    return exitCodeOf(err);
  } finally {
    stop.dispose();
  }
}
