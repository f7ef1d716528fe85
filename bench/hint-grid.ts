// How long hint points live on real clips: a 5x5 grid of hints on frame 0 of each clip, followed by
// the file path's tracker (src/jobs/video-hints.ts, rings and all) to frame 99 or the clip's end.
// Reported per clip: points kept to the end, their mean life in frames, and why the others were
// lost; once with carrying by rings after a failed forward-backward check turned off (minCarryPoints
// 17) and once with the default, so the one change is measured on the same frames.
//
//   node --import tsx bench/hint-grid.ts [--clips DIR] [--json]
import { parseArgs } from 'node:util';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/model/load-model.js';
import { probeMedia } from '../src/media/probe.js';
import { planVideoHints } from '../src/jobs/video-hints.js';
import { ChildGroup } from '../src/media/child.js';
import type { Hint } from '../src/hints/hints-file.js';

const { values: opts } = parseArgs({
  options: { clips: { type: 'string', default: '/work/shared/data/videos' }, json: { type: 'boolean', default: false } },
});
const model = await loadModel('default', { log: () => {} });
const rows: Record<string, unknown>[] = [];
const totals: Record<string, number> = {};
for (const f of readdirSync(opts.clips).filter((n) => n.endsWith('.mp4')).sort()) {
  const info = await probeMedia(join(opts.clips, f));
  const last = Math.min(99, (info.frames ?? 100) - 1);
  const grid: Hint[] = [];
  for (let j = 1; j <= 5; j++) for (let i = 1; i <= 5; i++) grid.push({ x: Math.round((i * info.width) / 6), y: Math.round((j * info.height) / 6), ab: [0, 0], frame: 0, until: last });
  for (const [variant, carry] of [['no carrying', 17], ['default', undefined]] as const) {
    const plan = await planVideoHints(model, info, { hints: grid }, { children: new ChildGroup(), ...(carry ? { tracking: { minCarryPoints: carry } } : {}) });
    const kept = plan.spans.filter((s) => s !== null && s.last >= last).length;
    const life = plan.spans.reduce((a, s) => a + (s ? s.last - s.first + 1 : 0), 0) / grid.length;
    const lost: Record<string, number> = {};
    for (const l of plan.losses) lost[l.reason] = (lost[l.reason] ?? 0) + 1;
    rows.push({ clip: f, variant, frames: last + 1, kept, of: grid.length, meanLife: +life.toFixed(1), lost });
    totals[variant] = (totals[variant] ?? 0) + kept;
    if (!opts.json) console.log(`${f.padEnd(28)} ${variant.padEnd(12)} kept ${kept}/${grid.length} over ${last + 1} frames, mean life ${life.toFixed(1)}, lost ${JSON.stringify(lost)}`);
  }
}
await model.release();
if (opts.json) console.log(JSON.stringify({ rows, totals }));
else console.log(`total kept: ${Object.entries(totals).map(([k, v]) => `${k} ${v}`).join(', ')}`);
