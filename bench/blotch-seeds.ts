// Blotches alone over many seeds: bench/restore.ts's `blotches` case (the synthetic blotches and
// tears, nothing else; the blotch stage alone, preset auto) with seeds A..B on each clip, pooled.
// One seed puts 8-17 blotches on a 24-frame clip, too few to judge a change by; six seeds on two
// clips put about 150.
//
//   node --import tsx bench/blotch-seeds.ts [--clips sam2_dog,davis_car-roundabout] [--seeds 1-6] [--frames 24] [--json]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESTORE_PRESETS, type RestoreSettings } from '../src/restore/options.js';
import { poolBlotchStats, type BlotchGroupStats } from './blotch-metrics.js';
import { CASES, CLIP_DIR, measureCase, readGrayL } from './restore.js';

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      clips: { type: 'string', default: 'sam2_dog,davis_car-roundabout' },
      seeds: { type: 'string', default: '1-6' },
      frames: { type: 'string', default: '24' },
      json: { type: 'boolean' },
    },
  });
  const m = /^(\d+)-(\d+)$/.exec(v.seeds!);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--seeds ${v.seeds}: expected A-B, whole numbers, A <= B`);
  const frames = Number(v.frames);
  if (!Number.isInteger(frames) || frames < 5) throw new Error(`--frames ${v.frames}: expected a whole number >= 5`);
  const blotches = CASES.find((c) => c.name === 'blotches')!;
  const only: RestoreSettings = { flicker: null, dust: null, scratches: null, grain: null, blotches: RESTORE_PRESETS.auto.blotches };
  const all: BlotchGroupStats[][] = [];
  const perClip: Record<string, BlotchGroupStats[]> = {};
  for (const name of v.clips!.split(',')) {
    const path = join(CLIP_DIR, `${name}.mp4`);
    if (!existsSync(path)) {
      console.log(`${name}: not found, skipped`);
      continue;
    }
    const clip = await readGrayL(path, frames);
    const mine: BlotchGroupStats[][] = [];
    for (let seed = Number(m[1]); seed <= Number(m[2]); seed++) {
      const r = await measureCase(clip, blotches.name, blotches.damage, only, seed);
      if (r.blotches) mine.push(r.blotches);
    }
    all.push(...mine);
    perClip[name] = poolBlotchStats(mine);
    if (!v.json) console.log(`${name.padEnd(22)} ` + perClip[name]!.map((g) => `${g.group} (${g.count}) ${gain(g)}`).join(' | '));
  }
  const pooled = poolBlotchStats(all);
  if (v.json) {
    console.log(JSON.stringify({ seeds: v.seeds, frames, perClip, pooled }, null, 1));
    return;
  }
  console.log(`\npooled over clips and seeds ${v.seeds} (PSNR of L over the blotches' pixels):`);
  for (const g of pooled) console.log(`  ${g.group.padEnd(22)} ${String(g.count).padStart(4)} blotches  ${g.psnrDamaged.toFixed(2)} -> ${g.psnrRestored.toFixed(2)} dB (${gain(g)}), repaired ${(100 * g.repaired).toFixed(1)} %`);
}

function gain(g: BlotchGroupStats): string {
  const d = g.psnrRestored - g.psnrDamaged;
  return `${d >= 0 ? '+' : ''}${d.toFixed(2)} dB`;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
