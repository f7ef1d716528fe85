// The viewers' HTTP server: its timeouts, and listening with one clear line when the port is taken.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ChromaError, usageError } from '../core/errors.js';

export interface HttpEntry {
  request: (req: IncomingMessage, res: ServerResponse) => void;
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** A server for `entry`, listening on host:port (0 = any free port); resolves with the port bound. */
export async function listenHttp(entry: HttpEntry, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer(entry.request);
  server.on('upgrade', entry.upgrade);
  server.on('clientError', (_err, socket) => socket.destroy());
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 15000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE'
        ? usageError(`${host}:${port} is already in use (pick another --port)`)
        : new ChromaError('internal', `cannot listen on ${host}:${port}: ${err.message}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** What to print for a bound address: IPv6 in brackets, the wildcard as loopback. */
export function shownUrl(host: string, port: number): string {
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return `http://${shown}:${port}/`;
}
