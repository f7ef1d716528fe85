// The parts of a request target the servers look at, taken as sent: never decoded or normalised,
// never joined to a filesystem path, so `/../x`, `/%2e%2e/` and friends simply match no route.

/** The request path exactly as sent, without the query. */
export function rawPath(url: string | undefined): string {
  const u = url ?? '';
  const q = u.search(/[?#]/);
  return q < 0 ? u : u.slice(0, q);
}

/** The raw query string of a request target (without the '?'), or ''. */
export function rawQuery(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?');
  return q < 0 ? '' : u.slice(q + 1);
}
