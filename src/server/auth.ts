// Who may use the server: an optional shared token (query ?token=, `Authorization: Bearer`, or
// `X-Chroma-Token`), compared in constant time; a Host check against DNS rebinding while bound to
// loopback; and an Origin check on the WebSocket so other sites cannot drive a viewer's browser.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { rawQuery } from './request-target.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time string equality (both sides hashed first, so lengths leak nothing either). */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function tokenFrom(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const header = req.headers['x-chroma-token'];
  if (typeof header === 'string' && header) return header;
  try {
    const t = new URLSearchParams(rawQuery(req.url)).get('token');
    if (t) return t;
  } catch {
    /* malformed query: no token */
  }
  return null;
}

export function authorized(req: IncomingMessage, token: string | null): boolean {
  if (!token) return true;
  const given = tokenFrom(req);
  // Always run the comparison, even without a token, so timing says nothing.
  return tokensEqual(given ?? '', token) && given !== null;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Hostname part of a Host header ("a:1" -> "a", "[::1]:8" -> "[::1]"). */
function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const c = h.lastIndexOf(':');
  return c < 0 ? h : h.slice(0, c);
}

/**
 * While the server listens on loopback only, a page from another site that re-points its DNS name
 * at 127.0.0.1 would reach us with its own name in Host: accept loopback names (and the bind host) only.
 */
export function hostAllowed(req: IncomingMessage, bindHost: string): boolean {
  if (!isLoopbackHost(bindHost)) return true;
  const h = req.headers.host;
  if (!h) return false;
  const name = hostName(h);
  return isLoopbackHost(name) || name === bindHost.toLowerCase();
}

/**
 * Browsers always send Origin on a WebSocket handshake; it must name this server (same host and
 * port as the Host header) or one of the allowed origins ('*' allows any). Clients that are not
 * browsers send no Origin and are let through (the token still applies).
 */
export function originAllowed(req: IncomingMessage, allow: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allow.includes('*')) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (allow.some((a) => a.replace(/\/+$/, '').toLowerCase() === parsed.origin.toLowerCase())) return true;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && parsed.host.toLowerCase() === host;
}
