// The layering rule of docs/architecture.md: each folder of src/ imports only folders in lower
// layers. The layers are read from the code map's table there, so the doc and the code cannot
// drift apart; a folder missing from the table fails too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const TOP = '(top)';

/** Folder -> layer, from the rows "| 3 | `hints` | ... |" of the code map. */
function layersFromDoc(markdown: string): Map<string, number> {
  const layers = new Map<string, number>();
  for (const m of markdown.matchAll(/^\|\s*(\d+)\s*\|\s*`([^`]+)`\s*\|/gm)) layers.set(m[2], Number(m[1]));
  return layers;
}

/** The top folder of a path under src/ (TOP for the files directly in it). */
const folderOf = (file: string) => {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? TOP : parts[0];
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Relative specifiers of static imports, re-exports and dynamic imports (comments stripped). */
function importsOf(code: string): string[] {
  const bare = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const m of bare.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.[^'"]+)['"]|\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)|^\s*import\s*['"](\.[^'"]+)['"]/gm)) {
    specs.push(m[1] ?? m[2] ?? m[3]);
  }
  return specs;
}

test('importsOf finds static, type-only, re-export, side-effect and dynamic imports, not comments', () => {
  const code = [
    "import { a } from '../core/a.js';",
    "import type { B } from './b.js';",
    "export { c } from '../color/c.js';",
    "import '../media/side.js';",
    "const d = await import('../model/d.js');",
    "// import { no } from '../server/no.js';",
    "import { e } from 'rxjs';",
  ].join('\n');
  assert.deepEqual(importsOf(code), ['../core/a.js', './b.js', '../color/c.js', '../media/side.js', '../model/d.js']);
});

test('every folder of src/ is in the code map, and imports only folders of lower layers', () => {
  const layers = layersFromDoc(readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8'));
  assert.ok(layers.size > 5, 'the code map table of docs/architecture.md was read');
  const folders = new Set(readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
  const unmapped = [...folders].filter((f) => !layers.has(f));
  assert.deepEqual(unmapped, [], 'add these folders to the code map of docs/architecture.md, with their layer');
  const stale = [...layers.keys()].filter((f) => f !== TOP && !folders.has(f));
  assert.deepEqual(stale, [], 'the code map names folders that are gone');

  const wrong: string[] = [];
  let seen = 0;
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      seen++;
      const to = folderOf(resolve(dirname(file), spec));
      if (to === from) continue;
      if (!(layers.get(to)! < layers.get(from)!)) {
        wrong.push(`${relative(ROOT, file)} (${from}, layer ${layers.get(from)}) imports ${spec} (${to}, layer ${layers.get(to)})`);
      }
    }
  }
  assert.ok(seen > 300, `imports were found (${seen})`);
  assert.deepEqual(wrong, [], 'imports of a folder in the same or a higher layer');
});
