// "until": "setup" hints on films cut from the colour development clips as X1 Y1 X2 Y2 X3 (X2 and
// X3 taken later in X's source, so things have moved), colorized from their gray version with the
// built-in model three ways: no hints; 5 hints on X1's first frame with "until": "shot"; the same
// with "until": "setup". Each hint is the true ab of the colour film at one of 5 fixed points (the
// centre and the quadrants' centres, averaged over a 5x5 patch), as a person with the original would
// colour them. Printed: mean ab error (Lab, per pixel, every frame, at the film's 320 px) over X2+X3
// and over Y1+Y2 and the change against no hints; whether findShots grouped the pieces right; the
// setup pass's (findShots) time per minute of film.
//
//   node --import tsx bench/setup-hints.ts [--x sam2_dog] [--y sam2_juggle] [--work DIR] [--json]
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Colorizer, findShots } from '../src/index.js';
import { readRgbFrames } from '../src/metrics/frames.js';
import { abErrorPerFrame } from './lib/ab-error.js';
import { allocLab, rgbToLabPlanes, type LabPlanes } from '../src/metrics/lab-planes.js';
import { buildFilm, FILM, type Piece } from '../test/helpers/films.js';

const { values: opts } = parseArgs({
  options: {
    x: { type: 'string', default: 'sam2_dog' },
    y: { type: 'string', default: 'sam2_juggle' },
    work: { type: 'string', default: join(tmpdir(), 'chroma-bench-setup-hints') },
    json: { type: 'boolean', default: false },
  },
});
const WORK = opts.work!;
mkdirSync(WORK, { recursive: true });
const { width: W, height: H } = FILM;

// X1 Y1 X2 Y2 X3, one second each; X2 and X3 later in X (things have moved).
const X = `${opts.x}.mp4`, Y = `${opts.y}.mp4`;
const PIECES: Piece[] = [
  { clip: X, at: 0, seconds: 1 }, { clip: Y, at: 0, seconds: 1 }, { clip: X, at: 3, seconds: 1 },
  { clip: Y, at: 4, seconds: 1 }, { clip: X, at: 6, seconds: 1 },
];
const WANT_SETUPS = [0, 1, 0, 1, 0];
const colour = join(WORK, 'film-colour.mp4'), gray = join(WORK, 'film-gray.mp4');
const ranges = buildFilm(colour, PIECES, { gray: false });
buildFilm(gray, PIECES);

/** Per-frame mean ab distance of `a` against `b` (both W x H). */
const abPerFrame = (a: string, b: string) => abErrorPerFrame(a, b, { width: W, height: H });

/** Mean of the per-frame errors over the given pieces. */
const over = (errs: number[], pieces: number[]) => {
  const v = pieces.flatMap((p) => errs.slice(ranges[p].start, ranges[p].start + ranges[p].frames));
  return v.reduce((s, x) => s + x, 0) / v.length;
};

// The 5 fixed points and the colour film's true ab there on frame 0 (a 5x5 patch mean).
const POINTS = [[W / 2, H / 2], [W / 4, H / 4], [(3 * W) / 4, H / 4], [W / 4, (3 * H) / 4], [(3 * W) / 4, (3 * H) / 4]].map(([x, y]) => [Math.round(x), Math.round(y)]);
const first = readRgbFrames(colour, { width: W, height: H });
const lab: LabPlanes = allocLab(W, H);
rgbToLabPlanes((await first.next()).value as Buffer, lab);
await first.return(undefined);
const trueAb = (x: number, y: number): [number, number] => {
  let a = 0, b = 0, n = 0;
  for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) { const i = (y + dy) * W + x + dx; a += lab.a[i]; b += lab.b[i]; n++; }
  return [Math.round(a / n), Math.round(b / n)];
};
const hints = (until: 'shot' | 'setup') => ({ hints: POINTS.map(([x, y], k) => ({ id: `p${k}`, frame: 0, x, y, ab: trueAb(x, y), until })) });

const t0 = performance.now();
const shots = await findShots(gray);
const setupMs = performance.now() - t0;
const grouped = shots.shots.map((s) => s.setup);
const groupedRight = grouped.length === WANT_SETUPS.length && grouped.every((g, i) => g === WANT_SETUPS[i]);
const filmSeconds = ranges.reduce((s, r) => s + r.frames, 0) / FILM.fps;

const colorizer = await Colorizer.create({ model: 'default' });
const WAYS = [['no hints', undefined], ['until: shot', hints('shot')], ['until: setup', hints('setup')]] as const;
const rows: { way: string; x23: number; y12: number; lost: number; seconds: number }[] = [];
for (const [way, h] of WAYS) {
  const out = join(WORK, `film-${way.replace(/\W+/g, '-')}.mkv`);
  const t = performance.now();
  const r = await colorizer.colorize(gray, out, { overwrite: true, encode: { codec: 'ffv1' }, ...(h ? { hints: h } : {}) }).done;
  const seconds = (performance.now() - t) / 1000;
  const errs = await abPerFrame(out, colour);
  rows.push({ way, x23: over(errs, [2, 4]), y12: over(errs, [1, 3]), lost: r.hints?.losses.length ?? 0, seconds });
}
await colorizer.close();

const pct = (v: number, base: number) => `${v >= base ? '+' : ''}${(((v - base) / base) * 100).toFixed(1)} %`;
const base = rows[0];
if (opts.json) {
  console.log(JSON.stringify({ x: X, y: Y, grouped, groupedRight, setupMs, filmSeconds, rows, load: loadavg()[0], cores: cpus().length }, null, 1));
} else {
  console.log(`film ${X} / ${Y}: X1 Y1 X2 Y2 X3, ${W}x${H}, ${filmSeconds} s; load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  console.log(`findShots setups ${JSON.stringify(grouped)} (want ${JSON.stringify(WANT_SETUPS)}): ${groupedRight ? 'right' : 'WRONG'}; setup pass ${(setupMs / 1000).toFixed(2)} s = ${((setupMs / 1000) * (60 / filmSeconds)).toFixed(1)} s per minute of film`);
  console.log('| way | ab error X2+X3 | vs none | ab error Y1+Y2 | vs none | hints lost | colorize s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.way} | ${r.x23.toFixed(2)} | ${pct(r.x23, base.x23)} | ${r.y12.toFixed(2)} | ${pct(r.y12, base.y12)} | ${r.lost} | ${r.seconds.toFixed(1)} |`);
}
