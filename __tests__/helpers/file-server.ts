// A tiny static HTTP server on 127.0.0.1 with fault injection, for download tests (Oracle
// zips, Python archives, a versions manifest). Every request is logged.
//
// Route options:
//   file        path of a file to stream (read at request time, so it may change)
//   body        inline body (Buffer or string) when there is no file
//   status      status code (default 200; e.g. 500 to fail, with a small body if none given)
//   truncateAt  send a Content-Length of the full body but close the socket after this many
//               bytes (a broken download)
//   delayMs     wait this long before answering
//   headers     extra response headers
// Unknown paths answer 404. Routes match the request path with its query string first,
// then without it.
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileRoute {
  file?: string;
  body?: Buffer | string;
  status?: number;
  truncateAt?: number;
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface LoggedRequest {
  method: string;
  /** Request target as sent, query string included. */
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface FileServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  requests: LoggedRequest[];
  /** Add, replace or (with undefined) remove a route. */
  setRoute(path: string, route: FileRoute | undefined): void;
  close(): Promise<void>;
}

function contentType(p: string): string {
  if (p.endsWith('.json')) return 'application/json';
  if (p.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export async function startFileServer(routes: Record<string, FileRoute> = {}): Promise<FileServer> {
  const table = new Map<string, FileRoute>(Object.entries(routes));
  const requests: LoggedRequest[] = [];

  const server = http.createServer((req, res) => {
    const target = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path: target, headers: req.headers });
    const pathname = target.split('?')[0];
    const route = table.get(target) ?? table.get(pathname);
    const headOnly = method === 'HEAD';

    const respond = (): void => {
      if (res.destroyed) return;
      if (!route) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(headOnly ? undefined : 'Not Found\n');
        return;
      }
      const status = route.status ?? 200;
      const headers: Record<string, string | number> = {
        'Content-Type': contentType(route.file ?? pathname),
        ...route.headers
      };

      let size: number;
      let inline: Buffer | undefined;
      if (route.file !== undefined) {
        try {
          size = statSync(route.file).size;
        } catch {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(headOnly ? undefined : `fixture file missing: ${route.file}\n`);
          return;
        }
      } else {
        inline = Buffer.from(
          route.body ?? (status >= 400 ? `${status} ${http.STATUS_CODES[status] ?? ''}\n` : '')
        );
        size = inline.length;
      }
      headers['Content-Length'] = size;
      res.writeHead(status, headers);
      if (headOnly) {
        res.end();
        return;
      }

      const cut = route.truncateAt;
      if (cut !== undefined && cut < size) {
        // Full Content-Length announced, fewer bytes sent, then the connection drops.
        // socket.end() flushes what was written, then sends FIN: the client sees the
        // connection close before Content-Length bytes arrived.
        const kill = (): void => {
          const socket = res.socket;
          if (!socket) return;
          socket.end();
          setTimeout(() => socket.destroy(), 2000).unref();
        };
        if (cut <= 0) {
          res.flushHeaders();
          kill();
        } else if (inline) {
          res.write(inline.subarray(0, cut));
          kill();
        } else {
          const stream = createReadStream(route.file as string, { start: 0, end: cut - 1 });
          stream.on('data', chunk => res.write(chunk));
          stream.on('end', kill);
          stream.on('error', () => res.socket?.destroy());
        }
        return;
      }
      if (inline) {
        res.end(inline);
      } else {
        const stream = createReadStream(route.file as string);
        stream.on('error', () => res.socket?.destroy());
        stream.pipe(res);
      }
    };

    if (route?.delayMs) {
      const timer = setTimeout(respond, route.delayMs);
      res.on('close', () => clearTimeout(timer));
    } else {
      respond();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setRoute(p: string, route: FileRoute | undefined): void {
      if (route === undefined) table.delete(p);
      else table.set(p, route);
    },
    close(): Promise<void> {
      closed ??= new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    }
  };
}
