// The first checks of every message a page sends over a socket: text, not too large, JSON, an
// object with a string `type`. Each socket's own module checks the rest.

export type JsonMessage = { ok: true; obj: Record<string, unknown> & { type: string }; bytes: number } | { ok: false; error: string };

export function parseJsonMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, maxBytes: number): JsonMessage {
  if (isBinary) return { ok: false, error: 'binary messages are not accepted; send JSON text' };
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  if (buf.length > maxBytes) return { ok: false, error: `message too large (${buf.length} bytes, max ${maxBytes})` };
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'expected a JSON object' };
  const obj = value as Record<string, unknown>;
  if (typeof obj.type !== 'string') return { ok: false, error: 'missing "type"' };
  return { ok: true, obj: obj as Record<string, unknown> & { type: string }, bytes: buf.length };
}
