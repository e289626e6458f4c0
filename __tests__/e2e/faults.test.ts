// Faults and hostile input: a cancelled install leaves nothing that is reused or cached, and
// no input reaches a shell or becomes a command-line option, a full disk is named and leaves
// nothing trusted, and secrets appear nowhere the action writes.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { FAKE_GITHUB_TOKEN } from '../../scripts/e2e/runner.mjs';
import {
  annotations,
  errors,
  exampleProject,
  fixtureProject,
  makeWorkspace,
  runSetupDjango
} from '../helpers/e2e.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

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
