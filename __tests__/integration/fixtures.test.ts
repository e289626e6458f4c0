// Tests for the shared test fixtures: throwaway PostgreSQL, fake Oracle Instant Client zip,
// fault-injecting file server.
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import {
  buildFakeInstantClient,
  expectedClientVersionOutput,
  loadClientVersionScript
} from '../helpers/oracle-fake.js';
import { startFileServer } from '../helpers/file-server.js';
import { processAlive, psqlSync, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const helpersDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers');

const alive = processAlive;

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise(r => setTimeout(r, 100));
  }
  return cond();
}

interface ZipListing {
  name: string;
  mode: number;
  data: string;
}

/** Entries of a zip with their Unix mode, via Python's zipfile (symlink targets as data). */
function listZip(zipPath: string): ZipListing[] {
  const py = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'out = []',
    'for i in z.infolist():',
    '    mode = i.external_attr >> 16',
    '    data = z.read(i).decode() if (mode & 0o170000) == 0o120000 else ""',
    '    out.append({"name": i.filename, "mode": mode, "data": data})',
    'print(json.dumps(out))'
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', py, zipPath], { encoding: 'utf8' }));
}

describe('startPostgres', () => {
  let servers: PostgresServer[] = [];

  afterAll(async () => {
    await Promise.all(servers.map(s => s.stop()));
  });

  test('two concurrent clusters accept password logins from their url', async () => {
    servers = await Promise.all([startPostgres(), startPostgres({ database: 'other_db' })]);
    const [a, b] = servers;
    expect(a.port).not.toBe(b.port);
    expect(a.dataDir).not.toBe(b.dataDir);
    expect(a.url).toBe(`postgres://${a.user}:${a.password}@127.0.0.1:${a.port}/${a.database}`);
    expect(a.host).toBe('127.0.0.1');
    expect(a.password).toMatch(/^[0-9a-f]{20,}$/);

    expect(psqlSync(a, 'select 1')).toBe('1');
    expect(psqlSync(a, "select current_database() || ',' || current_user")).toBe(
      `django_test,${a.user}`
    );
    expect(psqlSync(b, 'select current_database()')).toBe('other_db');

    // Password auth is really enforced over TCP.
    const wrong = a.url.replace(a.password, 'not-the-password');
    expect(() =>
      execFileSync(path.join(a.binDir, 'psql'), ['-X', '-c', 'select 1', wrong], {
        stdio: 'pipe',
        env: { ...process.env, PGPASSWORD: '' }
      })
    ).toThrow(/password authentication failed/);

    // As root the server runs as the postgres system user.
    if (process.getuid?.() === 0) {
      const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      expect(statSync(`/proc/${a.pid}`).uid).toBe(postgresUid);
    }
  });

  test('missing server binaries reject with the apt package to install', async () => {
    const saved = process.env.PG_BINDIR;
    process.env.PG_BINDIR = '/nonexistent/postgresql/bin';
    try {
      await expect(startPostgres()).rejects.toThrow(/apt-get install -y postgresql/);
    } finally {
      if (saved === undefined) delete process.env.PG_BINDIR;
      else process.env.PG_BINDIR = saved;
    }
  });

  test('stop() ends the postmaster and removes the temp dir', async () => {
    const s = await startPostgres();
    const root = path.dirname(s.dataDir);
    expect(alive(s.pid)).toBe(true);
    expect(existsSync(root)).toBe(true);
    await s.stop();
    expect(alive(s.pid)).toBe(false);
    expect(existsSync(root)).toBe(false);
    await s.stop(); // idempotent
  });

  // The safety nets, exercised in a child node process running the helper transpiled to JS.
  describe.each([
    ['exits without calling stop() (exit handler)', 'exit'],
    ['is SIGKILLed (watchdog)', 'kill']
  ])('a process that %s leaves no postmaster behind', (_label, mode) => {
    test('cleaned up', async () => {
      // Two levels under the repo, like helpers/, so the module finds .fixtures/ as usual.
      const fixtures = path.join(helpersDir, '..', '..', '.fixtures');
      mkdirSync(fixtures, { recursive: true });
      const dir = mkdtempSync(path.join(fixtures, 'pg-safety-'));
      try {
        const src = readFileSync(path.join(helpersDir, 'postgres.ts'), 'utf8');
        const js = ts.transpileModule(src, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }
        }).outputText;
        writeFileSync(path.join(dir, 'postgres.mjs'), js);
        writeFileSync(
          path.join(dir, 'child.mjs'),
          [
            "import { startPostgres } from './postgres.mjs';",
            'const s = await startPostgres();',
            'console.log(JSON.stringify({ pid: s.pid, dataDir: s.dataDir }));',
            mode === 'exit'
              ? 'process.exit(3);'
              : "setTimeout(() => process.kill(process.pid, 'SIGKILL'), 50);"
          ].join('\n')
        );
        const child = spawn(process.execPath, [path.join(dir, 'child.mjs')], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, NODE_OPTIONS: '' }
        });
        let out = '';
        let err = '';
        child.stdout.on('data', d => (out += d));
        child.stderr.on('data', d => (err += d));
        await new Promise(r => child.on('close', r));
        expect(err).toBe('');
        const info = JSON.parse(out.trim()) as { pid: number; dataDir: string };
        const root = path.dirname(info.dataDir);
        expect(
          await waitFor(() => !alive(info.pid) && !existsSync(root), mode === 'kill' ? 10000 : 300)
        ).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('buildFakeInstantClient', () => {
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(path.join(os.tmpdir(), 'oracle-fake-'));
    // Warm the cache for all variants at once (gcc runs in parallel on a cold cache).
    const warm = path.join(out, 'warm');
    await Promise.all([
      buildFakeInstantClient({ version: '23.8.0.25.04', outDir: warm }),
      buildFakeInstantClient({ version: '23.8.0.25.04', outDir: warm, evilEntry: true }),
      buildFakeInstantClient({ version: '19.27.0.0.0', outDir: warm, libaio: false })
    ]);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("has Oracle's layout, a stored symlink, libaio, and loads through ctypes", async () => {
    const version = '23.8.0.25.04';
    const ic = await buildFakeInstantClient({ version, outDir: out });
    expect(ic.dirName).toBe('instantclient_23_8');
    expect(ic.zipPath).toBe(path.join(out, 'instantclient-basic-linux.x64-23.8.0.25.04.zip'));
    expect(ic.sha256).toMatch(/^[0-9a-f]{64}$/);

    const entries = listZip(ic.zipPath);
    expect(entries.map(e => e.name).sort()).toEqual(
      [
        'instantclient_23_8/',
        'instantclient_23_8/BASIC_LICENSE',
        'instantclient_23_8/BASIC_README',
        'instantclient_23_8/libclntsh.so',
        'instantclient_23_8/libclntsh.so.23.1',
        'instantclient_23_8/libociei.so',
        'instantclient_23_8/network/',
        'instantclient_23_8/network/admin/',
        'instantclient_23_8/network/admin/README'
      ].sort()
    );
    const link = entries.find(e => e.name === 'instantclient_23_8/libclntsh.so');
    expect((link?.mode ?? 0) & 0o170000).toBe(0o120000);
    expect(link?.data).toBe('libclntsh.so.23.1');

    // unzip (what @actions/tool-cache uses on Linux) materialises the symlink.
    const ex = path.join(out, 'x');
    mkdirSync(ex);
    execFileSync('unzip', ['-q', ic.zipPath, '-d', ex]);
    const dir = path.join(ex, ic.dirName);
    expect(lstatSync(path.join(dir, 'libclntsh.so')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dir, 'libclntsh.so'))).toBe('libclntsh.so.23.1');
    expect(existsSync(path.join(dir, 'network', 'admin', 'README'))).toBe(true);

    const ldd = execFileSync('ldd', [path.join(dir, 'libclntsh.so.23.1')], { encoding: 'utf8' });
    expect(ldd).toMatch(/libaio\.so\.1\S* => \//);

    const version_out = execFileSync('python3', ['-c', loadClientVersionScript()], {
      encoding: 'utf8',
      env: { ...process.env, LD_LIBRARY_PATH: dir }
    }).trim();
    expect(version_out).toBe('23.8.0.25.4');
    expect(version_out).toBe(expectedClientVersionOutput(version));

    // Cached: a second call is quick and byte-identical.
    const t0 = Date.now();
    const again = await buildFakeInstantClient({ version, outDir: path.join(out, 'again') });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(again.sha256).toBe(ic.sha256);
  });

  test('without libaio, and for another major version', async () => {
    const ic = await buildFakeInstantClient({
      version: '19.27.0.0.0',
      outDir: out,
      libaio: false
    });
    expect(ic.dirName).toBe('instantclient_19_27');
    const names = listZip(ic.zipPath).map(e => e.name);
    expect(names).toContain('instantclient_19_27/libclntsh.so.19.1');
    const ex = path.join(out, 'y');
    mkdirSync(ex);
    execFileSync('unzip', ['-q', ic.zipPath, '-d', ex]);
    const lib = path.join(ex, ic.dirName, 'libclntsh.so.19.1');
    expect(execFileSync('ldd', [lib], { encoding: 'utf8' })).not.toMatch(/libaio/);
    expect(
      execFileSync('python3', ['-c', loadClientVersionScript(), lib], { encoding: 'utf8' }).trim()
    ).toBe('19.27.0.0.0');
  });

  test('evilEntry adds an entry escaping the extraction dir', async () => {
    const ic = await buildFakeInstantClient({
      version: '23.8.0.25.04',
      outDir: out,
      evilEntry: true
    });
    const names = listZip(ic.zipPath).map(e => e.name);
    expect(ic.evilEntryName).toBe('instantclient_23_8/../../evil.txt');
    expect(names).toContain('instantclient_23_8/../../evil.txt');
    expect(names).toContain('instantclient_23_8/libclntsh.so.23.1');
    expect(path.posix.normalize(ic.evilEntryName as string).startsWith('../')).toBe(true);
  });
});

interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  complete: boolean;
  error?: string;
}

function get(url: string, method = 'GET'): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, res => {
      const chunks: Buffer[] = [];
      let error: string | undefined;
      res.on('data', c => chunks.push(c));
      res.on('error', e => (error = e.message));
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
          error
        })
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startFileServer', () => {
  test('serves, 404s, fails, truncates, delays and logs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'file-server-'));
    const file = path.join(dir, 'blob.bin');
    const content = Buffer.alloc(300_000, 7);
    content.write('head');
    writeFileSync(file, content);
    const srv = await startFileServer({
      '/blob.bin': { file },
      '/versions.json': { body: '{"a":1}' },
      '/broken': { status: 500 },
      '/cut.bin': { file, truncateAt: 100_000 },
      '/cut-inline': { body: 'abcdefghij', truncateAt: 4 },
      '/slow': { body: 'late', delayMs: 300 }
    });
    try {
      expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const ok = await get(`${srv.url}/blob.bin`);
      expect(ok.status).toBe(200);
      expect(ok.complete).toBe(true);
      expect(ok.body.equals(content)).toBe(true);

      const json = await get(`${srv.url}/versions.json?x=1`);
      expect(json.status).toBe(200);
      expect(json.headers['content-type']).toBe('application/json');
      expect(json.body.toString()).toBe('{"a":1}');

      expect((await get(`${srv.url}/nope`)).status).toBe(404);
      expect((await get(`${srv.url}/broken`)).status).toBe(500);

      const cut = await get(`${srv.url}/cut.bin`);
      expect(cut.status).toBe(200);
      expect(cut.headers['content-length']).toBe('300000');
      expect(cut.complete).toBe(false);
      expect(cut.body.length).toBe(100_000);

      const cutInline = await get(`${srv.url}/cut-inline`);
      expect(cutInline.headers['content-length']).toBe('10');
      expect(cutInline.complete).toBe(false);
      expect(cutInline.body.toString()).toBe('abcd');

      const t0 = Date.now();
      expect((await get(`${srv.url}/slow`)).body.toString()).toBe('late');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

      const head = await get(`${srv.url}/blob.bin`, 'HEAD');
      expect(head.headers['content-length']).toBe('300000');
      expect(head.body.length).toBe(0);

      srv.setRoute('/broken', { body: 'fixed' });
      expect((await get(`${srv.url}/broken`)).body.toString()).toBe('fixed');
      srv.setRoute('/blob.bin', undefined);
      expect((await get(`${srv.url}/blob.bin`)).status).toBe(404);

      expect(srv.requests.map(r => `${r.method} ${r.path}`)).toEqual([
        'GET /blob.bin',
        'GET /versions.json?x=1',
        'GET /nope',
        'GET /broken',
        'GET /cut.bin',
        'GET /cut-inline',
        'GET /slow',
        'HEAD /blob.bin',
        'GET /broken',
        'GET /blob.bin'
      ]);
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
