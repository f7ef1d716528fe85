// Generates docs/api.md from the public entry points (src/index.ts, src/graph.ts): every exported
// function with its doc comment and signature, every exported interface with each member's type
// and doc comment (where the defaults are stated). TypeDoc needs the TypeScript 5 compiler API,
// which the TypeScript 7 this project builds with does not have, so this reads the sources itself.
//
// It also writes the option tables of docs/*.md and README.md from the option schema (between
// `<!-- options: NAME -->` and `<!-- /options -->`), so the docs say what the flags parse.
//
//   npm run docs:api            write docs/api.md and the option tables
//   node --import tsx scripts/api-docs.ts --check    exit 1 when any of them is out of date
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rangeText, type OptionSpec } from '../src/core/options.js';
import { COLORIZE_SPECS, LOAD_MODEL_SPECS, SERVER_SPECS, SHOTS_SPECS } from '../src/core/option-specs.js';
import { optionTable } from '../src/cli/flags.js';
import { COLORIZE_FLAGS, MAIN_FLAGS } from '../src/cli/colorize-cli.js';
import { SERVE_FLAGS } from '../src/cli/serve-cli.js';
import { EDIT_FLAGS } from '../src/cli/edit-cli.js';
import { WORKER_FLAGS } from '../src/cli/worker-cli.js';
import { TRAIN_FLAGS } from '../src/cli/train-cli.js';
import { SHOTS_FLAGS } from '../src/cli/shots-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES: [string, string][] = [['chroma', 'src/index.ts'], ['chroma/graph', 'src/graph.ts']];

interface Member { name: string; type: string; doc: string }
interface Decl { kind: 'interface' | 'function' | 'class' | 'type' | 'const'; name: string; doc: string; signature: string; members: Member[] }

/** The names an entry exports, with the module each comes from. */
function exportsOf(entry: string): { name: string; from: string }[] {
  const src = readFileSync(join(ROOT, entry), 'utf8');
  const out: { name: string; from: string }[] = [];
  for (const m of src.matchAll(/export (?:type )?\{([^}]*)\} from '([^']+)'/g)) {
    const from = join(dirname(join(ROOT, entry)), m[2].replace(/\.js$/, '.ts'));
    for (const raw of m[1].split(',')) {
      const name = raw.trim().replace(/^type /, '');
      if (name) out.push({ name, from });
    }
  }
  return out;
}

const docText = (c: string | undefined) => (c ?? '').trim().replace(/^\/\*\*|\*\/$/g, '').split('\n').map((l) => l.replace(/^\s*\* ?/, '').trim()).filter(Boolean).join(' ');

/** Finds `name`'s declaration in a module: its doc comment, its first line, and for an interface its members. */
function declOf(file: string, name: string): Decl | null {
  const src = readFileSync(file, 'utf8');
  const re = new RegExp(`(/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/\\s*)?^export (?:async )?(interface|function|class|type|const) ${name}\\b([^\\n]*)`, 'm');
  const m = re.exec(src);
  if (!m) return null;
  const kind = m[2] as Decl['kind'];
  const decl: Decl = { kind, name, doc: docText(m[1]), signature: `${kind} ${name}${m[3]}`.replace(/\s*\{$/, ''), members: [] };
  if (kind === 'function' && !/\)[^)]*[{;]\s*$/.test(m[3])) {
    // A signature over several lines: up to the line that opens the body.
    const rest = src.slice(m.index + m[0].length);
    decl.signature += rest.slice(0, rest.indexOf('{\n') + 1).replace(/\s+/g, ' ').replace(/\s*\{$/, '');
  }
  if (kind === 'interface') {
    const body = src.slice(m.index + m[0].length, src.indexOf('\n}', m.index));
    let doc: string | undefined;
    for (const part of body.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)|^ {2}(readonly )?(\w+)(\??): ([^\n]*?);?$/gm)) {
      if (part[1]) doc = part[1];
      else {
        decl.members.push({ name: part[3] + part[4], type: part[5], doc: docText(doc) });
        doc = undefined;
      }
    }
  }
  return decl;
}

/** Every optional member of an exported `...Options` interface, with its doc comment. */
export function publicOptions(): { owner: string; name: string; doc: string }[] {
  const out: { owner: string; name: string; doc: string }[] = [];
  for (const [, entry] of ENTRIES) {
    for (const { name, from } of exportsOf(entry)) {
      const d = declOf(from, name);
      if (d?.kind !== 'interface' || !/Options$/.test(name)) continue;
      for (const m of d.members) if (m.name.endsWith('?')) out.push({ owner: name, name: m.name.slice(0, -1), doc: m.doc });
    }
  }
  return out;
}

/** Which function checks the members of each options interface, with which of the schema's specs. */
export const CHECKED_BY: Record<string, { by: string; specs: readonly OptionSpec[] }> = {
  GraphOptions: { by: 'Colorizer', specs: COLORIZE_SPECS }, VideoJobOptions: { by: 'Colorizer', specs: COLORIZE_SPECS },
  LoadModelOptions: { by: 'loadModel', specs: LOAD_MODEL_SPECS }, ServerOptions: { by: 'startServer', specs: SERVER_SPECS },
  FindShotsOptions: { by: 'findShots', specs: SHOTS_SPECS },
};

/** The schema's word on a member, for its row in docs/api.md. */
function checkedText(owner: string, member: string): string {
  const checked = CHECKED_BY[owner];
  const spec = checked?.specs.find((s) => s.key === member.replace(/\?$/, ''));
  const range = spec && rangeText(spec);
  return range ? ` ${checked.by} checks: ${range}.` : '';
}

/** The option tables docs/ and the README show, by the name their markers give. */
export const OPTION_TABLES: Record<string, readonly OptionSpec[]> = {
  colorize: COLORIZE_FLAGS, main: MAIN_FLAGS, serve: SERVE_FLAGS, edit: EDIT_FLAGS, worker: WORKER_FLAGS, train: TRAIN_FLAGS, shots: SHOTS_FLAGS,
};

/** `text` with every `<!-- options: NAME -->` region replaced by NAME's generated table. */
export function fillOptionTables(text: string): string {
  return text.replace(/(<!-- options: ([\w-]+) -->\n)[\s\S]*?(<!-- \/options -->)/g, (_all, open: string, name: string, close: string) => {
    const specs = OPTION_TABLES[name];
    if (!specs) throw new Error(`no option table named ${name}`);
    return `${open}${optionTable(specs)}\n${close}`;
  });
}

/** The files that carry option tables: README.md and docs/*.md. */
export function optionTableFiles(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
}

export function renderApi(): string {
  const lines = ['# API', '', 'Generated from the TSDoc comments of the public entry points by `npm run docs:api`', '(scripts/api-docs.ts); do not edit by hand. Each option says its default.', ''];
  for (const [pkg, entry] of ENTRIES) {
    lines.push(`## \`${pkg}\``, '');
    for (const { name, from } of exportsOf(entry)) {
      const d = declOf(from, name);
      if (!d) continue;
      lines.push(`### ${d.name}`, '', '```ts', d.signature, '```', '');
      if (d.doc) lines.push(d.doc, '');
      if (d.members.length) {
        lines.push('| member | type | meaning and default |', '| --- | --- | --- |');
        for (const mem of d.members) {
          const doc = `${mem.doc}${checkedText(d.name, mem.name)}`.trim();
          lines.push(`| \`${mem.name}\` | \`${mem.type.replace(/\|/g, '\\|')}\` | ${doc.replace(/\|/g, '\\|')} |`);
        }
        lines.push('');
      }
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const OUT = join(ROOT, 'docs', 'api.md');
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const wanted: [string, string][] = [[OUT, renderApi()]];
  for (const f of optionTableFiles()) {
    const path = join(ROOT, f);
    if (path !== OUT) wanted.push([path, fillOptionTables(readFileSync(path, 'utf8'))]);
  }
  for (const [path, text] of wanted) {
    if (readFileSync(path, 'utf8') === text) continue;
    if (process.argv.includes('--check')) {
      process.stderr.write(`${path} is out of date: run npm run docs:api\n`);
      process.exitCode = 1;
    } else {
      writeFileSync(path, text);
    }
  }
}
