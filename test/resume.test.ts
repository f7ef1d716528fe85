// --resume: a job killed part way continues from its last finished segment, and the joined result
// matches an uninterrupted run (frame count, every timestamp within 1 ms, audio). The resume folder
// goes away once the output is in place.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { tempDir, makeClip, writeFixtureModels, runCli, strayFiles } from './helpers/media.js';
import { spawnCli, videoFrames, streamsOf } from './helpers/hardening.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { EXIT } from '../src/core/errors.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
before(() => {
  tmp = tempDir('chroma-resume-');
  models = writeFixtureModels(tmp.dir);
});
after(() => tmp.cleanup());

interface Summary { event: string; frames?: number; resumedFrom?: { frame: number; seconds: number; segments: number }; message?: string }
const events = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Summary & Record<string, unknown>);
const base = () => ['--model', models.logits, '--device', 'cpu', '--json'];

function assertSameVideo(reference: string, output: string) {
  const a = videoFrames(reference), b = videoFrames(output);
  assert.equal(b.length, a.length, 'frame count');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i].pts - b[i].pts) <= 0.001, `frame ${i}: ${a[i].pts} vs ${b[i].pts}`);
}

function manifestOf(dir: string): { segments: { file: string; frames: number }[] } {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { segments: { file: string; frames: number }[] };
}

test('SIGKILL at about half way, then --resume: finished segments reused, result equals an uninterrupted run', async () => {
  // 6 s with audio and a keyframe every 12 frames, so the resumed decoder really seeks.
  const input = makeClip(join(tmp.dir, 'film.mp4'), {
    width: 160, height: 120, seconds: 6, fps: 25, audio: true,
    extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-pix_fmt', 'yuv420p'],
  });
  const refDir = join(tmp.dir, 'ref');
  mkdirSync(refDir);
  const reference = join(refDir, 'film.mp4');
  const plain = await runCli(['colorize', input, '-o', reference, ...base()]);
  assert.equal(plain.code, 0, plain.stderr);

  const dir = join(tmp.dir, 'resumed');
  mkdirSync(dir);
  const out = join(dir, 'film.mp4');
  const resumeDir = join(dir, '.film.mp4.chroma-resume');
  const args = ['colorize', input, '-o', out, ...base(), '--resume', '--segment-seconds', '1'];

  const first = spawnCli(args);
  await first.waitFor((e) => e.event === 'segment' && Number(e.index) >= 3);
  first.child.kill('SIGKILL'); // no cleanup at all
  await first.done;
  assert.equal(existsSync(out), false, 'nothing under the output name after the kill');
  const kept = manifestOf(resumeDir).segments;
  assert.ok(kept.length >= 4 && kept.length < 6, `segments checkpointed: ${kept.length}`);
  assert.deepEqual(strayFiles(dir, ['.film.mp4.chroma-resume']), [], 'only the resume folder beside the output');

  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  const ev = events(second.stdout);
  const summary = ev.find((e) => e.event === 'summary')!;
  const doneBefore = kept.reduce((n, s) => n + s.frames, 0);
  assert.deepEqual(summary.resumedFrom, { frame: doneBefore, seconds: doneBefore / 25, segments: kept.length });
  assert.equal(summary.frames, 150);
  assert.ok(ev.filter((e) => e.event === 'segment').every((e) => Number(e.index) >= kept.length), 'finished segments were not redone');
  assert.ok(ev.some((e) => e.event === 'note' && /temporal smoothing restarts/.test(String(e.message))), 'says where smoothing restarted');

  assert.equal(existsSync(resumeDir), false, 'the resume folder is removed on success');
  assert.deepEqual(strayFiles(dir, ['film.mp4']), [], 'only the output');
  assertSameVideo(reference, out);
  // Each segment starts with a keyframe: frames 0, 25, 50, ...
  const keys = videoFrames(out).flatMap((f, i) => (f.key ? [i] : []));
  for (const k of [0, 25, 50, 75, 100, 125]) assert.ok(keys.includes(k), `keyframe at ${k}: ${keys}`);
  const audio = (p: string) => streamsOf(p).filter((s) => s.codec_type === 'audio');
  assert.equal(audio(out).length, 1);
  assert.equal(audio(out)[0].codec_name, 'aac');
  assert.equal(audio(out)[0].duration, audio(reference)[0].duration, 'audio duration');
  assert.equal(audio(out)[0].nb_read_frames, audio(reference)[0].nb_read_frames, 'audio frames');
});

test('SIGINT during --resume keeps the finished segments; a variable-frame-rate source that starts late resumes exactly', async () => {
  const input = join(tmp.dir, 'vfr.mp4');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30000/1001,format=gray',
    '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '6',
    '-filter:v', "select='not(mod(n\\,4))+lt(mod(n\\,11)\\,3)',setpts=PTS+0.2/TB", '-vsync', 'vfr',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-pix_fmt', 'yuv420p', '-c:a', 'aac', input]);
  const dir = join(tmp.dir, 'vfr-out');
  mkdirSync(dir);
  const out = join(dir, 'vfr.mp4');
  const resumeDir = join(dir, '.vfr.mp4.chroma-resume');
  const args = ['colorize', input, '-o', out, ...base(), '--resume', '--segment-seconds', '1'];

  const first = spawnCli(args);
  await first.waitFor((e) => e.event === 'segment' && Number(e.index) >= 2);
  first.child.kill('SIGINT');
  const r1 = await first.done;
  assert.equal(r1.code, EXIT.interrupted, r1.stderr);
  assert.match(r1.stderr, /finished segments kept: run the same command with --resume to continue/);
  const files = readdirSync(resumeDir).sort();
  const kept = manifestOf(resumeDir).segments;
  assert.deepEqual(files, ['manifest.json', ...kept.map((s) => s.file)].sort(), 'no partial segment, no lock');
  assert.deepEqual(strayFiles(dir, ['.vfr.mp4.chroma-resume']), []);

  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  const summary = events(second.stdout).find((e) => e.event === 'summary')!;
  assert.equal(summary.resumedFrom?.segments, kept.length);
  assertSameVideo(input, out); // every source timestamp, including the late start
  assert.deepEqual(strayFiles(dir, ['vfr.mp4']), []);
});

test('a changed input is not resumed from stale segments: it starts over and says so', async () => {
  const input = makeClip(join(tmp.dir, 'short.mp4'), { width: 160, height: 120, seconds: 3, fps: 25 });
  const dir = join(tmp.dir, 'changed');
  mkdirSync(dir);
  const out = join(dir, 'short.mkv');
  const args = ['colorize', input, '-o', out, ...base(), '--resume', '--segment-seconds', '0.5'];
  const first = spawnCli(args);
  await first.waitFor((e) => e.event === 'segment');
  first.child.kill('SIGKILL');
  await first.done;
  const later = new Date(Date.now() + 60_000);
  utimesSync(input, later, later); // same bytes, new mtime: treated as another file

  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  const ev = events(second.stdout);
  assert.ok(ev.some((e) => e.event === 'note' && /different input or settings; starting over/.test(String(e.message))));
  const summary = ev.find((e) => e.event === 'summary')!;
  assert.equal(summary.resumedFrom, undefined);
  assert.equal(summary.frames, 75);
  assert.deepEqual(strayFiles(dir, ['short.mkv']), []);
  assertSameVideo(input, out);
});
