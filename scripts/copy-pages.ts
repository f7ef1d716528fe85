// After `tsc`: the pages' browser scripts (src/server/pages/*.js) beside the built server, where
// page-shell.ts reads them (dist/src/server/pages). tsc leaves them alone: they are served as written.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const from = new URL('../src/server/pages/', import.meta.url);
const to = new URL('../dist/src/server/pages/', import.meta.url);
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) if (name.endsWith('.js')) copyFileSync(new URL(name, from), new URL(name, to));
