// `node --import tsx bench/thread-cpu.ts CLIP...`: where the CPU of a colorization goes, thread by
// thread, on any clip (the suite's clips are generated gray testsrc2; real files are not). Each clip
// runs `--jobs` times through one Colorizer and the last (warm) job is reported: CPU milliseconds
// per frame of the main thread, of each other thread of this process (the pixel pool, the
// smoother, V8's helpers; by thread id, busiest first) and of the ffmpeg children, from /proc.
// With --baseline DIR (another chroma checkout with node_modules) each clip runs there too,
// alternating with this one, so both see the same load.
//   --model null (or a name/path as `chroma colorize --model`)  --jobs 2  --rounds 2  --baseline DIR
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSample, threadCpuMs } from './lib/cpu.js';

const { values: v, positionals: clips } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string', default: 'null' },
    jobs: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    baseline: { type: 'string' },
  },
});
if (!clips.length) {
  console.error('usage: node --import tsx bench/thread-cpu.ts CLIP... [--model null] [--jobs 2] [--rounds 2] [--baseline DIR]');
  process.exit(2);
}

interface ColorizerLike { colorize(i: string, o: string, opts: { overwrite: boolean }): { done: Promise<{ frames: number }> } }
interface ColorizerClass { create(o: { model: string }): Promise<ColorizerLike> }

async function colorizerFrom(root: string): Promise<ColorizerLike> {
  const file = join(resolve(root), 'src', 'colorizer.ts');
  if (!existsSync(file)) throw new Error(`${root}: no src/colorizer.ts`);
  const { Colorizer } = (await import(pathToFileURL(file).href)) as { Colorizer: ColorizerClass };
  return Colorizer.create({ model: v.model });
}

/** CPU ms of each thread of this process, and of its reaped children. */
function sample(): { threads: Map<string, number>; children: number } {
  const threads = threadCpuMs(), all = cpuSample();
  if (!threads || !all) throw new Error('bench/thread-cpu.ts reads /proc (Linux only)');
  return { threads, children: all.children };
}

const sides: Array<[string, ColorizerLike]> = [['this', await colorizerFrom('.')]];
if (v.baseline) sides.push(['baseline', await colorizerFrom(v.baseline)]);
const work = mkdtempSync(join(tmpdir(), 'chroma-thread-cpu-'));
const main = String(process.pid);
console.log('| clip | code | fps | CPU ms/frame | main | other threads (busiest first) | ffmpeg |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
try {
  for (let round = 0; round < Number(v.rounds); round++) {
    for (const clip of clips) {
      for (const [side, colorizer] of sides) {
        let line = '';
        for (let job = 0; job < Number(v.jobs); job++) {
          const a = sample(), t0 = performance.now();
          const { frames } = await colorizer.colorize(clip, join(work, 'out.mp4'), { overwrite: true }).done;
          const seconds = (performance.now() - t0) / 1000, b = sample();
          const per = (ms: number) => ms / frames;
          const others = [...b.threads].filter(([t]) => t !== main).map(([t, ms]) => per(ms - (a.threads.get(t) ?? 0))).filter((ms) => ms > 0).sort((x, y) => y - x);
          const mainMs = per((b.threads.get(main) ?? 0) - (a.threads.get(main) ?? 0)), children = per(b.children - a.children);
          const total = mainMs + others.reduce((s, x) => s + x, 0) + children;
          line = `| ${basename(clip)} | ${side} | ${(frames / seconds).toFixed(1)} | ${total.toFixed(1)} | ${mainMs.toFixed(1)} | ${others.map((x) => x.toFixed(1)).join(' ')} | ${children.toFixed(1)} |`;
        }
        console.log(line);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
