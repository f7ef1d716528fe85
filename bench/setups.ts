// The colour jump when a film cuts back to a camera setup (issue 24, item 5), with no hints.
//
//   node --import tsx bench/setups.ts [--model default] [--work DIR] [--json]
//
// Each film is cut from two colour development clips as A1 B1 A2 B2 A3 (test/helpers/films.ts:
// 320x180, 25 fps; A2, A3 and B2 later in their clip, A2 moved a few pixels, so things have moved).
// Its gray version is colorized through the library with the given model, no hints and default
// options (lossless FFV1 out, so the codec does not add to the figures). For every return to a
// setup (A2, B2, A3) the last FRAMES frames of the setup's previous shot and the first FRAMES of the
// returning shot are averaged into one ab picture each, in our output and in the colour film
// (the truth), and compared two ways:
//   - cast: the distance between the two pictures' mean ab (the setup's overall colour jumping);
//   - pixel: the mean per-pixel ab distance (includes what moved, so the truth is not 0 either).
// ours/truth > 1 means the cut back changes colour more than the scene did. The shot boundaries are
// the pieces' (known); findShots runs on the gray film separately and its grouping is reported.
// Carried (a trial of carrying the setup's colours forward, default on, --no-carry skips it): each
// returning shot is colorized again on its own with our output's last frame of the setup's previous
// shot as the reference photo (the reference tilt, src/hints/reference-tilt.ts, strength 0.7), and
// its start is compared with the same end of the previous shot.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { Colorizer } from '../src/colorizer.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { readRgbFrames } from '../src/metrics/frames.js';
import { allocLab, rgbToLabPlanes } from '../src/metrics/lab-planes.js';
import { findShots } from '../src/shots/index.js';
import { buildFilm, FILM, type Piece } from '../test/helpers/films.js';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'default' },
    work: { type: 'string', default: join(tmpdir(), 'chroma-bench-setups') },
    json: { type: 'boolean', default: false },
    'no-carry': { type: 'boolean', default: false },
  },
});
const WORK = opts.work!;
mkdirSync(WORK, { recursive: true });

/** Frames averaged on each side of a cut back. */
const FRAMES = 3;

/** A B A B A: pieces of A (and of B) a few seconds apart are one setup. */
function cutBack(a: string, b: string, at: { a: number[]; b: number[] }, seconds: number): Piece[] {
  return [
    { clip: a, at: at.a[0], seconds }, { clip: b, at: at.b[0], seconds },
    { clip: a, at: at.a[1], seconds, move: [6, 4] }, { clip: b, at: at.b[1], seconds },
    { clip: a, at: at.a[2], seconds },
  ];
}

const FILMS: { name: string; pieces: Piece[] }[] = [
  { name: 'dog-juggle', pieces: cutBack('sam2_dog.mp4', 'sam2_juggle.mp4', { a: [0, 2.5, 5], b: [0, 3] }, 1.2) },
  { name: 'book-car', pieces: cutBack('intel_asl_book.mp4', 'davis_car-roundabout.mp4', { a: [0, 1.3, 2.6], b: [0, 1.6] }, 0.8) },
];
/** The setup of each piece: A is 0, B is 1. */
const SETUPS = [0, 1, 0, 1, 0];

type Ab = { a: Float64Array; b: Float64Array };

/** Per wanted frame index, its ab planes (at the film's size). */
async function abFrames(path: string, wanted: Set<number>): Promise<Map<number, Ab>> {
  const { width, height } = FILM;
  const lab = allocLab(width, height);
  const out = new Map<number, Ab>();
  let i = 0;
  for await (const rgb of readRgbFrames(path, { width, height })) {
    if (wanted.has(i)) {
      rgbToLabPlanes(rgb, lab);
      out.set(i, { a: Float64Array.from(lab.a), b: Float64Array.from(lab.b) });
    }
    i++;
  }
  return out;
}

/** The mean of frames [from, to) as one ab picture. */
function meanAb(frames: Map<number, Ab>, from: number, to: number): Ab {
  const n = FILM.width * FILM.height;
  const m: Ab = { a: new Float64Array(n), b: new Float64Array(n) };
  for (let f = from; f < to; f++) {
    const x = frames.get(f)!;
    for (let i = 0; i < n; i++) {
      m.a[i] += x.a[i] / (to - from);
      m.b[i] += x.b[i] / (to - from);
    }
  }
  return m;
}

/** cast: distance of the two pictures' mean ab; pixel: mean per-pixel ab distance. */
function change(p: Ab, q: Ab): { cast: number; pixel: number } {
  const n = p.a.length;
  let da = 0, db = 0, pixel = 0;
  for (let i = 0; i < n; i++) {
    da += p.a[i] - q.a[i];
    db += p.b[i] - q.b[i];
    pixel += Math.hypot(p.a[i] - q.a[i], p.b[i] - q.b[i]);
  }
  return { cast: Math.hypot(da / n, db / n), pixel: pixel / n };
}

interface Return {
  film: string;
  /** Returning shot and the setup's previous shot (piece indices). */
  shot: number;
  from: number;
  ours: { cast: number; pixel: number };
  /** Ours with the setup's colours carried forward (null with --no-carry). */
  carried: { cast: number; pixel: number } | null;
  truth: { cast: number; pixel: number };
}

const colorizer = await Colorizer.create({ model: opts.model });
const returns: Return[] = [];
const grouping: { film: string; expected: number[]; found: number[]; starts: number[]; right: boolean }[] = [];
try {
  for (const film of FILMS) {
    const colour = join(WORK, `${film.name}-colour.mp4`);
    const gray = join(WORK, `${film.name}-gray.mkv`);
    const ours = join(WORK, `${film.name}-ours.mkv`);
    const pieces = buildFilm(colour, film.pieces, { gray: false });
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', colour, '-an', '-vf', 'format=gray', '-c:v', 'ffv1', gray]);
    await colorizer.colorize(gray, ours, { overwrite: true, encode: { codec: 'ffv1' } }).done;

    const map = await findShots(gray);
    const found = map.shots.map((s) => s.setup);
    const right = found.length === SETUPS.length && found.every((s, i) => s === SETUPS[i])
      && map.shots.every((s, i) => Math.abs(s.start - pieces[i].start) <= 2);
    grouping.push({ film: film.name, expected: SETUPS, found, starts: map.shots.map((s) => s.start), right });

    // Each return: the latest earlier piece of its setup.
    const pairs = SETUPS.flatMap((s, i) => {
      const from = SETUPS.slice(0, i).lastIndexOf(s);
      return from < 0 ? [] : [{ shot: i, from }];
    });
    const wanted = new Set<number>();
    for (const { shot, from } of pairs) {
      const end = pieces[from].start + pieces[from].frames;
      for (let k = 0; k < FRAMES; k++) wanted.add(end - 1 - k).add(pieces[shot].start + k);
    }
    const [o, t] = await Promise.all([abFrames(ours, wanted), abFrames(colour, wanted)]);
    for (const { shot, from } of pairs) {
      const end = pieces[from].start + pieces[from].frames, start = pieces[shot].start;
      let carried: Return['carried'] = null;
      if (!opts['no-carry']) {
        const ref = join(WORK, `${film.name}-ref${shot}.png`), piece = join(WORK, `${film.name}-piece${shot}.mkv`);
        const carriedOut = join(WORK, `${film.name}-carried${shot}.mkv`);
        execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', ours, '-vf', `select=eq(n\\,${end - 1})`, '-frames:v', '1', ref]);
        execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', gray, '-vf', `trim=start_frame=${start}:end_frame=${start + pieces[shot].frames},setpts=PTS-STARTPTS`, '-c:v', 'ffv1', piece]);
        await colorizer.colorize(piece, carriedOut, { overwrite: true, encode: { codec: 'ffv1' }, reference: { image: ref, strength: 0.7 } }).done;
        const c = await abFrames(carriedOut, new Set(Array.from({ length: FRAMES }, (_, k) => k)));
        carried = change(meanAb(o, end - FRAMES, end), meanAb(c, 0, FRAMES));
      }
      returns.push({
        film: film.name, shot, from, carried,
        ours: change(meanAb(o, end - FRAMES, end), meanAb(o, start, start + FRAMES)),
        truth: change(meanAb(t, end - FRAMES, end), meanAb(t, start, start + FRAMES)),
      });
    }
  }
} finally {
  await colorizer.close();
}

const mean = (f: (r: Return) => number) => returns.reduce((s, r) => s + f(r), 0) / returns.length;
const summary = {
  cast: { ours: mean((r) => r.ours.cast), truth: mean((r) => r.truth.cast) },
  pixel: { ours: mean((r) => r.ours.pixel), truth: mean((r) => r.truth.pixel) },
  carried: opts['no-carry'] ? null : { cast: mean((r) => r.carried!.cast), pixel: mean((r) => r.carried!.pixel) },
  groupedRight: grouping.filter((g) => g.right).length,
};
if (opts.json) {
  console.log(JSON.stringify({ model: opts.model, frames: FRAMES, load: loadavg()[0], cores: cpus().length, grouping, returns, summary }, null, 1));
} else {
  const f = (v: number) => v.toFixed(2);
  const names = ['A1', 'B1', 'A2', 'B2', 'A3'];
  console.log(`model ${opts.model}; ${FRAMES} frames each side; load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  const cf = (v: number | undefined) => (v === undefined ? '-' : f(v));
  console.log('| film | cut back | cast jump ours | carried | truth | ratio ours/truth | pixel change ours | carried | truth | ratio ours/truth |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of returns) {
    console.log(`| ${r.film} | ${names[r.from]} -> ${names[r.shot]} | ${f(r.ours.cast)} | ${cf(r.carried?.cast)} | ${f(r.truth.cast)} | ${f(r.ours.cast / r.truth.cast)} | ${f(r.ours.pixel)} | ${cf(r.carried?.pixel)} | ${f(r.truth.pixel)} | ${f(r.ours.pixel / r.truth.pixel)} |`);
  }
  console.log(`| mean | | ${f(summary.cast.ours)} | ${cf(summary.carried?.cast)} | ${f(summary.cast.truth)} | ${f(summary.cast.ours / summary.cast.truth)} | ${f(summary.pixel.ours)} | ${cf(summary.carried?.pixel)} | ${f(summary.pixel.truth)} | ${f(summary.pixel.ours / summary.pixel.truth)} |`);
  for (const g of grouping) {
    console.log(`findShots ${g.film}: setups ${JSON.stringify(g.found)} (expected ${JSON.stringify(g.expected)}), shot starts ${JSON.stringify(g.starts)}: ${g.right ? 'right' : 'WRONG'}`);
  }
}
