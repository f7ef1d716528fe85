// `chroma shots FILM [--json]`: the film's shots, their camera setups and each shot's poster frame, as a
// table or one JSON object (findShots' ShotMap).
import { HELP, JSON_EVENTS, optionLines, parseFlags, readFlag } from './flags.js';
import { CUT_THRESHOLD, SETUP_THRESHOLD } from '../core/option-specs.js';
import { findShots, type ShotMap } from '../shots/index.js';
import { EXIT, describeError, exitCodeOf, usageError } from '../core/errors.js';

export const SHOTS_FLAGS = [
  CUT_THRESHOLD, SETUP_THRESHOLD, { ...JSON_EVENTS, doc: 'one JSON object on stdout (the library\'s ShotMap) instead of the table' }, HELP,
] as const;

export const SHOTS_HELP = `Usage: chroma shots FILM [options]

The film's shots (runs of frames between two cuts), each with its poster frame (the frame that
stands for it), grouped into camera setups: the shots that show one view, the camera moved a
little and people come and gone (a dialogue cutting back and forth is two setups). Hints with
"until": "setup" reach every shot of their setup (docs/hints.md). One pass over the film at
160 px wide; nothing is written.

Options:
${optionLines(SHOTS_FLAGS)}

Example:
  chroma shots old-film.mp4
  chroma shots old-film.mp4 --json | jq '.setups'

Exit codes: 0 ok, 2 usage (a bad option, a still), 3 bad input (unreadable film).
`;

export interface ShotsIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: ShotsIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export async function runShotsCommand(argv: string[], io: ShotsIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags('shots', argv, SHOTS_FLAGS);
  } catch (err) {
    io.err(`chroma shots: ${describeError(err)}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.out(SHOTS_HELP);
    return EXIT.ok;
  }
  try {
    if (positionals.length !== 1) throw usageError('expected exactly one FILM (see chroma shots --help)');
    const cutThreshold = readFlag(CUT_THRESHOLD, v['cut-threshold']);
    const setupThreshold = readFlag(SETUP_THRESHOLD, v['setup-threshold']);
    const map = await findShots(positionals[0], {
      ...(cutThreshold !== undefined ? { cutThreshold } : {}), ...(setupThreshold !== undefined ? { setupThreshold } : {}),
    });
    io.out(v.json ? `${JSON.stringify(map)}\n` : formatShots(positionals[0], map));
    return EXIT.ok;
  } catch (err) {
    const line = describeError(err);
    if (v.json) io.out(`${JSON.stringify({ event: 'error', message: line, exitCode: exitCodeOf(err) })}\n`);
    io.err(`chroma shots: ${line}\n`);
    return exitCodeOf(err);
  }
}

/** The human-readable table: one line a shot, then one a setup. */
export function formatShots(film: string, m: ShotMap): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const lines = [`${film}: ${plural(m.frames, 'frame')} at ${m.fps.toFixed(2)} fps, ${plural(m.shots.length, 'shot')} in ${plural(m.setups.length, 'camera setup')}`, ''];
  lines.push(`${'shot'.padStart(4)}  ${'frames'.padEnd(13)}  ${'poster frame'.padEnd(17)}  ${'setup'.padStart(5)}  confidence`);
  for (const s of m.shots) {
    const first = m.setups[s.setup].shots[0] === s.index;
    lines.push(`${String(s.index).padStart(4)}  ${`${s.start}-${s.end - 1}`.padEnd(13)}  ${`${s.posterFrame} (${s.posterTime.toFixed(2)} s)`.padEnd(17)}  ${String(s.setup).padStart(5)}  ${first ? 'first of its setup' : s.setupConfidence.toFixed(2)}`);
  }
  lines.push('');
  for (const st of m.setups) lines.push(`setup ${st.index}: ${st.shots.length === 1 ? 'shot' : 'shots'} ${st.shots.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
