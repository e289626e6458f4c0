// gunicorn and uvicorn installed for real into a new venv (layered over the shared Django
// venv) and smoke-tested against a copy of the example project.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionError } from '../../src/errors.js';
import { serverCommand, type ServerApp } from '../../src/django/server-command.js';
import { installedVersion, installServer } from '../../src/django/server-install.js';
import { smokeTest, SmokeTestError } from '../../src/django/smoke-test.js';
import { layeredVenv } from '../helpers/fresh-venv.js';
import { ensureDjangoVenv, localPipEnv, repoRoot } from '../helpers/python-fixtures.js';

jest.setTimeout(90000);

const app: ServerApp = { wsgi: 'mysite.wsgi.application', asgi: 'mysite.asgi.application' };
const settings = { DJANGO_SETTINGS_MODULE: 'mysite.settings' };

let work: string;
let python: string;
let project: string;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any live (not zombie) process is left in the group the server led. */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

async function smokeError(promise: Promise<unknown>): Promise<SmokeTestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(SmokeTestError);
  return error as SmokeTestError;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'setup-django-server-'));
  python = layeredVenv(path.join(work, 'venv'), ensureDjangoVenv());
  project = path.join(work, 'project');
  const skipped = new Set(['__pycache__', 'db.sqlite3', 'staticfiles']);
  cpSync(path.join(repoRoot, 'examples', 'django-project'), project, {
    recursive: true,
    filter: src => !skipped.has(path.basename(src))
  });
  for (const args of [
    ['migrate', '--noinput', '-v0'],
    ['collectstatic', '--noinput', '-v0']
  ]) {
    execFileSync(python, ['manage.py', ...args], {
      cwd: project,
      env: { ...process.env, ...settings }
    });
  }
  // Done here once (both servers are needed by every smoke test below); asserted in the first test.
  installs.gunicorn = await installServer(python, 'gunicorn', undefined, { env: localPipEnv() });
  installs.uvicorn = await installServer(python, 'uvicorn', '0.54.0', { env: localPipEnv() });
});

const installs: Record<string, { installed: boolean; version: string }> = {};

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('installServer', () => {
  it('installs gunicorn and a pinned uvicorn into the venv, then finds them already there', async () => {
    expect(installs.gunicorn.installed).toBe(true);
    expect(installs.gunicorn.version).toMatch(/^\d+\.\d+/);
    expect(installs.uvicorn).toEqual({ installed: true, version: '0.54.0' });
    expect(await installedVersion(python, 'gunicorn')).toBe(installs.gunicorn.version);

    const major = installs.gunicorn.version.split('.')[0];
    await expect(installServer(python, 'gunicorn', `${major}.*`)).resolves.toEqual({
      installed: false,
      version: installs.gunicorn.version
    });
    await expect(installServer(python, 'uvicorn')).resolves.toEqual({
      installed: false,
      version: '0.54.0'
    });
  });

  it('fails naming server-version when the pinned version does not exist', async () => {
    const error = await installServer(python, 'gunicorn', '0.0.1', { env: localPipEnv() }).catch(
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toMatch(/gunicorn==0\.0\.1/);
    expect((error as Error).message).toMatch(/server-version/);
  });

  it('rejects a version with an operator before running pip', async () => {
    await expect(installServer(python, 'gunicorn', '>=1; rm -rf /')).rejects.toThrow(
      /'server-version'/
    );
  });
});

describe('smokeTest', () => {
  it.each(['gunicorn', 'uvicorn'] as const)('%s serves / with a status below 500', async kind => {
    const result = await smokeTest({
      venvPython: python,
      projectDir: project,
      kind,
      app,
      path: '/',
      env: settings,
      timeoutMs: 30000
    });
    expect(result.status).toBe(200);
    expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(5000);
    expect(result.hint).toBeUndefined();
    expect(result.pid).toBeDefined();
    expect(groupAlive(result.pid!)).toBe(false);
  });

  it.each(['gunicorn', 'uvicorn'] as const)(
    '%s: a view raising an error fails with status 500 and the traceback in the log tail',
    async kind => {
      const error = await smokeError(
        smokeTest({
          venvPython: python,
          projectDir: project,
          kind,
          app,
          path: '/boom/',
          env: { ...settings, DEBUG: 'true' },
          timeoutMs: 30000
        })
      );
      expect(error.status).toBe(500);
      expect(error.message).toMatch(/answered 500/);
      expect(error.message).toMatch(/boom: this view fails on purpose/);
      expect(error.message).toMatch(/--- \w+ log \(last lines\) ---/);
      expect(groupAlive(error.pid!)).toBe(false);
    }
  );

  it('with DEBUG off, a 500 says where the traceback went', async () => {
    const error = await smokeError(
      smokeTest({
        venvPython: python,
        projectDir: project,
        kind: 'gunicorn',
        app,
        path: '/boom/',
        env: { ...settings, DEBUG: 'false' },
        timeoutMs: 30000
      })
    );
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/Server Error \(500\)/);
    expect(error.message).toMatch(/'django\.request' logger/);
    expect(error.message).toMatch(/"GET \/boom\/ HTTP\/1\.1" 500/); // the access log line
  });

  it('a server that cannot import the application fails with its log, and leaves no process', async () => {
    const error = await smokeError(
      smokeTest({
        venvPython: python,
        projectDir: project,
        kind: 'gunicorn',
        app: { wsgi: 'mysite.nowhere.application' },
        env: settings,
        timeoutMs: 30000
      })
    );
    expect(error.message).toMatch(/The gunicorn server exited with code \d+ before answering/);
    expect(error.message).toMatch(/check WSGI_APPLICATION/);
    expect(error.message).toMatch(/No module named 'mysite\.nowhere'/);
    expect(error.status).toBeUndefined();
    expect(isAlive(error.pid!)).toBe(false);
    expect(groupAlive(error.pid!)).toBe(false);
  });

  it('uvicorn with a bad ASGI application fails the same way', async () => {
    const error = await smokeError(
      smokeTest({
        venvPython: python,
        projectDir: project,
        kind: 'uvicorn',
        app: { asgi: 'mysite.asgi.missing' },
        env: settings,
        timeoutMs: 30000
      })
    );
    expect(error.message).toMatch(/The uvicorn server exited with code \d+ before answering/);
    expect(error.message).toMatch(/check ASGI_APPLICATION/);
    expect(groupAlive(error.pid!)).toBe(false);
  });

  it('fails when the status is not the one demanded, and passes when it is', async () => {
    const error = await smokeError(
      smokeTest({
        venvPython: python,
        projectDir: project,
        kind: 'gunicorn',
        app,
        path: '/no-such-page/',
        expectStatus: 200,
        env: settings,
        timeoutMs: 30000
      })
    );
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/answered 404, not the expected 200 \(smoke-test-status\)/);

    const ok = await smokeTest({
      venvPython: python,
      projectDir: project,
      kind: 'uvicorn',
      app,
      path: '/no-such-page/',
      expectStatus: 404,
      env: settings,
      timeoutMs: 30000
    });
    expect(ok.status).toBe(404);
  });

  it('a host missing from ALLOWED_HOSTS gives a 400 with a hint', async () => {
    const result = await smokeTest({
      venvPython: python,
      projectDir: project,
      kind: 'gunicorn',
      app,
      env: { ...settings, ALLOWED_HOSTS: 'example.com' },
      timeoutMs: 30000
    });
    expect(result.status).toBe(400);
    expect(result.hint).toMatch(/ALLOWED_HOSTS/);

    const error = await smokeError(
      smokeTest({
        venvPython: python,
        projectDir: project,
        kind: 'gunicorn',
        app,
        expectStatus: 200,
        env: { ...settings, ALLOWED_HOSTS: 'example.com' },
        timeoutMs: 30000
      })
    );
    expect(error.message).toMatch(/answered 400.*ALLOWED_HOSTS/s);
  });

  it('a redirect is the answer judged, not followed, and its hint names the target', async () => {
    // /admin/ sends an anonymous visitor to the login page (302), which itself answers 200.
    const result = await smokeTest({
      venvPython: python,
      projectDir: project,
      kind: 'uvicorn',
      app,
      path: '/admin/',
      env: settings,
      timeoutMs: 30000
    });
    expect(result.status).toBe(302);
    expect(result.hint).toBe('The response redirects to /admin/login/?next=/admin/.');
  });

  it('a server that never answers is stopped at the timeout, SIGKILL after the grace period', async () => {
    // Settings that hang at import: gunicorn's master listens, but its worker never boots,
    // and the master waits longer than the grace period for it to stop.
    writeFileSync(
      path.join(project, 'mysite', 'hanging_settings.py'),
      'import time\n\nfrom .settings import *  # noqa\n\ntime.sleep(60)\n'
    );
    const started = Date.now();
    const error = await smokeError(
      smokeTest({
        venvPython: python,
        projectDir: project,
        kind: 'gunicorn',
        app,
        env: { DJANGO_SETTINGS_MODULE: 'mysite.hanging_settings' },
        timeoutMs: 3000,
        graceMs: 1000
      })
    );
    expect(error.message).toMatch(/did not answer http:\/\/127\.0\.0\.1:\d+\/ within 3 s/);
    expect(Date.now() - started).toBeLessThan(15000);
    expect(groupAlive(error.pid!)).toBe(false);
  });

  it('serverCommand names the deploy command for the example project', () => {
    expect(serverCommand('gunicorn', app)).toBe(
      'gunicorn mysite.wsgi:application --bind 0.0.0.0:8000'
    );
    expect(serverCommand('uvicorn', { wsgi: app.wsgi }, { projectDir: project })).toBe(
      'uvicorn mysite.asgi:application --host 0.0.0.0 --port 8000'
    );
  });
});
