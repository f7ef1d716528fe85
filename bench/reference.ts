// The reference photo alone on real clips (the "Reference photo" table of training/hints-experiments.md), without
// the hints and tracking passes of bench/hints.ts, so it can be rerun quickly after a change to
// the tilt.
//
//   node --import tsx bench/reference.ts [--model PATH] [--clips DIR] [--only a,b] [--frames N] [--strength S] [--tag T] [--work DIR] [--json]
//
// For each clip in DIR (default /work/shared/data/videos/*.mp4): the colour original is turned gray
// (ffmpeg format=gray, lossless FFV1; its first N frames with --frames) and colorized with no hints
// and no reference, then with the clip's own first colour frame as --reference (strength S, default
// 0.7). Reported, as bench/hints.ts does: colourfulness ratio and class-balanced AuC of each against
// the original (measureVideo, long side 320). The gray clip and the 0-hint run are kept in the work
// directory and reused by a later run with the same --frames (they do not depend on the tilt); the
// reference run is written as <clip>-ref-<tag>.mkv.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { Colorizer } from '../src/colorizer.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { measureVideo } from '../src/metrics/index.js';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'default' },
    clips: { type: 'string', default: '/work/shared/data/videos' },
    only: { type: 'string' },
    frames: { type: 'string' },
    strength: { type: 'string', default: '0.7' },
    tag: { type: 'string', default: 'now' },
    work: { type: 'string', default: join(tmpdir(), 'chroma-bench-reference') },
    json: { type: 'boolean', default: false },
  },
});
const FRAMES = opts.frames !== undefined ? Number(opts.frames) : undefined;
const STRENGTH = Number(opts.strength);
const WORK = opts.work!;
mkdirSync(WORK, { recursive: true });
const ff = (args: string[]) => execFileSync(FFMPEG, ['-v', 'error', '-y', ...args]);

interface Row { clip: string; frames: number; colorfulnessRatio: [number | null, number | null]; aucBalanced: [number | null, number | null] }
const colorizer = await Colorizer.create({ model: opts.model });
const rows: Row[] = [];
try {
  const only = opts.only?.split(',');
  const clips = readdirSync(opts.clips!).filter((f) => f.endsWith('.mp4') && (!only || only.includes(basename(f, '.mp4')))).sort();
  for (const file of clips) {
    const original = join(opts.clips!, file);
    const name = basename(file, '.mp4');
    const stem = join(WORK, `${name}-${FRAMES ?? 'all'}`);
    const gray = `${stem}-gray.mkv`, h0 = `${stem}-h0.mkv`, out = `${stem}-ref-${opts.tag}.mkv`, ref = join(WORK, `${name}-ref.png`);
    const limit = FRAMES !== undefined ? ['-frames:v', String(FRAMES)] : [];
    if (!existsSync(gray)) ff(['-i', original, '-an', ...limit, '-vf', 'format=gray', '-c:v', 'ffv1', gray]);
    if (!existsSync(ref)) ff(['-i', original, '-frames:v', '1', ref]);
    const run = (target: string, extra: Record<string, unknown>) => colorizer.colorize(gray, target, { overwrite: true, encode: { codec: 'ffv1' }, ...extra }).done;
    if (!existsSync(h0)) await run(h0, {});
    await run(out, { reference: { image: ref, strength: STRENGTH } });
    const m0 = await measureVideo(h0, original, { maxFrames: FRAMES });
    const mr = await measureVideo(out, original, { maxFrames: FRAMES });
    const row: Row = {
      clip: name, frames: mr.frames,
      colorfulnessRatio: [m0.accuracy?.colorfulnessRatio ?? null, mr.accuracy?.colorfulnessRatio ?? null],
      aucBalanced: [m0.accuracy?.aucBalanced ?? null, mr.accuracy?.aucBalanced ?? null],
    };
    rows.push(row);
    if (!opts.json) console.error(`${name}: ${JSON.stringify(row)}`);
  }
} finally {
  await colorizer.close();
}

if (opts.json) console.log(JSON.stringify({ model: opts.model, strength: STRENGTH, frames: FRAMES ?? null, tag: opts.tag, load: loadavg()[0], cores: cpus().length, rows }, null, 1));
else {
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  console.log(`model ${opts.model}, strength ${STRENGTH}, frames ${FRAMES ?? 'all'}; load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  console.log('| clip | frames | colourfulness / truth, 0 hints → reference | class-balanced AuC, 0 hints → reference |');
  console.log('| --- | ---: | --- | --- |');
  for (const r of rows) console.log(`| ${r.clip} | ${r.frames} | ${f(r.colorfulnessRatio[0])} → ${f(r.colorfulnessRatio[1])} | ${f(r.aucBalanced[0])} → ${f(r.aucBalanced[1])} |`);
}
