// Package-manager fixtures: the machine's local package index served over HTTP (poetry reads
// only http(s) sources), poetry projects made concrete for that URL, and the uv stand-in.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localPipEnv, repoRoot } from './python-fixtures.js';

export const managerFixture = (name: 'poetry' | 'pipenv' | 'pyproject' | 'uv'): string =>
  path.join(repoRoot, '__tests__', 'fixtures', 'managers', name);

/** The directory holding the recording uv stand-in (an executable named `uv`). */
export const uvStandInDir = path.join(repoRoot, '__tests__', 'fixtures', 'managers', 'uv-stand-in');

export interface IndexServer {
  /** The simple index URL, e.g. http://127.0.0.1:41234/simple */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the local package index (PIP_INDEX_URL, a file:// URL on these machines) over HTTP:
 * the directory above `simple/` is the web root, so the pages' relative file links work.
 * An http(s) PIP_INDEX_URL is returned as is.
 */
export async function startIndexServer(): Promise<IndexServer> {
  const indexUrl = localPipEnv().PIP_INDEX_URL;
  if (!indexUrl) throw new Error('no PIP_INDEX_URL: the local package index is not configured');
  if (!indexUrl.startsWith('file:')) return { url: indexUrl, close: async () => undefined };
  const simple = fileURLToPath(indexUrl).replace(/\/+$/, '');
  const root = path.dirname(simple);
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let file = path.normalize(path.join(root, pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, {
        'Content-Length': size,
        'Content-Type': file.endsWith('.html') ? 'text/html' : 'application/octet-stream'
      });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${path.basename(simple)}`,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

/** poetry 1.x's content-hash of pyproject.toml (what `poetry lock --check` compares). */
export function poetryContentHash(projectDir: string): string {
  const script = [
    'import hashlib, json, sys, tomllib',
    'c = tomllib.load(open(sys.argv[1], "rb"))["tool"]["poetry"]',
    'keys = ["dependencies", "source", "extras", "dev-dependencies", "group"]',
    'print(hashlib.sha256(json.dumps({k: c.get(k) for k in keys}, sort_keys=True).encode()).hexdigest())'
  ].join('\n');
  return execFileSync('python3', ['-c', script, path.join(projectDir, 'pyproject.toml')], {
    encoding: 'utf8'
  }).trim();
}

/**
 * Makes the poetry fixture in `projectDir` concrete: its source (and the lock's) point at
 * `indexUrl`, and poetry.lock's content-hash matches pyproject.toml again.
 */
export function concretePoetryProject(projectDir: string, indexUrl: string): void {
  for (const name of ['pyproject.toml', 'poetry.lock']) {
    const file = path.join(projectDir, name);
    if (existsSync(file))
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll('@INDEX_URL@', indexUrl));
  }
  const lock = path.join(projectDir, 'poetry.lock');
  writeFileSync(
    lock,
    readFileSync(lock, 'utf8').replace(
      /content-hash = "[^"]*"/,
      `content-hash = "${poetryContentHash(projectDir)}"`
    )
  );
}

/** One invocation the uv stand-in recorded. */
export interface UvCall {
  argv: string[];
  cwd: string;
  env: Record<string, string | null>;
}

export function readUvCalls(log: string): UvCall[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line) as UvCall);
}
