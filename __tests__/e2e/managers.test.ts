// The bundled action on a Django project per package manager, run like the runner runs it, with
// the real tools on the real index: poetry 1.3 and pipenv from Debian on PATH, poetry 2, pipenv
// and uv pip-installed by the action into tool venvs (saved to and restored from the local cache
// service), uv already on PATH, and pip from pyproject.toml.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { laterStepEnv, type RunResult } from '../../scripts/e2e/runner.mjs';
import {
  errors,
  makeWorkspace,
  runnerPath,
  runSetupDjango,
  toolCacheWithMachinePython
} from '../helpers/e2e.js';
import {
  concretePoetryProject,
  managerFixture,
  pathWithout,
  uvOnPathDir
} from '../helpers/managers.js';
import { POETRY_STALE_LOCK } from '../../src/venv/managers/poetry.js';
import { UV_STALE_LOCK } from '../../src/venv/managers/uv.js';

/** A fresh checkout of `project` at `workspace` (the same path each time, as on hosted runners). */
function freshCheckout(workspace: string, project: string): void {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(project, workspace, { recursive: true });
}

/** A runner tool cache of its own (no tool venvs yet) that still holds the machine's Python. */
function freshToolCache(root: string, name: string): string {
  const toolCache = path.join(root, name);
  rmSync(toolCache, { recursive: true, force: true });
  mkdirSync(toolCache, { recursive: true });
  symlinkSync(path.join(toolCacheWithMachinePython(), 'Python'), path.join(toolCache, 'Python'));
  return toolCache;
}

/** The version a lock file pins for `name` (poetry.lock and uv.lock: `name = ".."\nversion = ".."`). */
function lockedVersion(lockFile: string, name: string): string {
  const text = readFileSync(lockFile, 'utf8');
  const toml = new RegExp(`name = "${name}"\\nversion = "([^"]+)"`).exec(text);
  if (toml) return toml[1];
  const pipfile = JSON.parse(text) as { default: Record<string, { version: string }> };
  return pipfile.default[name].version.replace(/^==/, '');
}

function importable(result: RunResult, cwd: string, module: string): boolean {
  try {
    execFileSync('python', ['-c', `import ${module}`], {
      env: laterStepEnv(result),
      cwd,
      stdio: 'ignore'
    });
    return true;
  } catch {
    return false;
  }
}

describe('poetry: the action end to end, with the venv cache', () => {
  let cache: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'poetry-e2e-'));
  const workspace = path.join(root, 'workspace');
  const lockedDjango = lockedVersion(path.join(managerFixture('poetry'), 'poetry.lock'), 'django');
  const checkout = (): void => {
    freshCheckout(workspace, managerFixture('poetry'));
    concretePoetryProject(workspace);
  };
  const run = (inputs: Record<string, string> = {}) =>
    runSetupDjango(workspace, { 'python-version': '3.11', ...inputs }, { env: cache.envFor('v2') });

  beforeAll(async () => {
    cache = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await cache.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('installs from poetry.lock with the poetry on PATH (Debian’s 1.x), migrates, and saves the venv', async () => {
    checkout();
    const cold = await run();
    expect(errors(cold)).toBe('');
    expect(cold.exitCode).toBe(0);
    expect(cold.outputs).toMatchObject({
      'package-manager': 'poetry',
      'settings-module': 'shop.settings',
      'django-version': lockedDjango,
      'cache-hit': 'false',
      'venv-path': path.join(workspace, '.venv')
    });
    expect(cold.outputs['cache-key']).toMatch(/-poetry-[0-9a-f]{32}$/);
    expect(Number(cold.outputs['migrations-applied'])).toBeGreaterThan(0);
    expect(cold.stdout).toMatch(/Using poetry 1\.[\d.]+ from .* \(found on PATH\)/);
    expect(cold.stdout).toContain('poetry install --no-root --sync --only main');
    expect(importable(cold, workspace, 'django')).toBe(true);
    expect(importable(cold, workspace, 'dotenv')).toBe(false);
    expect(cold.post?.exitCode).toBe(0);
    expect(cache.entries().map(e => e.key)).toEqual([cold.outputs['cache-key']]);
  });

  it('restores it on a fresh checkout without running poetry', async () => {
    checkout();
    const warm = await run();
    expect(errors(warm)).toBe('');
    expect(warm.outputs['cache-hit']).toBe('true');
    expect(warm.outputs['package-manager']).toBe('poetry');
    expect(warm.stdout).not.toContain('poetry install');
  });

  it('installs a group from dependency-groups under another key', async () => {
    checkout();
    const withDev = await run({
      'dependency-groups': 'dev',
      migrate: 'false',
      collectstatic: 'false'
    });
    expect(errors(withDev)).toBe('');
    expect(withDev.outputs['cache-key']).not.toBe(cache.entries()[0].key);
    expect(withDev.stdout).toContain('--only main,dev');
    expect(importable(withDev, workspace, 'dotenv')).toBe(true);
  });

  it('fails the step on a stale poetry.lock with poetry 1.x, saying how to fix it', async () => {
    checkout();
    const pyproject = path.join(workspace, 'pyproject.toml');
    writeFileSync(
      pyproject,
      readFileSync(pyproject, 'utf8').replace(
        'django = ">=5.2,<5.3"',
        'django = ">=5.2,<5.3"\nsqlparse = "*"'
      )
    );
    const stale = await run();
    expect(stale.exitCode).not.toBe(0);
    expect(errors(stale)).toMatch(
      /poetry\.lock is out of date with pyproject\.toml.*run 'poetry lock'.*commit poetry\.lock/
    );
  });

  describe('poetry 2, not on PATH: the action pip-installs it into a tool venv', () => {
    const toolCache = path.join(root, 'toolcache');
    const noPoetry = (): string => pathWithout(['poetry'], path.join(root, 'no-poetry'));
    const runPoetry2 = (suffix: string, inputs: Record<string, string> = {}) =>
      runSetupDjango(
        workspace,
        { 'python-version': '3.11', 'poetry-version': '2', 'cache-suffix': suffix, ...inputs },
        { env: { ...cache.envFor('v2'), PATH: noPoetry() }, toolCache }
      );

    it('installs the newest poetry 2.x, runs poetry sync, and the post step caches the tool venv', async () => {
      freshToolCache(root, 'toolcache');
      checkout();
      const first = await runPoetry2('poetry2-1');
      expect(errors(first)).toBe('');
      expect(first.stdout).toMatch(
        /poetry is not on PATH: installing poetry==2\.\* with pip into its own virtualenv .*setup-django-tools/
      );
      expect(first.stdout).toContain('check --lock --no-ansi');
      expect(first.stdout).toContain('poetry sync --no-root --only main --no-interaction');
      expect(first.outputs['django-version']).toBe(lockedDjango);
      expect(Number(first.outputs['migrations-applied'])).toBeGreaterThan(0);
      expect(importable(first, workspace, 'dotenv')).toBe(false);
      expect(first.post?.stdout).toMatch(/Saved the tool venv .* with key setup-django-tool-v1-/);
      const toolKeys = cache.entries().filter(e => e.key.startsWith('setup-django-tool-v1-'));
      expect(toolKeys).toHaveLength(1);
    });

    it('restores the tool venv on a fresh runner and syncs a group with it', async () => {
      freshToolCache(root, 'toolcache');
      checkout();
      const second = await runPoetry2('poetry2-2', {
        'dependency-groups': 'dev',
        migrate: 'false',
        collectstatic: 'false'
      });
      expect(errors(second)).toBe('');
      expect(second.stdout).toContain('Restored poetry==2.* from the actions cache');
      expect(second.stdout).not.toContain('installing poetry==');
      expect(second.stdout).toContain('poetry sync --no-root --only main,dev');
      expect(importable(second, workspace, 'dotenv')).toBe(true);
    });

    it('fails the step on a stale poetry.lock with poetry 2, saying how to fix it', async () => {
      checkout();
      const pyproject = path.join(workspace, 'pyproject.toml');
      writeFileSync(
        pyproject,
        readFileSync(pyproject, 'utf8').replace(
          'django = ">=5.2,<5.3"',
          'django = ">=5.2,<5.3"\nsqlparse = "*"'
        )
      );
      const stale = await runPoetry2('poetry2-stale');
      expect(stale.exitCode).not.toBe(0);
      expect(stale.stdout).toContain('Using poetry==2.* from its tool virtualenv');
      expect(errors(stale)).toContain(POETRY_STALE_LOCK);
    });
  });
});

describe('pipenv: the action end to end', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pipenv-e2e-'));
  const lockedDjango = lockedVersion(path.join(managerFixture('pipenv'), 'Pipfile.lock'), 'django');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('syncs Pipfile.lock with the dev packages using the pipenv on PATH (Debian’s), and migrates', async () => {
    const workspace = makeWorkspace(managerFixture('pipenv'), root);
    const result = await runSetupDjango(workspace, {
      'python-version': '3.11',
      'dependency-groups': 'dev',
      artifact: 'true'
    });
    expect(errors(result)).toBe('');
    expect(result.outputs).toMatchObject({
      'package-manager': 'pipenv',
      'settings-module': 'shop.settings',
      'django-version': lockedDjango
    });
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(0);
    expect(result.stdout).toMatch(/Using pipenv 2022\.[\d.]+ from .* \(found on PATH\)/);
    expect(result.stdout).toContain('pipenv sync --dev');
    expect(importable(result, workspace, 'dotenv')).toBe(true);
    // The artifact's wheelhouse holds what pipenv installed, pinned.
    const listing = execFileSync('tar', ['-tzf', result.outputs['artifact-path']], {
      encoding: 'utf8'
    });
    expect(listing).toContain(`wheelhouse/django-${lockedDjango}-py3-none-any.whl`);
    expect(listing).toMatch(/setup-django-requirements\/setup-django-pipenv-requirements\.txt/);
  });

  it('pip-installs the newest pipenv into a tool venv when none is on PATH, and syncs a category', async () => {
    const workspace = makeWorkspace(managerFixture('pipenv'), root);
    const result = await runSetupDjango(
      workspace,
      { 'python-version': '3.11', 'dependency-groups': 'ops', collectstatic: 'false' },
      {
        env: { PATH: pathWithout(['pipenv'], path.join(root, 'no-pipenv')) },
        toolCache: freshToolCache(root, 'toolcache')
      }
    );
    expect(errors(result)).toBe('');
    expect(result.stdout).toMatch(
      /pipenv is not on PATH: installing pipenv with pip into its own virtualenv .*setup-django-tools\/pipenv-latest-py/
    );
    expect(result.stdout).toContain('Pipfile.lock matches the Pipfile.');
    expect(result.stdout).toContain('pipenv sync --categories packages ops');
    expect(result.outputs['django-version']).toBe(lockedDjango);
    expect(importable(result, workspace, 'gunicorn')).toBe(true);
    expect(importable(result, workspace, 'dotenv')).toBe(false);
  });
});

describe('pip from pyproject.toml: the action end to end', () => {
  it('installs the [project] dependencies and migrates', async () => {
    const workspace = makeWorkspace(managerFixture('pyproject'));
    const result = await runSetupDjango(workspace, { 'python-version': '3.11' });
    expect(errors(result)).toBe('');
    expect(result.outputs['package-manager']).toBe('pip');
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(0);
    rmSync(workspace, { recursive: true, force: true });
  });
});

describe('uv: the action end to end with the real uv', () => {
  let cache: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'uv-e2e-'));
  const workspace = path.join(root, 'workspace');
  const lockedDjango = lockedVersion(path.join(managerFixture('uv'), 'uv.lock'), 'django');
  const noUv = (): string => pathWithout(['uv', 'uvx'], path.join(root, 'no-uv'));
  const run = (
    inputs: Record<string, string>,
    options: { path: string; toolCache: string }
  ): Promise<RunResult> =>
    runSetupDjango(
      workspace,
      { 'python-version': '3.11', ...inputs },
      { env: { ...cache.envFor('v2'), PATH: options.path }, toolCache: options.toolCache }
    );

  beforeAll(async () => {
    cache = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await cache.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('pip-installs the newest uv into a tool venv when none is on PATH, then uv sync --locked with a group and an extra', async () => {
    freshCheckout(workspace, managerFixture('uv'));
    const result = await run(
      { 'dependency-groups': 'dev server' },
      { path: noUv(), toolCache: freshToolCache(root, 'toolcache-latest') }
    );
    expect(errors(result)).toBe('');
    expect(result.outputs['package-manager']).toBe('uv');
    expect(result.outputs['django-version']).toBe(lockedDjango);
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(0);
    expect(result.stdout).toMatch(
      /uv is not on PATH: installing uv with pip into its own virtualenv .*setup-django-tools\/uv-latest-py/
    );
    expect(result.stdout).toMatch(
      /\[command\]\S+\/uv sync --locked --no-default-groups --group dev --extra server --python /
    );
    expect(importable(result, workspace, 'dotenv')).toBe(true);
    expect(importable(result, workspace, 'gunicorn')).toBe(true);
  });

  it('uses the uv already on PATH, production dependencies only', async () => {
    freshCheckout(workspace, managerFixture('uv'));
    const onPath = uvOnPathDir();
    const result = await run(
      { 'cache-suffix': 'on-path' },
      {
        path: `${onPath}${path.delimiter}${runnerPath()}`,
        toolCache: freshToolCache(root, 'toolcache-on-path')
      }
    );
    expect(errors(result)).toBe('');
    expect(result.stdout).toContain(`from ${path.join(onPath, 'uv')} (found on PATH)`);
    expect(result.stdout).not.toContain('installing uv');
    expect(result.outputs['django-version']).toBe(lockedDjango);
    expect(importable(result, workspace, 'dotenv')).toBe(false);
  });

  describe('a uv-version pin', () => {
    const toolCache = path.join(root, 'toolcache-pinned');
    const pinned = (suffix: string) =>
      run({ 'uv-version': '0.13', 'cache-suffix': suffix }, { path: noUv(), toolCache });

    it('installs that uv into a tool venv, and the post step caches it', async () => {
      freshToolCache(root, 'toolcache-pinned');
      freshCheckout(workspace, managerFixture('uv'));
      const first = await pinned('pin-1');
      expect(errors(first)).toBe('');
      expect(first.stdout).toMatch(
        /uv is not on PATH: installing uv==0\.13\.\* with pip into its own virtualenv .*uv-0\.13-py/
      );
      expect(first.post?.stdout).toMatch(/Saved the tool venv .* with key setup-django-tool-v1-/);
    });

    it('restores it from the cache on a fresh runner and syncs with it', async () => {
      freshToolCache(root, 'toolcache-pinned');
      freshCheckout(workspace, managerFixture('uv'));
      const second = await pinned('pin-2');
      expect(errors(second)).toBe('');
      expect(second.stdout).toContain('Restored uv==0.13.* from the actions cache');
      expect(second.stdout).not.toContain('installing uv');
      expect(second.outputs['django-version']).toBe(lockedDjango);
    });

    it('fails on a stale uv.lock with what to do (the real uv’s error, mapped)', async () => {
      freshCheckout(workspace, managerFixture('uv'));
      const pyproject = path.join(workspace, 'pyproject.toml');
      writeFileSync(
        pyproject,
        readFileSync(pyproject, 'utf8').replace(
          '"django>=5.2,<5.3"',
          '"django>=5.2,<5.3", "sqlparse"'
        )
      );
      const stale = await pinned('pin-stale');
      expect(stale.exitCode).not.toBe(0);
      expect(errors(stale)).toContain(UV_STALE_LOCK);
      // uv's own words stay in the message, under ours.
      expect(errors(stale)).toMatch(/needs to be updated, but `--locked` was provided/);
    });
  });
});
