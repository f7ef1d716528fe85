// The overview page of a several-source server: every source's own viewer page side by side (one
// frame each, same origin). The token, when there is one, is passed on from this page's address
// (pages/overview.js).
import { buildPage, pageScript, type ViewerPage } from './page-shell.js';

const CSS = `body { margin: 0; padding: 12px; background: #101113; color: #e6e6e6; font: 14px system-ui, sans-serif; }
h1 { font-size: 16px; margin: 0 0 12px; }
main { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
section h2 { font-size: 14px; margin: 0 0 6px; } section h2 a { color: inherit; }
iframe { width: 100%; aspect-ratio: 4 / 3.6; border: 0; border-radius: 6px; background: #000; }`;

/** `names` are source names (letters, digits, - and _ only: nothing to escape). */
export function buildOverviewPage(names: readonly string[]): ViewerPage {
  const sections = names.map((n) => `<section><h2><a data-href="${n}/">${n}</a></h2><iframe data-src="${n}/" title="${n}"></iframe></section>`).join('\n');
  return buildPage({
    title: `chroma: ${names.length} sources`, css: CSS, body: `<h1>chroma live: ${names.join(', ')}</h1>\n<main>\n${sections}\n</main>\n`,
    scripts: [pageScript('overview.js')], allow: ["frame-src 'self'"], frameAncestors: "'none'",
  });
}
