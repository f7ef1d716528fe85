// `node --import tsx bench/workers.ts`: the pixel pool's figures (issue 25, item 2). For each clip
// size, in one session: a colour transcode of the clip's colour twin (decode + the pipeline's x264
// settings), then for each model the end-to-end colorization at each --workers value, with the
// main thread's CPU per frame read from /proc. Short and interleaved, so the runs see the same load.
//   --clips 1920x1080,640x480  --seconds 2  --fps 25  --workers 0,1,2  --models null,default  --smooth medium
import { parseArgs } from 'node:util';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Colorizer } from '../src/index.js';
import { StageTimer } from '../src/core/stage-timer.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { defaultPixelWorkers } from '../src/pool/pixel-pool.js';
import { makeClip, parseSize, clipLabel } from './lib/clips.js';
import { runTranscode } from './lib/e2e.js';
import { cpuSample, cpuDelta } from './lib/cpu.js';

const run = promisify(execFile);
const { values: v } = parseArgs({
  options: {
    clips: { type: 'string', default: '1920x1080,640x480' },
    seconds: { type: 'string', default: '2' },
    fps: { type: 'string', default: '25' },
    workers: { type: 'string', default: `0,${defaultPixelWorkers()}` },
    models: { type: 'string', default: 'null,default' },
    smooth: { type: 'string', default: 'medium' },
  },
});
const seconds = Number(v.seconds), fps = Number(v.fps);
const dir = mkdtempSync(join(tmpdir(), 'chroma-bench-workers-'));

/** The gray clip's colour twin: the same pattern in colour, so x264 has a colour picture's work. */
async function colourTwin(width: number, height: number): Promise<string> {
  const path = join(dir, `testsrc2-colour-${width}x${height}.mp4`);
  if (!existsSync(path)) {
    await run(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p', path]);
  }
  return path;
}

const rows: string[] = [];
rows.push(`cores ${availableParallelism()}, ${seconds} s clips at ${fps} fps, smoothing ${v.smooth}`);
rows.push('| clip | model | workers | e2e fps | main CPU ms/frame | other threads ms/frame | ffmpeg ms/frame | vs colour transcode |');
rows.push('|---|---|---|---|---|---|---|---|');
try {
  for (const size of v.clips.split(',')) {
    const { width, height } = parseSize(size);
    const label = clipLabel(width, height);
    const clip = await makeClip(dir, { label, width, height, seconds, fps });
    const frames = Math.round(seconds * fps);
    const transcode = await runTranscode(await colourTwin(width, height), label, dir, frames, 'colour-transcode');
    rows.push(`| ${label} | colour transcode | | ${transcode.fps.toFixed(1)} | | | ${transcode.cpuMsPerFrame?.toFixed(1) ?? '?'} | 1.00 |`);
    for (const model of v.models.split(',')) {
      const colorizer = await Colorizer.create({ model, device: 'cpu' });
      try {
        for (const workers of v.workers.split(',').map(Number)) {
          const timer = new StageTimer();
          const c0 = cpuSample();
          const r = await colorizer.colorize(clip, join(dir, `out-${label}-${model}-${workers}.mp4`), {
            workers, timer, overwrite: true, smooth: v.smooth as 'medium',
          }).done;
          const cpu = cpuDelta(c0, cpuSample());
          const f = r.frames, e2e = f / r.seconds;
          const per = (x: number | undefined) => (x === undefined ? '?' : (x / f).toFixed(1));
          rows.push(`| ${label} | ${model} | ${workers} | ${e2e.toFixed(1)} | ${per(cpu?.main)} | ${per(cpu?.others)} | ${per(cpu?.children)} | ${(e2e / transcode.fps).toFixed(2)} |`);
          console.error(rows[rows.length - 1], JSON.stringify(Object.fromEntries(Object.entries(timer.perFrame()).map(([k, x]) => [k, Number(x.toFixed(2))]))));
        }
      } finally {
        await colorizer.close();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(rows.join('\n'));
