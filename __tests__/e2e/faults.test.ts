// Faults and hostile input: a cancelled install leaves nothing that is reused or cached, and
// no input reaches a shell or becomes a command-line option, a full disk is named and leaves
// nothing trusted, and secrets appear nowhere the action writes.
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { FAKE_GITHUB_TOKEN, repoRoot, runnerNode } from '../../scripts/e2e/runner.mjs';
import { packVenv, removeShards, shardDirFor } from '../../src/cache/shards.js';
import {
  annotations,
  errors,
  exampleProject,
  fixtureProject,
  makeWorkspace,
  runSetupDjango,
  toolCacheWithMachinePython
} from '../helpers/e2e.js';
import { startFileServer, type FileServer } from '../helpers/file-server.js';
import { buildFakeInstantClient } from '../helpers/oracle-fake.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

function freshCheckout(workspace: string): void {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(fixtureProject('crlf'), workspace, { recursive: true });
}

describe('a cancelled run (SIGTERM mid-install)', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'cancel-'));
  const workspace = path.join(root, 'workspace');
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
  });

  it('leaves no venv that a rerun trusts and no cache entry', async () => {
    freshCheckout(workspace);
    const venv = path.join(workspace, '.venv');
    const cancelled = await runSetupDjango(
      workspace,
      {},
      { env: server.envFor('v2'), cancelWhen: () => existsSync(path.join(venv, 'pyvenv.cfg')) }
    );
    expect(cancelled.exitCode).not.toBe(0);
    expect(errors(cancelled)).toMatch(/cancelled \(SIGTERM\)/);
    expect(cancelled.post).toBeUndefined();
    expect(existsSync(path.join(venv, '.setup-django.json'))).toBe(false);
    expect(server.entries()).toEqual([]);

    const rerun = await runSetupDjango(
      workspace,
      { collectstatic: 'false' },
      { env: server.envFor('v2') }
    );
    expect(errors(rerun)).toBe('');
    expect(rerun.outputs['cache-hit']).toBe('false');
    expect(existsSync(path.join(venv, '.setup-django.json'))).toBe(true);
    expect(server.entries().map(e => e.key)).toEqual([rerun.outputs['cache-key']]);
  });
});

describe('a cancelled cache restore or save leaves no shard files', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'cancel-shards-'));
  const workspace = path.join(root, 'workspace');
  const workDir = path.join(workspace, '.setup-django-cache');
  const inputs = { migrate: 'false', collectstatic: 'false' };
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('cancelled in the post step while packing: no shards, no entry', async () => {
    freshCheckout(workspace);
    const result = await runSetupDjango(workspace, inputs, {
      env: server.envFor('v2'),
      cancelPostWhen: () => existsSync(path.join(workDir, '.venv'))
    });
    expect(errors(result)).toBe('');
    expect(result.post?.exitCode).not.toBe(0);
    expect(existsSync(workDir)).toBe(false);
    expect(server.entries()).toEqual([]);
  });

  it('cancelled in the main step while unpacking a hit: no shards', async () => {
    freshCheckout(workspace);
    const saved = await runSetupDjango(workspace, inputs, { env: server.envFor('v2') });
    expect(server.entries().map(e => e.key)).toEqual([saved.outputs['cache-key']]);
    freshCheckout(workspace);
    const cancelled = await runSetupDjango(workspace, inputs, {
      env: server.envFor('v2'),
      // The venv's folders appear once the shards are downloaded and checked, as they unpack.
      cancelWhen: () =>
        existsSync(path.join(workDir, '.venv')) && existsSync(path.join(workspace, '.venv', 'lib'))
    });
    expect(cancelled.exitCode).not.toBe(0);
    expect(errors(cancelled)).toMatch(/cancelled \(SIGTERM\)/);
    expect(existsSync(workDir)).toBe(false);
  });

  it('a killed run (SIGKILL, no clean-up possible): the next run removes its shards', async () => {
    freshCheckout(workspace);
    mkdirSync(path.join(workDir, '.venv'), { recursive: true });
    writeFileSync(path.join(workDir, '.venv', 'shard-0.tar.zst'), 'left by a killed run');
    const result = await runSetupDjango(workspace, inputs, { post: false });
    expect(errors(result)).toBe('');
    expect(existsSync(workDir)).toBe(false);
  });
});

describe('a crafted cache entry', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'crafted-entry-'));
  const workspace = path.join(root, 'workspace');
  const outside = path.join(root, 'outside');
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('whose symlink points out of the venv (x -> /dir, x/file in a bigger shard) is refused and rebuilt', async () => {
    freshCheckout(workspace);
    const inputs = { migrate: 'false', collectstatic: 'false' };
    const first = await runSetupDjango(workspace, inputs, {
      env: server.envFor('v2'),
      post: false
    });
    expect(errors(first)).toBe('');
    // The real venv's shards, plus a tiny shard making `x -> <outside>` and a big one holding
    // padding, then x/pwned.txt: unpacked side by side, the file would land in <outside>.
    const venv = path.join(workspace, '.venv');
    const shardDir = shardDirFor(venv);
    const manifest = await packVenv(venv, shardDir);
    mkdirSync(outside, { recursive: true });
    const src = path.join(root, 'crafted');
    mkdirSync(path.join(src, 'big', 'x'), { recursive: true });
    symlinkSync(outside, path.join(src, 'x'));
    writeFileSync(path.join(src, 'big', 'padding.bin'), Buffer.alloc(16 * 1024 * 1024, 1));
    writeFileSync(path.join(src, 'big', 'x', 'pwned.txt'), 'pwned');
    const zstd = manifest.compression === 'zstd' ? ['--use-compress-program', 'zstd'] : [];
    const ext = manifest.compression === 'zstd' ? '.zst' : '';
    execFileSync('tar', [
      '-c',
      ...zstd,
      '-f',
      path.join(shardDir, `shard-8.tar${ext}`),
      '-C',
      src,
      'x'
    ]);
    execFileSync('tar', [
      '-c',
      ...zstd,
      '-f',
      path.join(shardDir, `shard-9.tar${ext}`),
      '-C',
      path.join(src, 'big'),
      'padding.bin',
      'x/pwned.txt'
    ]);
    manifest.shards.push(`shard-8.tar${ext}`, `shard-9.tar${ext}`);
    writeFileSync(path.join(shardDir, 'manifest.json'), JSON.stringify(manifest));
    await execFileAsync(
      runnerNode(),
      [
        path.join(repoRoot, 'scripts', 'e2e', 'cache-client.mjs'),
        'save',
        '--path',
        shardDir,
        '--key',
        first.outputs['cache-key']
      ],
      {
        env: {
          ...process.env,
          ...server.envFor('v2'),
          GITHUB_WORKSPACE: workspace,
          RUNNER_TEMP: root
        } as NodeJS.ProcessEnv,
        timeout: 120000
      }
    );
    removeShards(shardDir);
    expect(server.entries()).toHaveLength(1);

    freshCheckout(workspace);
    const second = await runSetupDjango(workspace, inputs, { env: server.envFor('v2') });
    expect(errors(second)).toBe('');
    expect(second.outputs['cache-hit']).toBe('false');
    expect(annotations(second, 'warning').join('\n')).toMatch(
      /symbolic link pointing outside the venv \('x' -> '.*outside'\)/
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(path.join(workspace, '.venv', 'x'))).toBe(false);
  });
});

describe('hostile files in the workspace', () => {
  it.each([
    [
      'a requirements include loop',
      (dir: string) => {
        writeFileSync(path.join(dir, 'requirements.txt'), '-r base.txt\ndjango\n');
        writeFileSync(path.join(dir, 'base.txt'), '-r requirements.txt\n');
      },
      {},
      /include each other in a loop: requirements.txt -> base.txt -> requirements.txt/
    ],
    [
      'a cache-dependency-path glob matching a directory',
      (dir: string) => mkdirSync(path.join(dir, 'reqs.d')),
      { 'cache-dependency-path': 'reqs.d' },
      /'cache-dependency-path' pattern 'reqs.d' matched only the directory reqs.d/
    ],
    [
      'a cache-dependency-path glob matching a named pipe',
      (dir: string) => execFileSync('mkfifo', [path.join(dir, 'requirements.lock')]),
      { 'cache-dependency-path': '*.lock' },
      /'cache-dependency-path' pattern '\*.lock' matched only the special file/
    ]
  ])('%s: one clear error, no bug report, no hang', async (_name, prepare, inputs, message) => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'hostile-files-'));
    cpSync(fixtureProject('crlf'), workspace, { recursive: true });
    prepare(workspace);
    const result = await runSetupDjango(workspace, inputs, { timeoutMs: 120000 });
    expect(result.signal).toBeNull();
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(message);
    expect(errors(result)).not.toMatch(/This is a bug|RecursionError|EISDIR/);
    expect(annotations(result, 'error')).toHaveLength(1);
    rmSync(workspace, { recursive: true, force: true });
  });
});

describe('cache: false with a pinned Oracle client from a mirror with credentials', () => {
  const VERSION = '23.8.0.25.04';
  const root = mkdtempSync(path.join(os.tmpdir(), 'oracle-no-cache-'));
  let files: FileServer;
  let cache: CacheServer;
  let sha256: string;
  beforeAll(async () => {
    const fake = await buildFakeInstantClient({
      version: VERSION,
      outDir: path.join(root, 'zips')
    });
    sha256 = fake.sha256;
    files = await startFileServer({
      [`/mirror/instantclient-basic-linux.x64-${VERSION}.zip`]: { file: fake.zipPath }
    });
    cache = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await files?.close();
    await cache?.close();
    rmSync('/etc/ld.so.conf.d/oracle-instantclient.conf', { force: true });
    await execFileAsync('ldconfig').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('restores and saves nothing anywhere, and no credential is logged, stored or handed over', async () => {
    const toolCache = path.join(root, 'toolcache');
    mkdirSync(toolCache, { recursive: true });
    symlinkSync(path.join(toolCacheWithMachinePython(), 'Python'), path.join(toolCache, 'Python'));
    const workspace = makeWorkspace(fixtureProject('crlf'));
    const password = 'hunter2-mirror-pw';
    const result = await runSetupDjango(
      workspace,
      {
        cache: 'false',
        'oracle-instant-client': '23.8',
        'oracle-instant-client-url': `${files.url.replace('://', `://deploy:${password}@`)}/mirror`,
        'oracle-instant-client-sha256': sha256
      },
      { toolCache, env: cache.envFor('v2') }
    );
    expect(errors(result)).toBe('');
    expect(result.post?.exitCode).toBe(0);
    expect(cache.entries()).toEqual([]);
    expect(cache.requests).toEqual([]);
    expect(result.stdout).toContain(`::add-mask::${password}`);
    const stored = readFileSync(
      path.join(result.outputs['oracle-client-path'], '.setup-django-oracle.json'),
      'utf8'
    );
    const written = [
      result.stdout.replace(/^::add-mask::.*$/gm, ''),
      result.stderr,
      result.summary,
      JSON.stringify(result.outputs),
      JSON.stringify(result.exportedEnv),
      JSON.stringify(result.state),
      result.post?.stdout ?? '',
      stored
    ].join('\n');
    expect(written).not.toContain(password);
    expect(stored).toContain(`${files.url}/mirror/`);
    // The credentials still reach the mirror, as a header rather than in the URL.
    expect(files.requests.map(r => r.headers.authorization)).toContain(
      `Basic ${Buffer.from(`deploy:${password}`).toString('base64')}`
    );
  });
});

describe('hostile inputs reach no shell and no command-line option', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { 'requirements-file': '--index-url=http://evil.invalid/simple' },
      /requirements file --index-url=http:\/+evil.invalid\/simple named in 'requirements-file' does not exist/
    ],
    [{ 'settings-module': '$(id)' }, /'settings-module' must be a dotted Python module path/],
    [{ 'settings-module': 'mysite.settings`id`' }, /'settings-module'/],
    [{ 'python-version': '3.11\nid' }, /'python-version'/],
    [{ 'python-version': '3.11; touch /tmp/pwned' }, /'python-version'/],
    [{ 'venv-path': '.venv\n/tmp/evil' }, /'venv-path' contains a new line/],
    [{ 'requirements-file': 'requirements.txt\n\u001b[2Jx.txt' }, /'requirements-file'.*U\+001B/],
    [{ 'apt-packages': 'postgresql-' }, /'apt-packages'.*remove postgresql/],
    [
      { 'cache-dependency-path': 'crlfsite' },
      /'cache-dependency-path' pattern 'crlfsite' matched only the directory crlfsite/
    ],
    [{ 'working-directory': '../../..' }, /'working-directory'.*outside the workspace/],
    [{ 'venv-path': '../../../tmp/evil venv' }, /'venv-path'.*outside the workspace/],
    [{ 'cache-suffix': 'x,y' }, /'cache-suffix'/],
    [{ 'apt-packages': '-o APT::Update::Pre-Invoke::=id' }, /'apt-packages'/],
    [{ 'apt-packages': 'curl;id' }, /'apt-packages'/],
    [{ 'server-version': '1.0 --index-url http://evil' }, /'server-version'/],
    [{ artifact: 'true', 'artifact-name': '../../etc/cron.d/x' }, /'artifact-name'/],
    [
      { 'smoke-test-path': 'http://evil.invalid/' },
      /'smoke-test-path'|'smoke-test' is true but 'server' is none/
    ],
    [
      { 'oracle-instant-client': 'latest', 'oracle-instant-client-url': 'file:///etc' },
      /'oracle-instant-client-url'/
    ],
    [{ 'migrate-database': 'default --run-syncdb' }, /'migrate-database'/],
    [{ 'python-version': 'x'.repeat(5000) }, /limit is 4096/],
    [{ 'python-mirror': 'file:///etc/passwd' }, /'python-mirror' must be an http\(s\) URL/],
    [{ 'check-latest': 'yes please' }, /'check-latest'/]
  ];
  const title = (inputs: Record<string, string>): string =>
    JSON.stringify(inputs).replace(/(.{60}).{20,}(.{10})/, '$1…$2');

  it.each(cases.map(([inputs, message]) => [title(inputs), inputs, message] as const))(
    '%s',
    async (_title, inputs, message) => {
      const workspace = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
      cpSync(fixtureProject('crlf'), workspace, { recursive: true });
      const result = await runSetupDjango(workspace, inputs);
      expect(result.exitCode).toBe(1);
      expect(errors(result)).toMatch(message);
      expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
      expect(existsSync('/tmp/pwned')).toBe(false);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at .*\.js:\d+:\d+/);
      expect(annotations(result, 'error')).toHaveLength(1);
      expect(result.addedPath).toEqual([]);
    }
  );
});

/** A small tmpfs (root only, as CI runs): where a disk fills up for real. */
function mountSmallDisk(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir]);
  } catch {
    /* not mounted */
  }
}

describe('a disk that fills up', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'disk-full-'));
  const disk = path.join(root, 'disk');
  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0); // mounting a tmpfs needs root, which CI has
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
    unmount(disk);
    rmSync(root, { recursive: true, force: true });
  });

  it('while the venv is built: a clear error, no completion marker, nothing cached', async () => {
    mountSmallDisk(disk, '24m');
    const workspace = path.join(root, 'workspace');
    freshCheckout(workspace);
    const venv = path.join(disk, 'venv');
    const result = await runSetupDjango(
      workspace,
      { 'venv-path': venv },
      { env: server.envFor('v2') }
    );
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/disk is full/);
    expect(existsSync(path.join(venv, '.setup-django.json'))).toBe(false);
    expect(result.post).toBeUndefined();
    expect(server.entries()).toEqual([]);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at .*\.js:\d+:\d+/);
  });

  it('while a cached venv is extracted: not trusted, rebuilt, and the failure named', async () => {
    unmount(disk);
    mountSmallDisk(disk, '300m');
    const workspace = path.join(root, 'workspace');
    freshCheckout(workspace);
    const venv = path.join(disk, 'venv');
    const inputs = { 'venv-path': venv, collectstatic: 'false', migrate: 'false' };
    const saved = await runSetupDjango(workspace, inputs, { env: server.envFor('v2') });
    expect(errors(saved)).toBe('');
    expect(server.entries().map(e => e.key)).toEqual([saved.outputs['cache-key']]);

    unmount(disk);
    mountSmallDisk(disk, '24m');
    freshCheckout(workspace);
    const full = await runSetupDjango(workspace, inputs, { env: server.envFor('v2') });
    expect(full.exitCode).toBe(1);
    expect(full.outputs['cache-hit']).not.toBe('true');
    expect(errors(full)).toMatch(/disk is full/);
    expect(existsSync(path.join(venv, '.setup-django.json'))).toBe(false);
    expect(server.entries()).toHaveLength(1);
  });
});

describe('secrets never leave the run', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  it('the token and the database password appear in no log, output, summary, state or artifact', async () => {
    const workspace = makeWorkspace(exampleProject);
    const result = await runSetupDjango(
      workspace,
      {
        'requirements-file': 'requirements.txt\nrequirements-postgres.txt',
        artifact: 'true'
      },
      { env: { DATABASE_URL: postgres.url } }
    );
    expect(errors(result)).toBe('');
    const secrets = [postgres.password, FAKE_GITHUB_TOKEN];
    for (const secret of secrets) expect(result.stdout).toContain(`::add-mask::${secret}`);

    const unpacked = mkdtempSync(path.join(os.tmpdir(), 'artifact-scan-'));
    execFileSync('tar', ['-xzf', result.outputs['artifact-path'], '-C', unpacked]);
    const artifactText = execFileSync('cat', listFiles(unpacked), { maxBuffer: 1 << 30 });
    rmSync(unpacked, { recursive: true, force: true });
    const written = [
      result.stdout.replace(/^::add-mask::.*$/gm, ''),
      result.stderr,
      result.summary,
      JSON.stringify(result.outputs),
      JSON.stringify(result.exportedEnv),
      JSON.stringify(result.state),
      result.post?.stdout ?? '',
      result.post?.summary ?? '',
      artifactText.toString('latin1')
    ].join('\n');
    for (const secret of secrets) expect(written).not.toContain(secret);
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => path.join(entry.parentPath, entry.name));
}
