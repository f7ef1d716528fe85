// The queue against the in-process engine, on one clip (a 2-minute testsrc2 film by default):
//
//   node --import tsx bench/queue.ts [--size 320x240] [--seconds 120] [--fps 25] [--workers 1,2]
//                                    [--segment-seconds 30] [--smooth medium] [--model default] [--json]
//
// (a) `chroma colorize` in-process, then for each worker count (b, c, ...) a run through a real
// redis-server and that many `chroma worker` processes on this machine (the cores shared out
// between them: --threads cores/N). Printed: wall time and frames/s; per segment the colour time
// (decode to encode, carry frames included), the worker's own overhead (store fetch, checksum,
// commit) and the queue's (the gaps between a worker's segments), each as a share of the colour
// time; the join; the output against (a): frame count, timestamps (max difference), audio packets;
// and at the segment seams against inside the segments: the frame-to-frame colour change (flicker)
// and the colour difference from the in-process output.
import { parseArgs } from 'node:util';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { makeClip, parseSize } from './lib/clips.js';
import { FFMPEG, FFPROBE, FFPROBE_ENV } from '../src/media/ffmpeg-paths.js';
import { readRgbFrames } from '../src/metrics/frames.js';
import { allocLab, rgbToLabPlanes, type LabPlanes } from '../src/metrics/lab-planes.js';
import { SEGMENT_QUEUE, segmentJobId } from '../src/jobs/queue/connection.js';
// The same throwaway redis-server the tests start (free loopback port, AOF, noeviction).
import { startRedis, skipWithoutRedis } from '../test/helpers/redis.js';
import type { SegmentJobData, SegmentResult } from '../src/jobs/queue/types.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'src/cli/main.ts');

interface Ran { wall: number; stdout: string }

function runCli(args: string[]): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    c.stdout.on('data', (b) => (stdout += b));
    c.stderr.on('data', (b) => (stderr += b));
    c.on('close', (code) => (code === 0 ? resolve({ wall: (performance.now() - t0) / 1000, stdout }) : reject(new Error(`chroma ${args[0]} exited ${code}: ${stderr}`))));
  });
}

const frameTimes = (path: string) => execFileSync(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path], { env: FFPROBE_ENV, maxBuffer: 64 << 20 })
  .toString().split('\n').filter(Boolean).map((l) => Number(l.split(',')[0]));
const audioMd5 = (path: string) => execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-map', '0:a', '-c', 'copy', '-f', 'md5', '-']).toString().trim();

/** Mean over pixels of |ab difference| (CIE units) between two frames. */
function abDistance(x: LabPlanes, y: LabPlanes): number {
  let s = 0;
  for (let i = 0; i < x.a.length; i++) s += Math.hypot(x.a[i] - y.a[i], x.b[i] - y.b[i]);
  return s / x.a.length;
}

interface SeamFigures { seamFlicker: number; insideFlicker: number; refSeamFlicker: number; refInsideFlicker: number; seamDiff: number; insideDiff: number }

/**
 * Frame-to-frame colour change of both outputs at the seams (the pair straddling each segment
 * start) and inside; and how far the queued frames are from the in-process ones, within 2 frames
 * of a seam and elsewhere.
 */
async function seams(ref: string, out: string, width: number, height: number, starts: Set<number>): Promise<SeamFigures> {
  const a = readRgbFrames(ref, { width, height }), b = readRgbFrames(out, { width, height });
  const lab = [allocLab(width, height), allocLab(width, height), allocLab(width, height), allocLab(width, height)];
  const acc = { seamF: [0, 0], inF: [0, 0], refSeamF: [0, 0], refInF: [0, 0], seamD: [0, 0], inD: [0, 0] };
  const add = (k: keyof typeof acc, v: number) => ((acc[k][0] += v), acc[k][1]++);
  const nearSeam = (i: number) => [...starts].some((s) => Math.abs(i - s) <= 2);
  for (let i = 0; ; i++) {
    const [ra, rb] = await Promise.all([a.next(), b.next()]);
    if (ra.done || rb.done) break;
    const cur = i % 2, prev = 1 - cur;
    rgbToLabPlanes(ra.value, lab[cur]);
    rgbToLabPlanes(rb.value, lab[2 + cur]);
    add(nearSeam(i) ? 'seamD' : 'inD', abDistance(lab[cur], lab[2 + cur]));
    if (i === 0) continue;
    const seam = starts.has(i);
    add(seam ? 'refSeamF' : 'refInF', abDistance(lab[cur], lab[prev]));
    add(seam ? 'seamF' : 'inF', abDistance(lab[2 + cur], lab[2 + prev]));
  }
  const m = (k: keyof typeof acc) => acc[k][0] / Math.max(1, acc[k][1]);
  return { seamFlicker: m('seamF'), insideFlicker: m('inF'), refSeamFlicker: m('refSeamF'), refInsideFlicker: m('refInF'), seamDiff: m('seamD'), insideDiff: m('inD') };
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      size: { type: 'string', default: '320x240' }, seconds: { type: 'string', default: '120' }, fps: { type: 'string', default: '25' },
      workers: { type: 'string', default: '1,2' }, 'segment-seconds': { type: 'string', default: '30' },
      smooth: { type: 'string', default: 'medium' }, model: { type: 'string', default: 'default' }, json: { type: 'boolean' },
    },
  });
  if (skipWithoutRedis) throw new Error(skipWithoutRedis);
  const { width, height } = parseSize(v.size!);
  const cores = cpus().length;
  const dir = mkdtempSync(join(tmpdir(), 'chroma-bench-queue-'));
  const say = (line: string) => !v.json && process.stdout.write(`${line}\n`);
  try {
    const clip = await makeClip(dir, { label: v.size!, width, height, seconds: Number(v.seconds), fps: Number(v.fps) });
    const colour = ['--model', v.model!, '--smooth', v.smooth!, '-y', '-q'];
    const ref = join(dir, 'in-process.mp4');
    const a = await runCli(['colorize', clip, '-o', ref, ...colour, '--threads', String(cores)]);
    const frames = frameTimes(ref);
    say(`clip ${v.size} ${v.seconds} s at ${v.fps} fps: ${frames.length} frames, ${cores} cores; smooth ${v.smooth}, model ${v.model}`);
    say(`(a) in-process          ${a.wall.toFixed(1)} s  ${(frames.length / a.wall).toFixed(2)} fps`);
    const results: Record<string, unknown>[] = [{ mode: 'in-process', wall: a.wall, fps: frames.length / a.wall }];

    const redis = await startRedis(dir);
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue<SegmentJobData, SegmentResult>(SEGMENT_QUEUE, { connection: client });
    queue.on('error', () => {});
    try {
      for (const n of v.workers!.split(',').map(Number)) {
        const store = join(dir, `store-${n}`);
        mkdirSync(store);
        const threads = Math.max(1, Math.floor(cores / n));
        const workers = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', CLI, 'worker', '--queue', redis.url, '--store', store, '--threads', String(threads), '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] }));
        const out = join(dir, `queue-${n}.mp4`);
        const r = await runCli(['colorize', clip, '-o', out, ...colour, '--queue', redis.url, '--store', store, '--segment-seconds', v['segment-seconds']!, '--json']);
        for (const w of workers) w.kill('SIGTERM');
        const submitted = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; run?: string; segments?: number }).find((e) => e.event === 'submitted')!;
        const jobs = await Promise.all(Array.from({ length: submitted.segments! }, (_, i) => queue.getJob(segmentJobId(submitted.run!, 0, i))));
        const seg = jobs.map((j) => ({ data: j!.data, r: j!.returnvalue, start: j!.processedOn!, end: j!.finishedOn! }));
        const colorS = seg.reduce((s, x) => s + x.r.colorSeconds, 0);
        const ownS = seg.reduce((s, x) => s + x.r.seconds - x.r.colorSeconds, 0);
        // The queue's share: per worker, the gaps between finishing one segment and starting the next.
        const byWorker = new Map<string, typeof seg>();
        for (const x of seg) byWorker.set(x.r.worker, [...(byWorker.get(x.r.worker) ?? []), x]);
        let gaps = 0;
        for (const list of byWorker.values()) {
          list.sort((p, q) => p.start - q.start);
          for (let i = 1; i < list.length; i++) gaps += Math.max(0, list[i].start - list[i - 1].end) / 1000;
        }
        const carried = seg.reduce((s, x) => s + (x.data.previous ? x.data.carry : 0) + (x.data.next ? x.data.lookahead : 0), 0);
        const got = frameTimes(out);
        const maxDt = got.length === frames.length ? Math.max(...got.map((t, i) => Math.abs(t - frames[i]))) : NaN;
        const sameAudio = audioMd5(out) === audioMd5(ref);
        const s = await seams(ref, out, Math.min(width, 160), Math.round(Math.min(width, 160) * height / width / 2) * 2, new Set(seg.slice(1).map((x) => x.data.piece.firstFrame)));
        const row = {
          mode: `${n} worker(s)`, wall: r.wall, fps: frames.length / r.wall, segments: seg.length, threadsPerWorker: threads,
          colourSecondsPerSegment: colorS / seg.length, workerOverheadShare: ownS / colorS, queueGapShare: gaps / colorS,
          carryFrameShare: carried / frames.length, frames: got.length, maxTimestampDiff: maxDt, sameAudio, seams: s,
        };
        results.push(row);
        say(`(${String.fromCharCode(97 + results.length - 1)}) ${row.mode.padEnd(20)}${r.wall.toFixed(1)} s  ${row.fps.toFixed(2)} fps  (${seg.length} segments, ${threads} thread(s) each)`);
        say(`    per segment: colour ${row.colourSecondsPerSegment.toFixed(1)} s; worker overhead ${(100 * row.workerOverheadShare).toFixed(2)} %, queue gaps ${(100 * row.queueGapShare).toFixed(2)} %, carry/look-ahead frames ${(100 * row.carryFrameShare).toFixed(1)} % of the film`);
        say(`    output vs (a): ${got.length}/${frames.length} frames, timestamps within ${(maxDt * 1000).toFixed(3)} ms, audio ${sameAudio ? 'identical' : 'DIFFERENT'}`);
        say(`    flicker (mean |Δab| between frames): seams ${s.seamFlicker.toFixed(3)} vs inside ${s.insideFlicker.toFixed(3)}; in-process at the same pairs ${s.refSeamFlicker.toFixed(3)} vs ${s.refInsideFlicker.toFixed(3)}`);
        say(`    |ab − in-process|: within 2 frames of a seam ${s.seamDiff.toFixed(3)}, elsewhere ${s.insideDiff.toFixed(3)}`);
        await Promise.all(workers.map((w) => new Promise((res) => (w.exitCode !== null ? res(null) : w.once('close', res)))));
      }
    } finally {
      await queue.close();
      client.disconnect();
      await redis.stop();
    }
    if (v.json) process.stdout.write(`${JSON.stringify({ clip: { size: v.size, seconds: Number(v.seconds), fps: Number(v.fps) }, cores, results }, null, 1)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
