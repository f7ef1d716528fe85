// Log lines of a live server that a person (or a log shipper) can use: every line carries an ISO
// timestamp and the name of the source it is about, and nothing secret ever gets through (a
// camera URL's password, the viewer token), whoever wrote the message.

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export interface LogRecord {
  time: Date;
  level: LogLevel;
  /** The source's name (`--input NAME=...`), or its redacted URL when unnamed. */
  source: string;
  message: string;
}

/** One line: `2026-01-31T12:00:00.000Z warn [lobby] message` or a JSON object. */
export function formatLogRecord(r: LogRecord, format: LogFormat): string {
  if (format === 'json') return JSON.stringify({ time: r.time.toISOString(), level: r.level, source: r.source, message: r.message });
  return `${r.time.toISOString()} ${r.level.padEnd(5)} [${r.source}] ${r.message}`;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** The same sink and secrets, another source name. */
  child(source: string): Logger;
}

/** Secrets worth hiding in a URL: its user:password part, raw and percent-decoded, and the password alone. */
export function urlSecrets(input: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/@?#]*)@/i.exec(input);
  if (!m) return [];
  const userinfo = m[1];
  const colon = userinfo.indexOf(':');
  const password = colon < 0 ? '' : userinfo.slice(colon + 1);
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return [userinfo, decode(userinfo), password, decode(password)].filter((s) => s.length >= 3);
}

function scrub(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

export interface LoggerOptions {
  /** Where formatted lines go (default: stderr). */
  write?: (line: string) => void;
  /** Default 'text'. */
  format?: LogFormat;
  /** Strings replaced by *** in every message (longest first, so a password inside user:password goes too). */
  secrets?: readonly string[];
  /** Clock (tests). */
  now?: () => Date;
}

export function createLogger(source: string, o: LoggerOptions = {}): Logger {
  const write = o.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  const format = o.format ?? 'text';
  const secrets = [...new Set(o.secrets ?? [])].sort((a, b) => b.length - a.length);
  const now = o.now ?? (() => new Date());
  const emit = (level: LogLevel) => (message: string) =>
    write(formatLogRecord({ time: now(), level, source, message: scrub(message, secrets) }, format));
  return {
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (name) => createLogger(name, { ...o, secrets }),
  };
}
