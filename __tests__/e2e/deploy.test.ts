// Deploy-ready Django through the bundled action: checks, the migration guard, a real
// PostgreSQL, the WSGI/ASGI server with its smoke test, the artifact, and the Oracle client.
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { laterStepEnv } from '../../scripts/e2e/runner.mjs';
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
import {
  buildFakeInstantClient,
  expectedClientVersionOutput,
  loadClientVersionScript,
  oracledbClientVersionScript
} from '../helpers/oracle-fake.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

describe('system checks and the migration guard', () => {
  it('deploy-check warnings pass at ERROR, as annotations and in the summary', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('deploy-warnings')), {
      check: 'deploy'
    });
    expect(errors(result)).toBe('');
    expect(result.exitCode).toBe(0);
    expect(annotations(result, 'warning').length).toBeGreaterThan(0);
    expect(result.summary).toContain('System check findings');
    expect(result.summary).toMatch(/security\.W0\d\d/);
  });

  it('deploy-check warnings fail at WARNING, naming the checks', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('deploy-warnings')), {
      check: 'deploy',
      'check-fail-level': 'WARNING'
    });
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(
      /check --deploy.*found \d+ issue\(s\) at or above WARNING.*security\.W0/s
    );
  });

  it('a model changed without a migration fails with check-migrations, listing the app', async () => {
    const workspace = makeWorkspace(fixtureProject('missing-migration'));
    const result = await runSetupDjango(workspace, { 'check-migrations': 'true' });
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/Models changed without a migration in: blog/);
    const relaxed = await runSetupDjango(workspace, { collectstatic: 'false' });
    expect(errors(relaxed)).toBe('');
  });
});

describe('the database in view', () => {
  it('a notice names a migrated database that is not on this runner', async () => {
    // A SQLite file behind a backend that reports a server's vendor and HOST: what a shared
    // database looks like to the action, without sending anything off this machine.
    const workspace = makeWorkspace(fixtureProject('crlf'));
    const backend = path.join(workspace, 'crlfsite', 'faraway');
    mkdirSync(backend);
    writeFileSync(path.join(backend, '__init__.py'), '');
    writeFileSync(
      path.join(backend, 'base.py'),
      [
        'from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper',
        '',
        '',
        'class DatabaseWrapper(SQLiteWrapper):',
        '    vendor = "faraway"',
        ''
      ].join('\n')
    );
    appendFileSync(
      path.join(workspace, 'crlfsite', 'settings.py'),
      '\nDATABASES["default"].update(ENGINE="crlfsite.faraway", HOST="db.example.com", PORT="5432", USER="app", PASSWORD="s3cret-pw")\n'
    );
    const result = await runSetupDjango(workspace, { collectstatic: 'false' });
    expect(errors(result)).toBe('');
    const where = `faraway db.example.com:5432/${path.join(workspace, 'db.sqlite3')}`;
    expect(result.stdout).toMatch(
      new RegExp(`^\\d+ migrations applied to ${where.replace(/[./]/g, '\\$&')}\\.$`, 'm')
    );
    expect(
      result.commands.find(c => c.command === 'notice' && /not on this runner/.test(c.message))
    ).toMatchObject({
      properties: { title: 'setup-django: migrate on a remote database' },
      message: expect.stringContaining(`migrate ran against ${where} (alias 'default')`)
    });
    expect(result.summary).toContain(`Database migrated: <code>${where}</code>`);
    expect(result.summary).toContain('not on this runner');
    expect(result.stdout.replace(/::add-mask::.*/g, '')).not.toContain('s3cret-pw');
    expect(result.stdout).not.toMatch(/\bapp@/);
  });
});

describe('PostgreSQL', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  it('migrates the example project into a real PostgreSQL through DATABASE_URL, masking the password', async () => {
    const workspace = makeWorkspace(exampleProject);
    const result = await runSetupDjango(
      workspace,
      { 'requirements-file': 'requirements.txt\nrequirements-postgres.txt' },
      { env: { DATABASE_URL: postgres.url } }
    );
    expect(errors(result)).toBe('');
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(5);
    expect(result.stdout).toContain(`::add-mask::${postgres.password}`);
    // The log and the summary name the database migrated (never the user or the password).
    const { hostname, port, pathname } = new URL(postgres.url);
    const where = `postgresql ${hostname}:${port}${pathname}`;
    expect(result.stdout).toMatch(
      new RegExp(
        `^${result.outputs['migrations-applied']} migrations applied to ${where.replace(/\./g, '\\.')}\\.$`,
        'm'
      )
    );
    expect(result.summary).toContain(`Database migrated: <code>${where}</code>`);
    expect(annotations(result, 'notice').join('\n')).not.toMatch(/not on this runner/);
    const tables = await execFileAsync(
      'psql',
      [
        '-At',
        '-c',
        "select count(*) from information_schema.tables where table_name = 'polls_question'"
      ],
      { env: { ...process.env, ...postgres.env } }
    );
    expect(tables.stdout.trim()).toBe('1');
  });

  it('names engine, host and port of a database it cannot reach, never the password', async () => {
    const url = `postgres://django:s3cret-pw@127.0.0.1:1/nowhere`;
    const result = await runSetupDjango(
      makeWorkspace(exampleProject),
      { 'requirements-file': 'requirements.txt\nrequirements-postgres.txt' },
      { env: { DATABASE_URL: url } }
    );
    expect(result.exitCode).toBe(1);
    const message = errors(result);
    expect(message).toMatch(/postgresql/i);
    expect(message).toMatch(/127\.0\.0\.1/);
    expect(message).toMatch(/\b1\b/);
    expect(result.stdout.replace(/::add-mask::.*/g, '')).not.toContain('s3cret-pw');
    expect(result.summary).not.toContain('s3cret-pw');
  });
});

describe('the server, its smoke test and the artifact', () => {
  const workspace = makeWorkspace(exampleProject);

  it('installs gunicorn, reports the deploy command, and the smoke test passes', async () => {
    const result = await runSetupDjango(workspace, { server: 'gunicorn', 'smoke-test': 'true' });
    expect(errors(result)).toBe('');
    expect(result.outputs['server-command']).toBe(
      'gunicorn mysite.wsgi:application --bind 0.0.0.0:8000'
    );
    expect(result.outputs['wsgi-application']).toBe('mysite.wsgi.application');
    // The dotted path, whatever the server: a shell-ready form is only in server-command.
    expect(result.outputs['asgi-application']).toBe('mysite.asgi.application');
    expect(result.summary).toMatch(/GET \/ → 200/);
    expect(result.stdout).toMatch(
      /^Server: gunicorn \S+ (installed into|already in) the venv; serve with: gunicorn mysite\.wsgi:application --bind 0\.0\.0\.0:8000$/m
    );
    expect(result.stdout).toMatch(/^Smoke test passed: GET \/ answered 200 in \d+ ms\.$/m);
    const env = laterStepEnv(result);
    const { stdout } = await execFileAsync('gunicorn', ['--version'], { env, cwd: workspace });
    expect(stdout).toMatch(/gunicorn/);
  });

  it('uvicorn, with the ASGI application', async () => {
    const result = await runSetupDjango(workspace, { server: 'uvicorn', 'smoke-test': 'true' });
    expect(errors(result)).toBe('');
    expect(result.outputs['server-command']).toBe(
      'uvicorn mysite.asgi:application --host 0.0.0.0 --port 8000'
    );
    expect(result.outputs['asgi-application']).toBe('mysite.asgi.application');
  });

  it('a view that returns 500 fails the smoke test with the status', async () => {
    const result = await runSetupDjango(
      workspace,
      { server: 'gunicorn', 'smoke-test': 'true', 'smoke-test-path': '/boom/' },
      { env: { DEBUG: 'false' } }
    );
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/500/);
  });

  it('builds an artifact with the source, the static files, a wheelhouse and a manifest', async () => {
    const result = await runSetupDjango(workspace, {
      server: 'gunicorn',
      artifact: 'true',
      'artifact-name': 'mysite-build'
    });
    expect(errors(result)).toBe('');
    const archive = result.outputs['artifact-path'];
    expect(path.basename(archive)).toBe('mysite-build.tar.gz');
    const { stdout } = await execFileAsync('tar', ['-tzf', archive], {
      maxBuffer: 64 * 1024 * 1024
    });
    const entries = stdout.split('\n').map(entry => entry.replace(/^\.\//, ''));
    expect(entries).toEqual(expect.arrayContaining(['manage.py', 'setup-django-manifest.json']));
    expect(entries.some(e => /^wheelhouse\/django-.*\.whl$/i.test(e))).toBe(true);
    expect(entries.some(e => /^wheelhouse\/gunicorn-.*\.whl$/.test(e))).toBe(true);
    expect(entries.some(e => e.startsWith('staticfiles/'))).toBe(true);
    expect(entries.some(e => e.startsWith('.venv/') || e.includes('__pycache__'))).toBe(false);
  });
});

describe('Oracle Instant Client', () => {
  const VERSION = '23.8.0.25.04';
  let server: FileServer;
  let sha256: string;
  const root = mkdtempSync(path.join(os.tmpdir(), 'oracle-e2e-'));
  beforeAll(async () => {
    const fake = await buildFakeInstantClient({
      version: VERSION,
      outDir: path.join(root, 'zips')
    });
    sha256 = fake.sha256;
    server = await startFileServer({
      [`/mirror/instantclient-basic-linux.x64-${VERSION}.zip`]: { file: fake.zipPath }
    });
  });
  afterAll(async () => {
    await server?.close();
    // The action registers the client with the loader when it may (root): undo that here.
    rmSync('/etc/ld.so.conf.d/oracle-instantclient.conf', { force: true });
    await execFileAsync('ldconfig').catch(() => undefined);
  });

  /** A runner tool cache of its own that still holds the machine's Python. */
  function toolCacheFor(name: string): string {
    const toolCache = path.join(root, name);
    mkdirSync(toolCache, { recursive: true });
    symlinkSync(path.join(toolCacheWithMachinePython(), 'Python'), path.join(toolCache, 'Python'));
    return toolCache;
  }

  it('installs a pinned client from a mirror; a later step loads it, also through python-oracledb', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    // The project's driver: python-oracledb, whose thick mode loads the client in a later step.
    appendFileSync(path.join(workspace, 'requirements.txt'), 'oracledb\r\n');
    const toolCache = toolCacheFor('toolcache');
    const inputs = {
      'oracle-instant-client': '23.8',
      'oracle-instant-client-url': `${server.url}/mirror`,
      'oracle-instant-client-sha256': sha256
    };
    const result = await runSetupDjango(workspace, inputs, { toolCache });
    expect(errors(result)).toBe('');
    const clientPath = result.outputs['oracle-client-path'];
    expect(existsSync(path.join(clientPath, 'libclntsh.so'))).toBe(true);
    const env = laterStepEnv(result);
    expect(env.LD_LIBRARY_PATH?.split(':')).toContain(clientPath);
    const { stdout } = await execFileAsync('python', ['-c', loadClientVersionScript()], {
      env,
      cwd: workspace
    });
    expect(stdout.trim()).toBe(expectedClientVersionOutput(VERSION));
    // python-oracledb thick mode, given the client's directory, and found on LD_LIBRARY_PATH.
    for (const args of [[clientPath], []]) {
      const thick = await execFileAsync('python', ['-c', oracledbClientVersionScript(), ...args], {
        env,
        cwd: workspace
      });
      expect(thick.stdout.trim()).toBe(expectedClientVersionOutput(VERSION));
    }

    // A second run on the same runner: from the tool cache, no download.
    const before = server.requests.length;
    const again = await runSetupDjango(makeWorkspace(fixtureProject('crlf')), inputs, {
      toolCache
    });
    expect(errors(again)).toBe('');
    expect(server.requests.length).toBe(before);
    // One log line each: where the client came from, whether it was verified, where it is.
    const oracleLine = (stdout: string): string | undefined =>
      stdout.split('\n').find(line => /^Oracle Instant Client .*verified, at /.test(line));
    expect(oracleLine(result.stdout)).toBe(
      `Oracle Instant Client ${VERSION}, downloaded, SHA-256 verified, at ${clientPath}.`
    );
    expect(oracleLine(again.stdout)).toMatch(/^Oracle Instant Client \S+, from the tool cache, /);
  });

  it('a checksum mismatch fails, leaving nothing in the tool cache', async () => {
    const toolCache = toolCacheFor('toolcache-mismatch');
    const result = await runSetupDjango(
      makeWorkspace(fixtureProject('crlf')),
      {
        'oracle-instant-client': '23.8',
        'oracle-instant-client-url': `${server.url}/mirror`,
        'oracle-instant-client-sha256': '0'.repeat(64)
      },
      { toolCache }
    );
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/sha-?256/i);
    expect(existsSync(path.join(toolCache, 'oracle-instantclient'))).toBe(false);
  });
});
