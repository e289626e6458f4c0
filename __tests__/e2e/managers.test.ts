// The bundled action on a Django project per package manager, run like the runner runs it:
// poetry and pipenv for real (with the venv cached and restored through the local cache
// service for poetry), pip from pyproject.toml, and uv through the recording stand-in.
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
import { laterStepEnv } from '../../scripts/e2e/runner.mjs';
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
  readUvCalls,
  startIndexServer,
  uvStandInDir,
  type IndexServer
} from '../helpers/managers.js';

/** A fresh checkout of `project` at `workspace` (the same path each time, as on hosted runners). */
function freshCheckout(workspace: string, project: string): void {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(project, workspace, { recursive: true });
}

/**
 * Writes `poetry-<version>-py3-none-any.whl` into `dir`: a console script `poetry` that execs the
 * poetry on PATH (Debian's), so the tool-venv install path runs for real with a working tool.
 */
function buildPoetryShimWheel(dir: string, version: string): void {
  mkdirSync(dir, { recursive: true });
  const real = execFileSync('sh', ['-c', 'command -v poetry'], { encoding: 'utf8' }).trim();
  execFileSync('python3', [
    '-c',
    [
      'import base64, hashlib, sys, zipfile',
      'out, version, real = sys.argv[1:4]',
      'info = f"poetry-{version}.dist-info"',
      'files = {',
      '    "poetry_shim/__init__.py": f"import os, sys\\ndef main():\\n    os.execv({real!r}, [{real!r}] + sys.argv[1:])\\n",',
      '    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: poetry\\nVersion: {version}\\n",',
      '    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: setup-django-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",',
      '    f"{info}/entry_points.txt": "[console_scripts]\\npoetry = poetry_shim:main\\n",',
      '}',
      'def digest(data):',
      '    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()',
      'record = "".join(f"{name},{digest(body.encode())},{len(body.encode())}\\n" for name, body in files.items()) + f"{info}/RECORD,,\\n"',
      'with zipfile.ZipFile(f"{out}/poetry-{version}-py3-none-any.whl", "w") as whl:',
      '    for name, body in files.items():',
      '        whl.writestr(name, body)',
      '    whl.writestr(f"{info}/RECORD", record)'
    ].join('\n'),
    dir,
    version,
    real
  ]);
}

function importable(
  result: Parameters<typeof laterStepEnv>[0],
  cwd: string,
  module: string
): boolean {
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
  let index: IndexServer;
  let cache: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'poetry-e2e-'));
  const workspace = path.join(root, 'workspace');
  const checkout = (): void => {
    freshCheckout(workspace, managerFixture('poetry'));
    concretePoetryProject(workspace, index.url);
  };
  const run = (inputs: Record<string, string> = {}) =>
    runSetupDjango(workspace, { 'python-version': '3.11', ...inputs }, { env: cache.envFor('v2') });

  beforeAll(async () => {
    index = await startIndexServer();
    cache = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await cache.close();
    await index.close();
  });

  it('installs from poetry.lock, migrates, and saves the venv under a poetry key', async () => {
    checkout();
    const cold = await run();
    expect(errors(cold)).toBe('');
    expect(cold.exitCode).toBe(0);
    expect(cold.outputs).toMatchObject({
      'package-manager': 'poetry',
      'settings-module': 'shop.settings',
      'django-version': '5.2.17',
      'cache-hit': 'false',
      'venv-path': path.join(workspace, '.venv')
    });
    expect(cold.outputs['cache-key']).toMatch(/-poetry-[0-9a-f]{32}$/);
    expect(Number(cold.outputs['migrations-applied'])).toBeGreaterThan(0);
    expect(cold.stdout).toMatch(/Using poetry [\d.]+ from .* \(found on PATH\)/);
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

  it('installs a pinned poetry missing from PATH into a tool venv, caches it, and restores it', async () => {
    // A wheel named poetry 1.3.9 (a release that never existed) whose CLI hands over to the poetry on PATH: what matters
    // is where the action installs it, how it caches it, and that it then runs it.
    const wheels = path.join(root, 'wheels');
    buildPoetryShimWheel(wheels, '1.3.9');
    const toolCache = path.join(root, 'toolcache');
    mkdirSync(toolCache, { recursive: true });
    rmSync(path.join(toolCache, 'Python'), { force: true });
    symlinkSync(path.join(toolCacheWithMachinePython(), 'Python'), path.join(toolCache, 'Python'));
    const runPinned = (suffix: string) =>
      runSetupDjango(
        workspace,
        {
          'python-version': '3.11',
          'poetry-version': '1.3.9',
          'cache-suffix': suffix,
          migrate: 'false',
          collectstatic: 'false'
        },
        { env: { ...cache.envFor('v2'), PIP_FIND_LINKS: wheels }, toolCache }
      );

    checkout();
    const first = await runPinned('tool-1');
    expect(errors(first)).toBe('');
    expect(first.stdout).toMatch(
      /installing poetry==1\.3\.9 with pip into its own virtualenv .*setup-django-tools/
    );
    expect(first.post?.stdout).toMatch(/Saved the tool venv .* with key setup-django-tool-v1-/);
    const toolKeys = cache.entries().filter(e => e.key.startsWith('setup-django-tool-v1-'));
    expect(toolKeys).toHaveLength(1);

    rmSync(path.join(toolCache, 'setup-django-tools'), { recursive: true, force: true });
    checkout();
    const second = await runPinned('tool-2');
    expect(errors(second)).toBe('');
    expect(second.stdout).toContain('Restored poetry==1.3.9 from the actions cache');
    expect(second.stdout).not.toContain('installing poetry==');
    expect(second.stdout).toContain('poetry install --no-root --sync --only main');
  });

  it('fails the step on a stale poetry.lock, saying how to fix it', async () => {
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
});

describe('pipenv: the action end to end', () => {
  it('syncs Pipfile.lock with the dev packages and migrates', async () => {
    const workspace = makeWorkspace(managerFixture('pipenv'));
    const result = await runSetupDjango(workspace, {
      'python-version': '3.11',
      'dependency-groups': 'dev',
      artifact: 'true'
    });
    expect(errors(result)).toBe('');
    expect(result.outputs).toMatchObject({
      'package-manager': 'pipenv',
      'settings-module': 'shop.settings'
    });
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(0);
    expect(result.stdout).toContain('pipenv sync --dev');
    expect(importable(result, workspace, 'dotenv')).toBe(true);
    // The artifact's wheelhouse holds what pipenv installed, pinned.
    const listing = execFileSync('tar', ['-tzf', result.outputs['artifact-path']], {
      encoding: 'utf8'
    });
    expect(listing).toMatch(/wheelhouse\/django-5\.2\.17-py3-none-any\.whl/);
    expect(listing).toMatch(/setup-django-requirements\/setup-django-pipenv-requirements\.txt/);
  });
});

describe('pip from pyproject.toml: the action end to end', () => {
  it('installs the [project] dependencies and migrates', async () => {
    const workspace = makeWorkspace(managerFixture('pyproject'));
    const result = await runSetupDjango(workspace, { 'python-version': '3.11' });
    expect(errors(result)).toBe('');
    expect(result.outputs['package-manager']).toBe('pip');
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(0);
  });
});

describe('uv (recording stand-in): the action end to end', () => {
  it('hands uv sync --locked the venv, then migrates', async () => {
    const workspace = makeWorkspace(managerFixture('uv'));
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'uv-e2e-')), 'calls.jsonl');
    const result = await runSetupDjango(
      workspace,
      { 'python-version': '3.11', 'dependency-groups': 'dev' },
      { env: { PATH: `${uvStandInDir}${path.delimiter}${runnerPath()}`, UV_STAND_IN_LOG: log } }
    );
    expect(errors(result)).toBe('');
    expect(result.outputs['package-manager']).toBe('uv');
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(0);
    const sync = readUvCalls(log).find(call => call.argv[0] === 'sync');
    expect(sync?.argv.slice(0, 5)).toEqual([
      'sync',
      '--locked',
      '--no-default-groups',
      '--group',
      'dev'
    ]);
    expect(sync?.env.UV_PROJECT_ENVIRONMENT).toBe(path.join(workspace, '.venv'));
  });
});
