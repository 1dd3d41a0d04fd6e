// A tiny static file server for the browser tests: binds 127.0.0.1 on a free port, serves
// one directory (GET/HEAD only, no directory listings, nothing outside the root), and is
// stopped by the test that started it.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:40123/`. */
  readonly url: string;
  /** Paths requested so far (for checks such as "no request left localhost's root"). */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * Serves `rootDirectory` on 127.0.0.1 (port chosen by the OS). `headers` are added to every
 * file response (e.g. the COOP/COEP pair that makes a page cross-origin isolated).
 */
export async function startStaticServer(rootDirectory: string, headers: Readonly<Record<string, string>> = {}): Promise<StaticServer> {
  const root = resolve(rootDirectory);
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const send = (status: number, message: string): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${status} ${message}\n`);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      return send(400, 'bad request');
    }
    requests.push(pathname);
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = resolve(root, `.${pathname}`);
    if (file !== root && !file.startsWith(root + sep)) return send(403, 'outside the served directory');
    stat(file).then(
      (info) => {
        if (!info.isFile()) return send(404, 'not found');
        response.writeHead(200, {
          ...headers,
          'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-length': info.size,
          'cache-control': 'no-store',
        });
        if (request.method === 'HEAD') return response.end();
        createReadStream(file).pipe(response);
      },
      () => send(404, 'not found'),
    );
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
