// The bad and odd input corpus, made on the spot: each file is either colorized with its size,
// frame count, timing and orientation kept (asserted), or refused with one clear line and a
// non-zero exit. Either way nothing but a complete file ever appears under the output name, and
// no temporary file is left beside it. (Still images with alpha and CMYK JPEGs: test/stills.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tempDir, makeClip, writeFixtureModels, runCli, strayFiles, grabFrame } from './helpers/media.js';
import { videoFrames, streamsOf, chromiumPath, playerView, type StreamInfo } from './helpers/hardening.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { EXIT } from '../src/core/errors.js';

let tmp: ReturnType<typeof tempDir>;
let models: ReturnType<typeof writeFixtureModels>;
before(() => {
  tmp = tempDir('chroma-hardening-');
  models = writeFixtureModels(tmp.dir);
});
after(() => tmp.cleanup());

const ff = (...args: string[]) => execFileSync(FFMPEG, ['-v', 'error', '-y', ...args]);
const video = (s: StreamInfo[]) => s.find((x) => x.codec_type === 'video')!;

/** A fresh output folder per case, so leftovers are easy to see. */
function caseDir(name: string): string {
  const d = join(tmp.dir, `out-${name}`);
  mkdirSync(d);
  return d;
}

/** Refused: the exit code, exactly one `chroma:` line matching, nothing in the output folder. */
async function expectRefused(name: string, input: string, code: number, pattern: RegExp, extra: string[] = []) {
  const dir = caseDir(name);
  const out = join(dir, 'out.mp4');
  const r = await runCli(['colorize', input, '-o', out, '--model', models.logits, '--device', 'cpu', '-q', ...extra]);
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('chroma:'));
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(existsSync(out), false, 'nothing under the output name');
  assert.deepEqual(strayFiles(dir, []), [], 'no temporary files left');
}

/** Colorized: exit 0, only the output in its folder; returns the output's streams and the notes. */
async function expectColorized(name: string, input: string, ext = 'mp4', extra: string[] = []) {
  const dir = caseDir(name);
  const out = join(dir, `out.${ext}`);
  const r = await runCli(['colorize', input, '-o', out, '--model', models.logits, '--device', 'cpu', '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(strayFiles(dir, [`out.${ext}`]), [], 'only the output');
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; message?: string; frames?: number });
  return {
    out,
    streams: streamsOf(out),
    notes: events.filter((e) => e.event === 'note').map((e) => e.message ?? ''),
    summary: events.find((e) => e.event === 'summary')!,
  };
}

/**
 * Every frame's timestamp matches within 1 ms. `startTolerance`: how far the first frame may move
 * (a constant-rate video that starts a fraction of a frame after its audio, as AAC priming makes
 * it, is kept to the nearest frame); the spacing of all frames must still match within 1 ms.
 */
function assertSameTiming(input: string, output: string, startTolerance = 0.001) {
  const a = videoFrames(input), b = videoFrames(output);
  assert.equal(b.length, a.length, 'frame count');
  assert.ok(Math.abs(a[0].pts - b[0].pts) <= startTolerance, `first frame: ${a[0].pts} vs ${b[0].pts}`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs((a[i].pts - a[0].pts) - (b[i].pts - b[0].pts)) <= 0.001, `frame ${i}: ${a[i].pts} vs ${b[i].pts}`);
  }
}

// ---- refused ------------------------------------------------------------------------------

test('truncated MP4, index at the end (cut at half): no moov, refused by name', () => {
  const full = makeClip(join(tmp.dir, 'moov-end.mp4'), { width: 160, height: 120, seconds: 2, gray: false, source: 'mandelbrot' });
  const bytes = readFileSync(full);
  const p = join(tmp.dir, 'cut-moov-end.mp4');
  writeFileSync(p, bytes.subarray(0, bytes.length >> 1));
  return expectRefused('cut-moov-end', p, EXIT.input, /truncated or unfinished MP4.*moov/);
});

test('truncated MP4, faststart (cut at half): says at which frame decoding failed', () => {
  const full = makeClip(join(tmp.dir, 'faststart.mp4'), {
    width: 160, height: 120, seconds: 2, gray: false, source: 'mandelbrot',
    extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
  });
  const bytes = readFileSync(full);
  const p = join(tmp.dir, 'cut-faststart.mp4');
  writeFileSync(p, bytes.subarray(0, bytes.length >> 1));
  return expectRefused('cut-faststart', p, EXIT.input, /(truncated|corrupt).*frame \d+ of \d+/);
});

// Random bytes, audio only and 0-byte files: bad-input.test.ts.

test('a codec ffprobe knows but the bundled ffmpeg cannot decode (MPEG-5 EVC)', () => {
  // An H.264 MP4 whose sample entry is relabelled 'evc1': ffprobe (2023) reports an EVC stream with
  // its size; ffmpeg 4.1 (2018) has no EVC decoder. A real EVC encoder is not available here, and
  // the pixels do not matter: no decoder gets that far.
  const src = makeClip(join(tmp.dir, 'avc.mp4'), { width: 160, height: 120, seconds: 0.4 });
  const bytes = Buffer.from(readFileSync(src));
  const at = bytes.indexOf('avc1', bytes.indexOf('stsd'));
  assert.ok(at > 0);
  bytes.write('evc1', at, 'latin1');
  const p = join(tmp.dir, 'evc.mp4');
  writeFileSync(p, bytes);
  assert.equal(video(streamsOf(p)).codec_name, 'evc', 'ffprobe sees an EVC stream');
  return expectRefused('evc', p, EXIT.input, /unsupported video codec \(MPEG-5 EVC.*\): the bundled ffmpeg has no decoder/);
});

// ---- colorized, with the geometry and timing kept -------------------------------------------

test('a 1-frame video', async () => {
  const p = makeClip(join(tmp.dir, 'one.mp4'), { width: 160, height: 120, extra: ['-frames:v', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] });
  const r = await expectColorized('one', p);
  assert.equal(r.summary.frames, 1);
  assert.equal(video(r.streams).nb_read_frames, '1');
  assert.equal(video(r.streams).width, 160);
});

test('fewer frames than one batch (3 frames, batch 4)', async () => {
  const p = makeClip(join(tmp.dir, 'three.mp4'), { width: 160, height: 120, extra: ['-frames:v', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] });
  const r = await expectColorized('three', p, 'mp4', ['--batch', '4']);
  assert.equal(r.summary.frames, 3);
  assertSameTiming(p, r.out);
});

test('odd dimensions 321x241 come out exactly 321x241', async () => {
  const p = makeClip(join(tmp.dir, 'odd.mkv'), { width: 321, height: 241, seconds: 0.4, extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'] });
  const r = await expectColorized('odd', p);
  const v = video(r.streams);
  assert.equal(v.width, 321);
  assert.equal(v.height, 241);
  assert.equal(v.nb_read_frames, '10');
  assert.ok(r.notes.some((n) => /odd frame size/.test(n)), r.notes.join('; '));
});

test('4K (3840x2160, 2 frames)', async () => {
  const p = makeClip(join(tmp.dir, '4k.mp4'), { width: 3840, height: 2160, extra: ['-frames:v', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] });
  const r = await expectColorized('4k', p);
  const v = video(r.streams);
  assert.equal(v.width, 3840);
  assert.equal(v.height, 2160);
  assert.equal(v.nb_read_frames, '2');
  assertSameTiming(p, r.out);
});

test('10-bit (yuv420p10le HEVC)', async () => {
  const p = makeClip(join(tmp.dir, '10bit.mkv'), {
    width: 160, height: 120, seconds: 0.4, extra: ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p10le'],
  });
  assert.equal(video(streamsOf(p)).pix_fmt, 'yuv420p10le');
  const r = await expectColorized('10bit', p);
  assert.equal(video(r.streams).nb_read_frames, '10');
  assertSameTiming(p, r.out);
});

test('variable frame rate MP4 keeps every timestamp (and its late start after the audio)', async () => {
  const p = join(tmp.dir, 'vfr.mp4');
  ff('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30000/1001,format=gray', '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '2',
    '-filter:v', "select='not(mod(n\\,4))+lt(mod(n\\,11)\\,3)',setpts=PTS+0.2/TB", '-vsync', 'vfr',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', p);
  const src = videoFrames(p);
  assert.ok(new Set(src.slice(1).map((f, i) => Math.round((f.pts - src[i].pts) * 1000))).size > 1, 'the source is VFR');
  assert.ok(src[0].pts > 0.1, 'the video starts after the audio');
  const r = await expectColorized('vfr', p);
  assertSameTiming(p, r.out);
});

test('timestamps far into a file keep sub-millisecond precision, and a VFR MP4 keeps its last frame', async () => {
  // Frames at 0, 0.04, 1236.5678 and 1237.5678 s: ffmpeg's showinfo prints pts_time with six
  // significant digits (1236.57), so the decoder must read the exact tick count instead; and the
  // last frame of a variable-rate MP4 encode needs a duration or players drop it.
  const p = join(tmp.dir, 'late.mp4');
  ff('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25,format=gray', '-frames:v', '4',
    '-vf', "settb=1/90000,setpts='if(gte(N\\,2)\\,(1234.5678+N)/TB\\,PTS)'", '-vsync', 'vfr', '-enc_time_base', '1:90000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-video_track_timescale', '90000', p);
  const src = videoFrames(p);
  assert.equal(src.length, 4);
  assert.ok(Math.abs(src[2].pts - 1236.5678) < 1e-5, `source frame 2 at ${src[2].pts}`);
  const r = await expectColorized('late', p);
  assertSameTiming(p, r.out);
  assert.equal(video(r.streams).nb_read_frames, '4');
});

test('MPEG-TS input (the bundled ffprobe crashed on every .ts/.m2ts/.mts)', async () => {
  const p = join(tmp.dir, 'camcorder.ts');
  ff('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25,format=gray', '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '1',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', p);
  const r = await expectColorized('mpegts', p);
  assert.deepEqual(r.streams.map((s) => s.codec_type), ['video', 'audio']);
  // MPEG-TS clocks start at 1.4 s; the output starts at zero, the spacing is the source's.
  assertSameTiming(p, r.out, Infinity);
});

test('a rotated phone video shows the same upright picture at the same display size as in a player', async (t) => {
  // Stored landscape 160x120 with a white block in the stored top-left corner, tagged rotate=90
  // (ffmpeg 4.1 writes the tag into the MP4 display matrix when stream-copying).
  const stored = join(tmp.dir, 'stored.mp4');
  ff('-f', 'lavfi', '-i', 'color=c=black:s=160x120:r=25,drawbox=x=0:y=0:w=40:h=30:c=white:t=fill,format=gray',
    '-frames:v', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', stored);
  const p = join(tmp.dir, 'rotated.mp4');
  ff('-i', stored, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', p);
  assert.ok(video(streamsOf(p)).side_data_list?.some((d) => Math.abs(d.rotation ?? 0) === 90), 'the input carries a display matrix');

  // Where a player shows the block. Chromium (a real player) when it is installed; otherwise the
  // corner Chromium was seen to use for this matrix (bottom-left: the matrix turns the picture a
  // quarter counter-clockwise).
  type Corner = 'tl' | 'tr' | 'bl' | 'br';
  const corners: Record<Corner, [number, number]> = { tl: [0.1, 0.1], tr: [0.9, 0.1], bl: [0.1, 0.9], br: [0.9, 0.9] };
  let expected: { width: number; height: number; bright: Corner } = { width: 120, height: 160, bright: 'bl' };
  if (chromiumPath()) {
    const view = await playerView(p);
    const bright = (Object.keys(corners) as Corner[]).filter((k) => view.luma(...corners[k]) > 128);
    assert.equal(bright.length, 1, `one bright corner in the player's view: ${bright}`);
    expected = { width: view.width, height: view.height, bright: bright[0] };
  } else {
    t.diagnostic('chromium not installed: comparing with the recorded player view');
  }

  const r = await expectColorized('rotated', p);
  const v = video(r.streams);
  assert.equal(v.width, expected.width);
  assert.equal(v.height, expected.height);
  assert.ok(!v.side_data_list?.some((d) => d.rotation), 'stored upright: no rotation left for the player to apply');
  assert.equal(v.nb_read_frames, '5');
  const frame = grabFrame(r.out, 0, v.width!, v.height!);
  for (const [k, [fx, fy]] of Object.entries(corners)) {
    const i: number = (Math.floor(fy * v.height!) * v.width! + Math.floor(fx * v.width!)) * 3;
    const lum: number = (frame[i] + frame[i + 1] + frame[i + 2]) / 3;
    assert.equal(lum > 100, k === expected.bright, `corner ${k}: luma ${lum}`);
  }
  if (chromiumPath()) {
    const outView = await playerView(r.out);
    assert.equal(outView.width, expected.width);
    assert.equal(outView.height, expected.height);
    assert.ok(outView.luma(...corners[expected.bright]) > 100, 'the player shows the block in the same corner');
  }
});

test('interlaced SD (720x576, top field first) is deinterlaced, one frame per frame', async () => {
  const p = makeClip(join(tmp.dir, 'interlaced.mp4'), {
    width: 720, height: 576, seconds: 0.4,
    extra: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-flags', '+ilme+ildct', '-field_order', 'tt'],
  });
  assert.equal(video(streamsOf(p)).field_order, 'tt');
  const r = await expectColorized('interlaced', p);
  const v = video(r.streams);
  assert.equal(v.field_order, 'progressive');
  assert.equal(v.width, 720);
  assert.equal(v.height, 576);
  assertSameTiming(p, r.out);
  assert.ok(r.notes.some((n) => /deinterlaced/.test(n)), r.notes.join('; '));
});

test('a video with an alpha channel is colorized opaque, with a note', async () => {
  const p = join(tmp.dir, 'alpha.mov');
  ff('-f', 'lavfi', '-i', "testsrc2=size=160x120:rate=25,format=gray,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,80),255,90)'",
    '-frames:v', '5', '-c:v', 'qtrle', p);
  assert.equal(video(streamsOf(p)).pix_fmt, 'argb');
  const r = await expectColorized('alpha', p, 'mov');
  assert.equal(video(r.streams).nb_read_frames, '5');
  assert.ok(r.notes.some((n) => /alpha/.test(n)), r.notes.join('; '));
});

test('two audio streams and a subtitle stream are carried over (MKV and MP4)', async () => {
  const srt = join(tmp.dir, 'subs.srt');
  writeFileSync(srt, '1\n00:00:00,000 --> 00:00:00,900\nHello\n\n2\n00:00:01,000 --> 00:00:01,900\nWorld\n');
  const p = join(tmp.dir, 'multi.mkv');
  ff('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25,format=gray', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=48000', '-i', srt, '-t', '2', '-map', '0', '-map', '1', '-map', '2', '-map', '3',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a:0', 'aac', '-c:a:1', 'libopus', '-c:s', 'srt',
    '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra', '-metadata:s:s:0', 'language=deu', p);

  const mkv = await expectColorized('multi-mkv', p, 'mkv');
  assert.deepEqual(mkv.streams.map((s) => `${s.codec_type}:${s.codec_name}:${s.tags?.language ?? 'und'}`),
    ['video:h264:und', 'audio:aac:eng', 'audio:opus:fra', 'subtitle:subrip:deu']);
  // The source's video starts 21 ms after its audio (AAC priming): kept to the nearest frame.
  assertSameTiming(p, mkv.out, 0.5 / 25);

  const mp4 = await expectColorized('multi-mp4', p, 'mp4');
  assert.deepEqual(mp4.streams.map((s) => `${s.codec_type}:${s.codec_name}:${s.tags?.language ?? 'und'}`),
    ['video:h264:und', 'audio:aac:eng', 'audio:aac:fra', 'subtitle:mov_text:deu']);
  // Only the stream that does not fit MP4 is re-encoded; the AAC one is copied as it is.
  assert.ok(mp4.notes.some((n) => /re-encoded to AAC: opus does not fit MP4/.test(n)), mp4.notes.join('; '));
  for (const a of mp4.streams.filter((s) => s.codec_type === 'audio')) assert.ok(Math.abs(Number(a.duration) - 2) < 0.05, `audio ${a.duration}`);
  assertSameTiming(p, mp4.out, 0.5 / 25);
});
