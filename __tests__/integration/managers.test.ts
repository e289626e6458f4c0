// The venv phase with each package manager for real: poetry and pipenv from Debian, pip, and
// the real uv pip-installed by the action: installs into venv-path, lock checks, groups, errors.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInputs, inputVariable } from '../../src/inputs.js';
import { detectPlatform } from '../../src/platform.js';
import type { PythonInstall } from '../../src/python/find.js';
import { readMarker } from '../../src/venv/marker.js';
import { POETRY_STALE_LOCK } from '../../src/venv/managers/poetry.js';
import { PIPENV_STALE_LOCK } from '../../src/venv/managers/pipenv.js';
import { UV_STALE_LOCK } from '../../src/venv/managers/uv.js';
import { locateTool } from '../../src/venv/managers/tool.js';
import { provisionVenv } from '../../src/venv/provision.js';
import { makeWorkspace } from '../helpers/e2e.js';
import { concretePoetryProject, managerFixture } from '../helpers/managers.js';
import { localPipEnv, systemPython } from '../helpers/python-fixtures.js';

const python: PythonInstall = {
  version: execFileSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8'
  }).trim(),
  executable: realpathSync(systemPython()),
  origin: 'path'
};
const platform = detectPlatform();

function provision(workspace: string, inputs: Record<string, string> = {}) {
  const env: Record<string, string> = { GITHUB_WORKSPACE: workspace };
  for (const [name, value] of Object.entries({ cache: 'false', ...inputs }))
    env[inputVariable(name)] = value;
  return provisionVenv(readInputs(env), python, platform);
}

/** The packages installed in the workspace's venv, lower-cased names. */
function installed(workspace: string): string[] {
  const out = execFileSync(
    path.join(workspace, '.venv', 'bin', 'python'),
    [
      '-c',
      'import importlib.metadata as m; print("\\n".join(sorted(d.metadata["Name"].lower() for d in m.distributions())))'
    ],
    { encoding: 'utf8' }
  );
  return out.trim().split('\n');
}

const savedEnv = { ...process.env };
// The tool venvs the action installs (uv) go to RUNNER_TEMP: one per file, removed after it.
const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'));
beforeAll(() => {
  // The action passes the environment through to the managers, as a workflow's env: would.
  Object.assign(process.env, localPipEnv(), { RUNNER_TEMP: runnerTemp });
});
afterAll(() => {
  process.env = savedEnv;
  rmSync(runnerTemp, { recursive: true, force: true });
});

describe('poetry (real, from poetry.lock)', () => {
  let workspace: string;
  beforeAll(() => {
    workspace = makeWorkspace(managerFixture('poetry'));
    concretePoetryProject(workspace);
  });

  it('installs the production dependencies into venv-path, and reports poetry', async () => {
    const result = await provision(workspace);
    expect(result.venv).toMatchObject({ packageManager: 'poetry', action: 'created' });
    expect(result.source.reason).toBe('poetry.lock found');
    expect(result.dependencyFiles).toEqual([
      path.join(workspace, 'poetry.lock'),
      path.join(workspace, 'pyproject.toml')
    ]);
    expect(result.cacheKey).toMatch(/-poetry-[0-9a-f]{32}$/);
    const packages = installed(workspace);
    expect(packages).toEqual(expect.arrayContaining(['django', 'asgiref', 'sqlparse', 'pip']));
    expect(packages).not.toContain('python-dotenv');
    expect(readMarker(path.join(workspace, '.venv'))?.packageManager).toBe('poetry');
  });

  it('adds a group from dependency-groups (the venv is updated, not rebuilt)', async () => {
    const result = await provision(workspace, { 'dependency-groups': 'dev' });
    expect(result.venv.action).toBe('updated');
    expect(installed(workspace)).toContain('python-dotenv');
  });

  it('fails on a lock out of date with pyproject.toml, and leaves no completion marker', async () => {
    const stale = makeWorkspace(managerFixture('poetry'));
    concretePoetryProject(stale);
    const pyproject = path.join(stale, 'pyproject.toml');
    writeFileSync(
      pyproject,
      readFileSync(pyproject, 'utf8').replace(
        'django = ">=5.2,<5.3"',
        'django = ">=5.2,<5.3"\nsqlparse = "*"'
      )
    );
    await expect(provision(stale)).rejects.toThrow(POETRY_STALE_LOCK);
    expect(readMarker(path.join(stale, '.venv'))).toBeUndefined();
  });

  it('says which package it could not get when the index lacks a locked version', async () => {
    const broken = makeWorkspace(managerFixture('poetry'));
    concretePoetryProject(broken);
    const lock = path.join(broken, 'poetry.lock');
    writeFileSync(
      lock,
      readFileSync(lock, 'utf8').replace('version = "0.6.1"', 'version = "0.6.99"')
    );
    await expect(provision(broken)).rejects.toThrow(
      /Installing the dependencies from poetry\.lock failed: no installable file for sqlparse \(0\.6\.99\) was found on the package sources/
    );
    expect(readMarker(path.join(broken, '.venv'))).toBeUndefined();
  });

  it('rejects a group pyproject.toml does not define before installing anything', async () => {
    const other = makeWorkspace(managerFixture('poetry'));
    concretePoetryProject(other);
    await expect(provision(other, { 'dependency-groups': 'docs' })).rejects.toThrow(
      /'dependency-groups' names 'docs'.*poetry groups: dev; extras: none/
    );
    expect(existsSync(path.join(other, '.venv'))).toBe(false);
  });
});

describe('pipenv (real, from Pipfile.lock)', () => {
  it('syncs the default packages into venv-path', async () => {
    const workspace = makeWorkspace(managerFixture('pipenv'));
    const result = await provision(workspace);
    expect(result.venv.packageManager).toBe('pipenv');
    expect(result.source.reason).toBe('Pipfile.lock found');
    const packages = installed(workspace);
    expect(packages).toEqual(expect.arrayContaining(['django', 'asgiref', 'sqlparse']));
    expect(packages).not.toContain('python-dotenv');
    expect(packages).not.toContain('gunicorn');
    // pipenv made no virtualenv of its own next to the project.
    expect(existsSync(path.join(workspace, '.venv', '.project'))).toBe(false);
  });

  it('adds dev-packages and another category from dependency-groups', async () => {
    const workspace = makeWorkspace(managerFixture('pipenv'));
    await provision(workspace, { 'dependency-groups': 'dev, ops' });
    expect(installed(workspace)).toEqual(
      expect.arrayContaining(['python-dotenv', 'gunicorn', 'django'])
    );
  });

  it('fails on a Pipfile.lock out of date with the Pipfile, and the venv is no longer complete', async () => {
    const workspace = makeWorkspace(managerFixture('pipenv'));
    await provision(workspace);
    expect(readMarker(path.join(workspace, '.venv'))?.packageManager).toBe('pipenv');
    const pipfile = path.join(workspace, 'Pipfile');
    writeFileSync(
      pipfile,
      readFileSync(pipfile, 'utf8').replace('[packages]', '[packages]\nsqlparse = "*"')
    );
    await expect(provision(workspace)).rejects.toThrow(PIPENV_STALE_LOCK);
    expect(readMarker(path.join(workspace, '.venv'))).toBeUndefined();
  });
});

describe('pip with pyproject.toml [project] dependencies', () => {
  it('installs the declared dependencies and the extras asked for', async () => {
    const workspace = makeWorkspace(managerFixture('pyproject'));
    const result = await provision(workspace, { 'dependency-groups': 'dotenv' });
    expect(result.venv.packageManager).toBe('pip');
    expect(result.source.reason).toBe('pyproject.toml with [project] dependencies found');
    expect(result.dependencyFiles).toEqual([path.join(workspace, 'pyproject.toml')]);
    expect(installed(workspace)).toEqual(expect.arrayContaining(['django', 'python-dotenv']));
    // The site itself is not installed (no [build-system]).
    expect(installed(workspace)).not.toContain('shop');
  });
});

describe('uv (real: the action pip-installs it into a tool venv)', () => {
  it('runs uv sync --locked into venv-path with the groups and extras, and keeps pip', async () => {
    const workspace = makeWorkspace(managerFixture('uv'));
    const result = await provision(workspace, { 'dependency-groups': 'dev server' });
    expect(result.venv.packageManager).toBe('uv');
    const venv = path.join(workspace, '.venv');
    const packages = installed(workspace);
    expect(packages).toEqual(
      expect.arrayContaining(['django', 'asgiref', 'sqlparse', 'python-dotenv', 'gunicorn', 'pip'])
    );
    // The versions uv.lock pins, not whatever is newest.
    const lock = readFileSync(path.join(workspace, 'uv.lock'), 'utf8');
    const djangoPin = /name = "django"\nversion = "([^"]+)"/.exec(lock)?.[1];
    const version = execFileSync(
      path.join(venv, 'bin', 'python'),
      ['-c', 'import django; print(django.get_version())'],
      { encoding: 'utf8' }
    ).trim();
    expect(version).toBe(djangoPin);
    // uv made no environment of its own next to the project: it used venv-path.
    expect(readMarker(venv)?.packageManager).toBe('uv');
  });

  it('installs the production dependencies only when no group is asked for', async () => {
    const workspace = makeWorkspace(managerFixture('uv'));
    await provision(workspace);
    const packages = installed(workspace);
    expect(packages).toContain('django');
    expect(packages).not.toContain('python-dotenv');
    expect(packages).not.toContain('gunicorn');
  });

  it('turns uv’s stale-lock error into one that says what to do', async () => {
    const workspace = makeWorkspace(managerFixture('uv'));
    const pyproject = path.join(workspace, 'pyproject.toml');
    writeFileSync(
      pyproject,
      readFileSync(pyproject, 'utf8').replace(
        '"django>=5.2,<5.3"',
        '"django>=5.2,<5.3", "sqlparse"'
      )
    );
    await expect(provision(workspace)).rejects.toThrow(UV_STALE_LOCK);
    expect(readMarker(path.join(workspace, '.venv'))).toBeUndefined();
  });
});

describe('a manager that is not installed, or not the version pinned', () => {
  it('is pip-installed into a tool venv, and a failure says how to provide it', async () => {
    const toolsDir = mkdtempSync(path.join(os.tmpdir(), 'tools-'));
    // The index has no poetry 0.0.99: the install must fail, cleanly.
    await expect(
      locateTool('poetry', { python, toolsDir, envPath: '', version: '0.0.99' })
    ).rejects.toThrow(
      /poetry is not on PATH, and installing poetry==0\.0\.99 into .*poetry-0\.0\.99-py.* failed: .*poetry.*pipx install poetry==0\.0\.99/s
    );
    expect(readdirSync(toolsDir)).toEqual([]);
  });

  it('uses the one on PATH when it matches the pin', async () => {
    const tool = await locateTool('pipenv', {
      python,
      toolsDir: mkdtempSync(path.join(os.tmpdir(), 'tools-')),
      version: '2022'
    });
    expect(tool).toMatchObject({ origin: 'PATH', version: expect.stringMatching(/^2022\./) });
  });

  it('installs the pinned version when the one on PATH differs', async () => {
    const toolsDir = mkdtempSync(path.join(os.tmpdir(), 'tools-'));
    await expect(locateTool('pipenv', { python, toolsDir, version: '2099.1' })).rejects.toThrow(
      /pipenv on PATH \(.*\) is [\d.]+, not 2099\.1, and installing pipenv==2099\.1\.\* into .*pipenv-2099\.1-py.* failed/s
    );
    expect(readdirSync(toolsDir)).toEqual([]);
  });
});
