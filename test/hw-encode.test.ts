// --hw-encode auto: which encoder the ffmpeg in use offers, told by fake ffmpeg scripts on disk
// that list encoders (and pass or fail the one-frame trial), and end to end through CHROMA_FFMPEG.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hardwareEncoder, parseEncoders } from '../src/media/hw-encode.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { tempDir, makeClip, REPO } from './helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const LISTING = (names: string[]) => [
  'Encoders:',
  ' V..... = Video',
  ' ------',
  ...names.map((n) => ` V....D ${n.padEnd(20)} ${n} encoder (codec ${n.startsWith('hevc') || n === 'libx265' ? 'hevc' : 'h264'})`),
  ' A....D aac                  AAC (Advanced Audio Coding)',
].join('\n');

let fakes = 0;
/** A fake ffmpeg: `-encoders` prints `listed`; any other call succeeds when it names one of `working`. */
function fakeFfmpeg(listed: string[], working: string[]): string {
  const path = join(tmp.dir, `ffmpeg-fake-${fakes++}`);
  writeFileSync(path, [
    '#!/bin/sh',
    `case " $* " in *" -encoders "*) cat <<'EOF'\n${LISTING(listed)}\nEOF\n  exit 0;; esac`,
    `for a do case "$a" in ${working.length ? working.join('|') : '__none__'}) exit 0;; esac; done`,
    'echo "no such device" >&2; exit 1',
    '',
  ].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

test('ffmpeg -encoders output is read for encoder names', () => {
  const names = parseEncoders(LISTING(['libx264', 'h264_nvenc', 'hevc_vaapi']));
  assert.deepEqual([...names].sort(), ['aac', 'h264_nvenc', 'hevc_vaapi', 'libx264']);
});

test('auto takes the first hardware encoder that is listed and passes its trial: NVENC, then Quick Sync, then VAAPI', () => {
  const all = ['libx264', 'libx265', 'h264_nvenc', 'h264_qsv', 'h264_vaapi', 'hevc_nvenc', 'hevc_vaapi'];
  assert.equal(hardwareEncoder('h264', fakeFfmpeg(all, all)), 'h264_nvenc');
  assert.equal(hardwareEncoder('h265', fakeFfmpeg(all, all)), 'hevc_nvenc');
  // Listed but failing (no driver, no device): the next one, else software.
  assert.equal(hardwareEncoder('h264', fakeFfmpeg(all, ['h264_vaapi'])), 'h264_vaapi');
  assert.equal(hardwareEncoder('h264', fakeFfmpeg(all, ['h264_qsv', 'h264_vaapi'])), 'h264_qsv');
  assert.equal(hardwareEncoder('h265', fakeFfmpeg(all, ['h264_nvenc'])), null);
  assert.equal(hardwareEncoder('h264', fakeFfmpeg(all, [])), null);
  // Working but not listed: not tried.
  assert.equal(hardwareEncoder('h264', fakeFfmpeg(['libx264'], all)), null);
  // An ffmpeg that cannot list anything.
  assert.equal(hardwareEncoder('h264', join(tmp.dir, 'no-such-ffmpeg')), null);
});

test('the bundled ffmpeg lists h264_vaapi; without a VAAPI device its trial fails and auto means libx264', (t) => {
  if (existsSync('/dev/dri/renderD128')) return t.skip('this machine has a VAAPI device');
  const listed = parseEncoders(spawnSync(FFMPEG, ['-hide_banner', '-encoders']).stdout.toString());
  assert.ok(listed.has('libx264'));
  assert.equal(hardwareEncoder('h264', FFMPEG), null);
});

test('end to end through CHROMA_FFMPEG: --hw-encode auto sends h264_nvenc with the constant-quality options; off sends libx264', () => {
  // This fake lists h264_nvenc and hands every call to the real ffmpeg, logging it and standing
  // libx264 in for NVENC (dropping NVENC's own options), so the whole job really runs.
  const log = join(tmp.dir, 'calls.log');
  const fake = join(tmp.dir, 'ffmpeg-nvenc');
  writeFileSync(fake, [
    '#!/bin/sh',
    `case " $* " in *" -encoders "*) cat <<'EOF'\n${LISTING(['libx264', 'h264_nvenc'])}\nEOF\n  exit 0;; esac`,
    `echo "$*" >> '${log}'`,
    'skip=0',
    'for a do',
    '  shift',
    '  if [ $skip = 1 ]; then skip=0; continue; fi',
    '  case "$a" in',
    '    h264_nvenc) set -- "$@" libx264;;',
    '    -rc|-cq|-b:v) skip=1;;',
    '    p[1-7]) set -- "$@" medium;;',
    '    *) set -- "$@" "$a";;',
    '  esac',
    'done',
    `exec '${FFMPEG}' "$@"`,
    '',
  ].join('\n'));
  chmodSync(fake, 0o755);
  const input = makeClip(join(tmp.dir, 'in.mp4'), { width: 160, height: 120, seconds: 1, fps: 10 });
  const run = (hw: string, out: string) => spawnSync(process.execPath, [
    '--import', 'tsx', join(REPO, 'src/cli/main.ts'), 'colorize', input, '-o', out,
    '--model', 'null', '--device', 'cpu', '--smooth', 'off', '--hw-encode', hw, '--json',
  ], { cwd: REPO, env: { ...process.env, CHROMA_FFMPEG: fake }, timeout: 120_000 });

  const auto = run('auto', join(tmp.dir, 'auto.mp4'));
  assert.equal(auto.status, 0, auto.stderr.toString());
  assert.ok(existsSync(join(tmp.dir, 'auto.mp4')));
  const encodes = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('pipe:0'));
  assert.equal(encodes.length, 1, readFileSync(log, 'utf8'));
  assert.match(encodes[0], /-c:v h264_nvenc -preset p4 -rc vbr -cq 18 -b:v 0 -pix_fmt yuv420p/);
  assert.match(auto.stdout.toString(), /encoding with h264_nvenc \(--hw-encode auto\)/);

  writeFileSync(log, '');
  const off = run('off', join(tmp.dir, 'off.mp4'));
  assert.equal(off.status, 0, off.stderr.toString());
  const calls = readFileSync(log, 'utf8');
  assert.match(calls, /-c:v libx264 -crf 18 -preset medium/);
  assert.doesNotMatch(calls, /nvenc/);

  const bad = run('gpu', join(tmp.dir, 'bad.mp4'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.toString(), /--hw-encode/);
  assert.ok(!existsSync(join(tmp.dir, 'bad.mp4')));
});
