// npm run test:unit: the test files that need none of Redis, Chromium, GStreamer or torch and
// run in seconds (the list is test/suites.ts). Extra arguments go to node's test runner, e.g.
//   npm run test:unit -- --test-reporter=dot
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unitFiles } from '../test/suites.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const files = unitFiles().map((f) => join('test', f));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...process.argv.slice(2), ...files], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
