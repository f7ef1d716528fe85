// `chroma metrics COLORIZED [--original ORIG] [--json]`: temporal and colour-accuracy metrics of a
// colorized video (see src/metrics/index.ts), as a table or one JSON object.
import { HELP, JSON_EVENTS, optionLines, parseFlags, readFlag } from './flags.js';
import { option } from '../core/options.js';
import { measureVideo, DEFAULT_METRIC_LONG_SIDE, type VideoMetrics, type TemporalMetrics } from '../metrics/index.js';
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';

const ORIGINAL = option({
  flag: 'original', short: 'r', arg: 'ORIG', type: 'string', default: 'none',
  doc: "the colour original (same clip): adds AuC, class-balanced AuC, PSNR, colourfulness ratio and the original's own flicker",
});
const WORK_SIZE = option({
  flag: 'size', arg: 'N', type: 'integer', min: 0, max: 16384, default: String(DEFAULT_METRIC_LONG_SIDE),
  doc: "working size: long side in pixels (0 = the video's own size)",
});
const FRAMES = option({ flag: 'frames', arg: 'N', type: 'integer', min: 1, max: 1e9, default: 'all', doc: 'measure at most N frames' });
const METRICS_FLAGS = [ORIGINAL, WORK_SIZE, FRAMES, { ...JSON_EVENTS, doc: 'one JSON object on stdout instead of the table' }, HELP] as const;

export const METRICS_HELP = `Usage: chroma metrics COLORIZED [--original ORIG] [options]

Temporal consistency of a colorized video and, with its colour original, colour accuracy.

Options:
${optionLines(METRICS_FLAGS)}

Metrics:
  flicker        mean |delta ab| (CIE Lab units) between consecutive frames along optical flow,
                 over non-occluded pixels (forward-backward check)
  warping error  Lai et al. 2018: mean squared RGB difference ([0,1], summed over channels) to
                 the previous frame warped by the flow, over non-occluded pixels
  CDC            colour distribution consistency: Jensen-Shannon divergence of the R, G, B
                 histograms of frames t and t+g, g = 1, 2, 4 (natural log)
  AuC            area under the cumulative ab-error curve, thresholds 0..150, in 0..100;
                 class-balanced: every true 313-bin colour class weighted equally
  PSNR           8-bit sRGB, mean over frames

Exit codes: 0 ok, 2 usage, 3 bad input.
`;

export interface MetricsIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: MetricsIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export async function runMetricsCommand(argv: string[], io: MetricsIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags('metrics', argv, METRICS_FLAGS);
  } catch (err) {
    io.err(`chroma metrics: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.out(METRICS_HELP);
    return EXIT.ok;
  }
  try {
    if (positionals.length !== 1) throw usageError('expected exactly one COLORIZED video (see chroma metrics --help)');
    const longSide = readFlag(WORK_SIZE, v.size);
    const maxFrames = readFlag(FRAMES, v.frames);
    const m = await measureVideo(positionals[0], v.original ?? null, { longSide, maxFrames });
    io.out(v.json ? `${JSON.stringify(m)}\n` : formatMetrics(m));
    return EXIT.ok;
  } catch (err) {
    const line = describeError(err);
    if (v.json) io.out(`${JSON.stringify({ event: 'error', message: line, exitCode: exitCodeOf(err) })}\n`);
    io.err(`chroma metrics: ${line}\n`);
    return exitCodeOf(err);
  }
}

const fmt = (x: number | null | undefined, digits: number): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** The human-readable table. */
export function formatMetrics(m: VideoMetrics): string {
  const lines: string[] = [];
  const occl = m.nonOccluded === null ? '' : `, ${Math.round(100 * m.nonOccluded)}% of pixels non-occluded`;
  lines.push(`${m.colorized}${m.original ? ` vs ${m.original}` : ''}`);
  lines.push(`${m.frames} frames at ${m.width}x${m.height}, flow on the ${m.flowFrom}${occl}`, '');
  const rows: [string, keyof TemporalMetrics, number][] = [
    ['flicker (Lab ab)', 'flicker', 3],
    ['warping error', 'warpingError', 5],
    ['CDC', 'cdc', 5],
    ['colourfulness', 'colorfulness', 2],
  ];
  const pad = (s: string, n: number) => s.padStart(n);
  if (m.reference) {
    lines.push(`${'temporal'.padEnd(20)}${pad('colorized', 11)}${pad('original', 11)}${pad('ratio', 9)}`);
    for (const [label, key, d] of rows) {
      const a = m.video[key], b = m.reference[key];
      const ratio = a !== null && b ? a / b : null;
      lines.push(`${label.padEnd(20)}${pad(fmt(a, d), 11)}${pad(fmt(b, d), 11)}${pad(fmt(ratio, 2), 9)}`);
    }
  } else {
    lines.push(`${'temporal'.padEnd(20)}${pad('colorized', 11)}`);
    for (const [label, key, d] of rows) lines.push(`${label.padEnd(20)}${pad(fmt(m.video[key], d), 11)}`);
  }
  if (m.accuracy) {
    lines.push('', 'accuracy vs the original');
    lines.push(`${'AuC (ab, 0..150)'.padEnd(20)}${pad(fmt(m.accuracy.auc, 2), 11)}`);
    lines.push(`${'AuC class-balanced'.padEnd(20)}${pad(fmt(m.accuracy.aucBalanced, 2), 11)}`);
    lines.push(`${'PSNR (sRGB, dB)'.padEnd(20)}${pad(fmt(m.accuracy.psnr, 2), 11)}`);
  }
  for (const n of m.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
