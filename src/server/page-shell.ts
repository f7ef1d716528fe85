// What every page the server sends shares: one HTML document whose inline scripts and styles are
// allowed by hash and nothing else, and the Content-Security-Policy that says so. The scripts are
// files of their own (pages/*.js, type-checked by pages/tsconfig.json), read from beside this module:
// src/server/pages under tsx, dist/src/server/pages once built (the build copies them there).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A page served from memory. */
export interface ViewerPage {
  body: Buffer;
  contentSecurityPolicy: string;
  /** X-Frame-Options, for browsers that ignore frame-ancestors. */
  frameOptions: 'DENY' | 'SAMEORIGIN';
}

/** A CSP source for an inline block. */
export function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

const scripts = new Map<string, string>();

/** The text of pages/NAME, read once. */
export function pageScript(name: string): string {
  let text = scripts.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./pages/${name}`, import.meta.url), 'utf8');
    scripts.set(name, text);
  }
  return text;
}

export interface PageParts {
  title: string;
  css: string;
  /** The body's markup (without scripts). */
  body: string;
  /** Inline scripts, in order, each allowed by its hash. */
  scripts: string[];
  /** Extra CSP directives (e.g. "img-src 'self' blob: data:", "connect-src 'self'"). */
  allow: string[];
  /** Who may frame the page: "'none'" or "'self'". */
  frameAncestors: "'none'" | "'self'";
}

export function buildPage(p: PageParts): ViewerPage {
  const html = `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="referrer" content="no-referrer">\n` +
    `<title>${p.title}</title>\n<style>${p.css}</style>\n</head>\n<body>\n${p.body}` +
    `${p.scripts.map((s) => `<script>${s}</script>\n`).join('')}</body>\n</html>\n`;
  const csp = [
    "default-src 'none'",
    `script-src ${p.scripts.map(sha256).join(' ')}`,
    `style-src ${sha256(p.css)}`,
    ...p.allow,
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${p.frameAncestors}`,
  ].join('; ');
  return { body: Buffer.from(html, 'utf8'), contentSecurityPolicy: csp, frameOptions: p.frameAncestors === "'self'" ? 'SAMEORIGIN' : 'DENY' };
}
