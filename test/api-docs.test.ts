// docs/api.md is generated from the TSDoc of the public entry points: it must be current, and
// every public option must say its default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicOptions, renderApi } from '../scripts/api-docs.js';
import { REPO } from './helpers/media.js';

test('docs/api.md is what npm run docs:api generates', () => {
  assert.equal(readFileSync(join(REPO, 'docs', 'api.md'), 'utf8'), renderApi(), 'run npm run docs:api');
});

test('every public option documents its default', () => {
  const options = publicOptions();
  assert.ok(options.length > 50, `found ${options.length} options`);
  for (const o of ['ColorizeOptions.overwrite', 'VideoJobOptions.smooth', 'GraphOptions.temperature', 'ServerOptions.port', 'SmoothOptions.window']) {
    assert.ok(options.some((x) => `${x.owner}.${x.name}` === o), `${o} is listed`);
  }
  const missing = options.filter((o) => !/default/i.test(o.doc)).map((o) => `${o.owner}.${o.name}`);
  assert.deepEqual(missing, []);
});
