/**
 * A small read-only HTTP server: GET and HEAD of the assets a resolver names, nothing else. Files
 * are read when asked for (a run still training keeps replacing its checkpoint and metrics).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ServeError } from './errors.js';
import { mimeType } from './mime.js';

/** What a URL path serves: a file (read on each request) or bytes held in memory. */
export type Asset = { file: string; type?: string } | { body: string | Uint8Array; type: string };

/** The asset of a decoded URL path ('/', '/lib/archai-ts.js', ...), or null for 404. */
export type Resolver = (path: string) => Asset | null | Promise<Asset | null>;

export interface StaticServer {
  /** http://host:port/ as a browser on this machine reaches it. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open (keep-alive) connections. Idempotent. */
  close(): Promise<void>;
}

/** Starts serving on host:port (port 0: any free port). A port in use or a bad host is a ServeError. */
export async function startStaticServer(options: { host: string; port: number; resolve: Resolver }): Promise<StaticServer> {
  const server = createServer((req, res) => {
    handle(req, res, options.resolve).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${(err as Error).message}`);
      else res.destroy();
    });
  });
  await listen(server, options.host, options.port);
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(options.host)}:${port}/`,
    port,
    close: () => {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE')
        reject(new ServeError(`port ${port} on ${host} is in use; choose another with --port (0: any free port)`));
      else if (err.code === 'EACCES') reject(new ServeError(`no permission to listen on ${where}; choose a port above 1023 with --port`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        reject(new ServeError(`cannot listen on ${where}: ${host} is not an address of this machine; pass --host 127.0.0.1`));
      } else reject(new ServeError(`cannot listen on ${where} (${err.code ?? err.message})`));
    });
    server.listen(port, host, () => resolve());
  });
}

/** The host part of a URL a local browser can open: any-address binds are reached on loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function handle(req: IncomingMessage, res: ServerResponse, resolve: Resolver): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'only GET and HEAD');
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(res, 400, 'bad URL');
  }
  const asset = await resolve(path);
  if (asset == null) return send(res, 404, `not found: ${path}`);
  if ('body' in asset) {
    const body = typeof asset.body === 'string' ? Buffer.from(asset.body) : asset.body;
    res.writeHead(200, headers(asset.type, body.byteLength));
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const info = await stat(asset.file).catch(() => null);
  if (!info?.isFile()) return send(res, 404, `not found: ${path}`);
  res.writeHead(200, headers(asset.type ?? mimeType(asset.file), info.size));
  if (req.method === 'HEAD') return void res.end();
  createReadStream(asset.file)
    .on('error', () => res.destroy())
    .pipe(res);
}

function headers(type: string, length: number): Record<string, string | number> {
  // no-store: the run's files change while it trains, and the page must never mix old and new.
  return { 'Content-Type': type, 'Content-Length': length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, headers('text/plain; charset=utf-8', Buffer.byteLength(text)));
  res.end(text);
}
