// Test media made on the spot with ffmpeg's lavfi sources, and small probes of the results.
import { execFileSync, spawn } from 'node:child_process';
import { before, after } from 'node:test';
import { mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FFMPEG, FFPROBE, FFPROBE_ENV } from '../../src/media/ffmpeg-paths.js';
import { makeLogitsFixture, makeAbFixture, makeBadFixture } from './model-fixtures.js';
import { movingScene } from './synthetic.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function tempDir(prefix = 'chroma-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ClipOptions {
  width?: number;
  height?: number;
  seconds?: number;
  fps?: number;
  audio?: boolean;
  gray?: boolean;
  /** Extra output options (codec, pixel format, metadata...). */
  extra?: string[];
  /** lavfi video source name (default testsrc2). */
  source?: string;
}

export function makeClip(path: string, o: ClipOptions = {}): string {
  const { width = 320, height = 240, seconds = 2, fps = 25, audio = false, gray = true } = o;
  const src = `${o.source ?? 'testsrc2'}=size=${width}x${height}:rate=${fps}${gray ? ',format=gray' : ''}`;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', src];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(seconds));
  args.push(...(o.extra ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']));
  if (audio) args.push('-c:a', 'aac', '-shortest');
  args.push(path);
  execFileSync(FFMPEG, args);
  return path;
}

export interface StreamFacts {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  duration?: string;
}

export function probeStreams(path: string, countFrames = true): StreamFacts[] {
  const out = execFileSync(FFPROBE, [
    '-v', 'error', ...(countFrames ? ['-count_frames'] : []), '-show_entries',
    'stream=codec_type,codec_name,width,height,nb_read_frames,duration', '-of', 'json', path,
  ], { env: FFPROBE_ENV });
  return (JSON.parse(out.toString()) as { streams: StreamFacts[] }).streams;
}

/** One decoded frame as rgb24. */
export function grabFrame(path: string, atSeconds: number, width: number, height: number): Buffer {
  return execFileSync(FFMPEG, ['-v', 'error', '-ss', String(atSeconds), '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    maxBuffer: width * height * 3 + 1024,
  });
}

export function writeFixtureModels(dir: string): { logits: string; ab: string; bad: string } {
  const logits = join(dir, 'fixture-logits.onnx');
  const ab = join(dir, 'fixture-ab.onnx');
  const bad = join(dir, 'fixture-bad.onnx');
  writeFileSync(logits, makeLogitsFixture());
  writeFileSync(ab, makeAbFixture());
  writeFileSync(bad, makeBadFixture());
  return { logits, ab, bad };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (TypeScript entry through tsx) as a child process. */
export function runCli(args: string[], opts: { onSpawn?: (child: ReturnType<typeof spawn>) => void; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    opts.onSpawn?.(child);
  });
}

/** Files in a folder other than the ones named (to catch leftover partial outputs). */
export function strayFiles(dir: string, expected: string[]): string[] {
  return readdirSync(dir).filter((f) => !expected.includes(f));
}

/** Presentation times of the first video stream's frames, in seconds. */
export function frameTimes(path: string): number[] {
  const out = execFileSync(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path], { env: FFPROBE_ENV });
  return out.toString().trim().split('\n').map((l) => Number(l.split(',')[0]));
}

/**
 * The usual CLI-test setup, registered with node:test's before/after: a temp folder, the fixture
 * models, and a 1 s 160x120 clip at 10 fps. Read the fields inside tests (they fill in `before`).
 */
export function cliFixtures(): { tmp: { dir: string; cleanup: () => void }; models: ReturnType<typeof writeFixtureModels>; good: string } {
  const f = {} as ReturnType<typeof cliFixtures>;
  before(() => {
    f.tmp = tempDir();
    f.models = writeFixtureModels(f.tmp.dir);
    f.good = makeClip(join(f.tmp.dir, 'good.mp4'), { width: 160, height: 120, seconds: 1, fps: 10 });
  });
  after(() => f.tmp.cleanup());
  return f;
}

/** Every frame of a w x h video as rgb24. */
export function readRgbFrames(path: string, w: number, h: number): Buffer[] {
  const all = execFileSync(FFMPEG, ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 28 });
  const n = w * h * 3;
  return Array.from({ length: all.length / n }, (_, i) => all.subarray(i * n, (i + 1) * n));
}

/** A gray lossless clip (FFV1) of movingScene at `step` scene-frames per frame. */
export function writeMovingScene(path: string, w: number, h: number, frames: number, fps: number, step: number): string {
  const data = Buffer.alloc(w * h * frames);
  for (let t = 0; t < frames; t++) {
    const L = movingScene(w, h, t * step);
    for (let i = 0; i < w * h; i++) data[t * w * h + i] = Math.round(L[i] * 2.55);
  }
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${w}x${h}`, '-r', String(fps), '-i', 'pipe:0', '-c:v', 'ffv1', path], { input: data });
  return path;
}
