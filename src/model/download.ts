// The models' download client: plain node:http(s) GETs with redirects, an idle timeout, Range
// requests that resume a partial file, network errors said in words, and SHA-256 of the result.
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChromaError } from '../core/errors.js';

/** A regular file's size, or null when there is none. */
export async function fileSize(p: string): Promise<number | null> {
  try {
    const s = await stat(p);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

const NET_CODES: Record<string, string> = {
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'timed out',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
};
const CONNECT_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT']);

export class TransferError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

function describeNetError(e: NodeJS.ErrnoException): string {
  const code = e.code ?? '';
  return NET_CODES[code] ? `${NET_CODES[code]} (${code})` : e.message;
}

function unreachable(host: string, e: NodeJS.ErrnoException): ChromaError {
  return new ChromaError('model', `cannot reach ${host}: ${describeNetError(e)} (offline?)`, { cause: e });
}

interface Response {
  res: http.IncomingMessage;
  url: URL;
}

function request(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, timeoutMs: number): Promise<Response> {
  return new Promise((resolvePromise, reject) => {
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new ChromaError('model', `unsupported URL scheme in ${url.href}`));
      return;
    }
    const req = mod.get(url, { headers: { 'user-agent': 'chroma-models', ...headers }, signal }, (res) => resolvePromise({ res, url }));
    req.setTimeout(timeoutMs, () => {
      const e: NodeJS.ErrnoException = new Error('timed out');
      e.code = 'ETIMEDOUT';
      req.destroy(e);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(e);
      else reject(unreachable(url.host, e));
    });
  });
}

async function get(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, timeoutMs: number): Promise<Response> {
  let cur = url;
  for (let hop = 0; hop < 6; hop++) {
    const r = await request(cur, headers, signal, timeoutMs);
    const code = r.res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(code) && r.res.headers.location) {
      r.res.resume();
      cur = new URL(r.res.headers.location, cur);
      continue;
    }
    return r;
  }
  throw new ChromaError('model', `too many redirects fetching ${url.href}`);
}

/** One transfer attempt into `part`, resuming from its current size. Returns true when complete. */
export async function transferOnce(
  url: URL,
  part: string,
  opts: { signal?: AbortSignal; timeoutMs?: number },
  report: (received: number, total: number | null, resumedFrom: number) => void,
): Promise<{ resumed: boolean }> {
  const have = (await fileSize(part)) ?? 0;
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  const { res } = await get(url, headers, opts.signal, opts.timeoutMs ?? 30000);
  const code = res.statusCode ?? 0;

  if (code === 416 && have > 0) {
    // Range not satisfiable: the part may already be whole, or stale. Total from "bytes */N".
    res.resume();
    const m = /\/(\d+)\s*$/.exec(String(res.headers['content-range'] ?? ''));
    if (m && Number(m[1]) === have) {
      report(have, have, have);
      return { resumed: true };
    }
    await rm(part, { force: true });
    throw new TransferError('server refused the resume range; restarting the download', true);
  }
  if (code !== 200 && code !== 206) {
    res.resume();
    throw new TransferError(`HTTP ${code}${res.statusMessage ? ` ${res.statusMessage}` : ''} for ${url.href}`, code >= 500);
  }

  let start = 0;
  let total: number | null = null;
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
  if (code === 206) {
    const m = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have) {
      res.resume();
      await rm(part, { force: true });
      throw new TransferError('server sent an unexpected range; restarting the download', true);
    }
    start = have;
    total = m[3] === '*' ? (length !== null ? have + length : null) : Number(m[3]);
  } else {
    total = length;
  }

  let received = start;
  report(received, total, start);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      report(received, total, start);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res, counter, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }));
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    if ((e as Error).name === 'AbortError') throw e;
    throw new TransferError(`download interrupted after ${received} bytes: ${describeNetError(e as NodeJS.ErrnoException)}`, true);
  }
  if (!res.complete || (length !== null && received - start !== length)) {
    throw new TransferError(`download interrupted after ${received} of ${total ?? '?'} bytes`, true);
  }
  return { resumed: start > 0 };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    if (ms <= 0) return res();
    const t = setTimeout(res, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      rej(signal.reason);
    }, { once: true });
  });
}
