// test/suites.ts classifies every test file (what `npm run test:unit` leaves out and why). A new
// test file must be added there, and a file that starts Redis, a browser, the RTSP camera or torch
// must say so, or it would silently fall into (or out of) the unit suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_FILES, unitFiles, type Need } from './suites.js';

const DIR = dirname(fileURLToPath(import.meta.url));

test('every test file is classified, and every classified file exists', () => {
  const onDisk = readdirSync(DIR).filter((f) => f.endsWith('.test.ts')).sort();
  const listed = Object.keys(TEST_FILES).sort();
  assert.deepEqual(onDisk.filter((f) => !listed.includes(f)), [], 'add these to TEST_FILES in test/suites.ts');
  assert.deepEqual(listed.filter((f) => !onDisk.includes(f)), [], 'these are in test/suites.ts but not in test/');
  assert.ok(unitFiles().length > 10 && unitFiles().length < onDisk.length, 'a unit suite, and not everything');
});

/** What a file's source shows it uses: helpers and packages that start each service. */
const SIGNS: [Need, RegExp][] = [
  ['redis', /helpers\/redis\.js|helpers\/farm\.js|\bbullmq\b|\bioredis\b/],
  ['chromium', /helpers\/browser\.js|playwright-core|\bchromiumPath\b/],
  ['gstreamer', /helpers\/rtsp-camera\.js|rtsp-server\.py/],
  ['torch', /\bprobePython\b|\btorch\b/],
];

test('a file that uses Redis, Chromium, GStreamer or torch says so', () => {
  const missing: string[] = [];
  for (const [file, needs] of Object.entries(TEST_FILES)) {
    if (file === 'suites.test.ts') continue; // names every sign itself
    const code = readFileSync(join(DIR, file), 'utf8');
    for (const [need, sign] of SIGNS) if (sign.test(code) && !needs.includes(need)) missing.push(`${file}: ${need}`);
  }
  assert.deepEqual(missing, []);
});
