// `chroma train PHOTOS_DIR -o my-model.onnx`: fine-tune the built-in model on a folder of colour photos
// (src/model/train.ts does the work; this file is flags, progress and exit codes).
import { numberFlag, parseFlags } from './flags.js';
import { ProgressBar } from './progress-bar.js';
import { trainModel, type TrainEvent } from '../model/train.js';
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';

export const TRAIN_HELP = `Usage: chroma train PHOTOS_DIR -o MODEL.onnx [options]

Fine-tunes the built-in model on your own colour photos (an archive of period photographs, say) with the
method it was trained with: soft-encoded cross-entropy over the 313 ab bins with class rebalancing, and
simulated colour hints, so the result still takes --hints. Then: chroma colorize film.mp4 -o out.mp4 --model MODEL.onnx

Options:
  -o, --output FILE   the model to write (.onnx; a sidecar FILE.json is written beside it)
  --from F            default: start from the built-in model's weights; scratch: random weights (default: default)
  --minutes N         training time in minutes, validation not counted (default 20; 0.2 to 10080)
  --python P          Python 3 with torch, numpy and Pillow (default: $CHROMA_PYTHON, then python3)
  --threads N         CPU threads for torch (default 2); CUDA is used when torch has it
  --work-dir DIR      cache, checkpoints and log (default .MODEL.onnx.chroma-train/ beside the output);
                      removed after a successful run unless --keep-work-dir
  --keep-work-dir     keep the work folder after success too
  -y, --overwrite     replace an existing model file
  --json              NDJSON events on stdout: start, progress, validation, summary, error
  -q, --quiet         no progress bar
  -h, --help          this help

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
    parsed = parseFlags('train', argv, {
      output: { type: 'string', short: 'o' },
      from: { type: 'string' },
      minutes: { type: 'string' },
      python: { type: 'string' },
      threads: { type: 'string' },
      'work-dir': { type: 'string' },
      'keep-work-dir': { type: 'boolean' },
      overwrite: { type: 'boolean', short: 'y' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    });
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
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    if (positionals.length !== 1) throw usageError('expected exactly one PHOTOS_DIR (see chroma train --help)');
    if (!v.output) throw usageError('-o MODEL.onnx is required (see chroma train --help)');
    if (v.from !== undefined && v.from !== 'default' && v.from !== 'scratch') throw usageError(`--from must be default or scratch, got '${v.from}'`);
    const minutes = numberFlag(v.minutes, 'minutes', 0.2, 10080);
    const threads = numberFlag(v.threads, 'threads', 1, 256, true);
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
      photos: positionals[0], output: v.output, from: v.from as 'default' | 'scratch' | undefined, minutes, threads,
      python: v.python, workDir: v['work-dir'], keepWorkDir: Boolean(v['keep-work-dir']), overwrite: Boolean(v.overwrite), onEvent, signal: ac.signal,
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
    process.removeListener('SIGINT', onSigint);
  }
}
