import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { detectManager, resolveDependencySource } from '../../src/venv/managers/detect.js';
import { classifyGroups, normalizeName } from '../../src/venv/managers/manifest.js';
import { planPyprojectInstall, pyprojectSpecs } from '../../src/venv/managers/pip.js';
import {
  explainPipenvFailure,
  pipenvCatalog,
  pipenvCategories,
  pipenvSyncCommand,
  PIPENV_STALE_LOCK
} from '../../src/venv/managers/pipenv.js';
import {
  explainPoetryFailure,
  poetryCatalog,
  poetryInstallCommand,
  poetryLockCheckCommand,
  POETRY_STALE_LOCK
} from '../../src/venv/managers/poetry.js';
import {
  compareVersions,
  matchesPin,
  parseToolVersion,
  pinnedRequirement
} from '../../src/venv/managers/tool.js';
import {
  explainUvFailure,
  uvCatalog,
  uvSyncCommand,
  UV_STALE_LOCK
} from '../../src/venv/managers/uv.js';
import { dependencyHashOf, withLocalCode } from '../../src/venv/provision.js';

const POETRY_PYPROJECT = `
[tool.poetry]
name = "shop"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.10"
django = "^5.2"

[tool.poetry.group.dev.dependencies]
pytest = "*"

[tool.poetry.group.docs]
optional = true

[tool.poetry.group.docs.dependencies]
sphinx = "*"

[tool.poetry.extras]
postgres = ["psycopg"]
`;

const UV_PYPROJECT = `
[project]
name = "shop"
version = "0.1.0"
dependencies = ["django>=5.2"]

[project.optional-dependencies]
postgres = ["psycopg[binary]"]

[dependency-groups]
dev = ["pytest"]
lint = ["ruff"]
`;

const PIPFILE = `
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
django = "*"

[dev-packages]
pytest = "*"

[ops]
gunicorn = "*"

[requires]
python_version = "3.12"
`;

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'managers-unit-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('auto detection, in the documented order', () => {
  const all = {
    'uv.lock': 'version = 1\n',
    'poetry.lock': '',
    'Pipfile.lock': '{}',
    Pipfile: PIPFILE,
    'requirements.txt': 'django\n',
    'pyproject.toml': UV_PYPROJECT
  };
  const without = (...names: string[]): Record<string, string> =>
    Object.fromEntries(Object.entries(all).filter(([name]) => !names.includes(name)));

  it.each([
    ['uv', 'uv.lock found', all],
    ['poetry', 'poetry.lock found', without('uv.lock')],
    ['pipenv', 'Pipfile.lock found', without('uv.lock', 'poetry.lock')],
    ['pipenv', 'Pipfile found', without('uv.lock', 'poetry.lock', 'Pipfile.lock')],
    ['pip', 'requirements.txt found', without('uv.lock', 'poetry.lock', 'Pipfile.lock', 'Pipfile')],
    ['pip', 'pyproject.toml with [project] dependencies found', { 'pyproject.toml': UV_PYPROJECT }],
    ['pip', 'no lock, requirements or pyproject.toml dependencies found', { 'manage.py': '' }],
    [
      'pip',
      'no lock, requirements or pyproject.toml dependencies found',
      { 'pyproject.toml': POETRY_PYPROJECT }
    ]
  ])('picks %s when %s', (manager, reason, files) => {
    expect(detectManager(project(files), [])).toMatchObject({ manager, reason });
  });

  it('takes a requirements-file input as pip when there is no lock file', () => {
    const dir = project({ 'reqs/base.txt': 'django\n', 'pyproject.toml': UV_PYPROJECT });
    expect(detectManager(dir, [path.join(dir, 'reqs/base.txt')]).manager).toBe('pip');
  });

  it('lets an explicit requirements-file win over a lock file here or in a parent folder', () => {
    const workspace = project({
      'poetry.lock': '',
      'pyproject.toml': POETRY_PYPROJECT,
      'backend/uv.lock': 'version = 1\n',
      'backend/requirements/base.txt': 'django\n'
    });
    const backend = path.join(workspace, 'backend');
    const files = [path.join(backend, 'requirements/base.txt')];
    expect(detectManager(backend, files, workspace)).toEqual({
      manager: 'pip',
      reason: "'requirements-file' given",
      dir: backend
    });
    const source = resolveDependencySource({
      choice: 'auto',
      projectDir: backend,
      workspace,
      requirementFiles: files,
      groups: []
    });
    expect(source).toMatchObject({ manager: 'pip', requirementFiles: files, projectDir: backend });
  });

  it('finds a lock file above working-directory, up to the workspace, and runs the manager there', () => {
    const workspace = project({
      'poetry.lock': '',
      'pyproject.toml': POETRY_PYPROJECT,
      'backend/manage.py': ''
    });
    const backend = path.join(workspace, 'backend');
    expect(detectManager(backend, [], workspace)).toEqual({
      manager: 'poetry',
      reason: '../poetry.lock found',
      dir: workspace
    });
    const source = resolveDependencySource({
      choice: 'poetry',
      projectDir: backend,
      workspace,
      requirementFiles: [],
      groups: []
    });
    expect(source.projectDir).toBe(workspace);
    // Not above the workspace.
    expect(detectManager(backend, [], backend).manager).toBe('pip');
  });

  it('lets an explicit manager override the files', () => {
    const dir = project({
      'poetry.lock': '',
      'pyproject.toml': POETRY_PYPROJECT,
      'requirements.txt': 'django\n'
    });
    const source = resolveDependencySource({
      choice: 'pip',
      projectDir: dir,
      requirementFiles: [],
      groups: []
    });
    expect(source).toMatchObject({
      manager: 'pip',
      requirementFiles: [path.join(dir, 'requirements.txt')],
      reason: "'package-manager: pip'"
    });
  });

  it('keys poetry on poetry.lock and pyproject.toml', () => {
    const dir = project({ 'poetry.lock': '', 'pyproject.toml': POETRY_PYPROJECT });
    expect(
      resolveDependencySource({ choice: 'auto', projectDir: dir, requirementFiles: [], groups: [] })
        .dependencyFiles
    ).toEqual([path.join(dir, 'poetry.lock'), path.join(dir, 'pyproject.toml')]);
  });

  it.each([
    [
      'poetry',
      { 'pyproject.toml': POETRY_PYPROJECT },
      /'package-manager' is poetry, but .* has no poetry\.lock.*run 'poetry lock'/
    ],
    [
      'uv',
      { 'pyproject.toml': UV_PYPROJECT },
      /'package-manager' is uv, but .* has no uv\.lock.*run 'uv lock'/
    ],
    [
      'pipenv',
      { Pipfile: PIPFILE },
      /'package-manager' is pipenv, but .* has no Pipfile\.lock.*run 'pipenv lock'/
    ],
    ['poetry', { 'poetry.lock': '' }, /poetry needs pyproject\.toml/],
    ['uv', { 'uv.lock': '' }, /uv needs pyproject\.toml/],
    ['pipenv', { 'Pipfile.lock': '{}' }, /pipenv needs a Pipfile, and .* has only Pipfile\.lock/]
  ] as const)('an explicit %s without its files is a clear error', (choice, files, message) => {
    expect(() =>
      resolveDependencySource({
        choice,
        projectDir: project(files),
        requirementFiles: [],
        groups: []
      })
    ).toThrow(message);
  });

  it('names the file and the line of a pyproject.toml that is not TOML', () => {
    const dir = project({ 'uv.lock': '', 'pyproject.toml': '[project\nname = 1' });
    expect(() =>
      resolveDependencySource({
        choice: 'auto',
        projectDir: dir,
        requirementFiles: [],
        groups: ['dev']
      })
    ).toThrow(/pyproject\.toml \(.*\) is not valid TOML/);
  });
});

describe('dependency groups', () => {
  it('sorts names into poetry groups and extras, normalising spelling', () => {
    const catalog = poetryCatalog(parse(POETRY_PYPROJECT));
    expect(catalog.groups).toEqual(['dev', 'docs']);
    expect(classifyGroups(['DEV', 'postgres', 'docs'], catalog, 'pyproject.toml')).toEqual({
      groups: ['dev', 'docs'],
      extras: ['postgres']
    });
  });

  it('rejects a group the manifest does not define, listing what it does define', () => {
    const catalog = uvCatalog(parse(UV_PYPROJECT));
    expect(() => classifyGroups(['tests'], catalog, '/w/pyproject.toml')).toThrow(
      "'dependency-groups' names 'tests', which pyproject.toml (/w/pyproject.toml) does not define. Its dependency groups ([dependency-groups]): dev, lint; extras: postgres."
    );
  });

  it('fails before any install when an explicit manager is given an unknown group', () => {
    const dir = project({ 'poetry.lock': '', 'pyproject.toml': POETRY_PYPROJECT });
    expect(() =>
      resolveDependencySource({
        choice: 'auto',
        projectDir: dir,
        requirementFiles: [],
        groups: ['lint']
      })
    ).toThrow(/names 'lint'.*poetry groups: dev, docs; extras: postgres/);
  });

  it('maps pipenv dev to [dev-packages] and keeps other categories', () => {
    const catalog = pipenvCatalog(parse(PIPFILE));
    expect(catalog.groups).toEqual(['dev-packages', 'ops']);
    expect(pipenvCategories(['dev'], catalog, 'Pipfile')).toEqual(['dev-packages']);
    expect(pipenvCategories(['ops', 'dev-packages'], catalog, 'Pipfile')).toEqual([
      'ops',
      'dev-packages'
    ]);
    expect(() => pipenvCategories(['docs'], catalog, 'Pipfile')).toThrow(
      /Pipfile categories: dev-packages, ops/
    );
  });

  it('refuses groups with pip requirements files', () => {
    const dir = project({ 'requirements.txt': 'django\n' });
    expect(() =>
      resolveDependencySource({
        choice: 'auto',
        projectDir: dir,
        requirementFiles: [],
        groups: ['dev']
      })
    ).toThrow(/cannot be used with pip requirements files/);
  });

  it('normalises names like PEP 503', () => {
    expect(normalizeName('Dev_Tools.extra')).toBe('dev-tools-extra');
  });

  it('puts the groups into the dependency hash, and leaves the plain hash without them', () => {
    const dir = project({ 'uv.lock': 'a' });
    const files = [path.join(dir, 'uv.lock')];
    const plain = dependencyHashOf(files, dir, []);
    expect(dependencyHashOf(files, dir, ['dev'])).not.toBe(plain);
    expect(dependencyHashOf(files, dir, ['b', 'a'])).toBe(dependencyHashOf(files, dir, ['a', 'b']));
  });

  it('puts the code of local-path requirements, in the files and their includes, into the pip hash', () => {
    const dir = project({
      'requirements.txt': 'django\n-r requirements/local.txt\n',
      'requirements/local.txt': 'inventory @ file:./libs/inventory\n',
      'libs/inventory/pyproject.toml': '[project]\nname = "inventory"\n',
      'libs/inventory/inventory/__init__.py': 'LINE = 1\n'
    });
    const source = resolveDependencySource({
      choice: 'auto',
      projectDir: dir,
      workspace: dir,
      requirementFiles: [],
      groups: []
    });
    const key = (): string => withLocalCode('files-hash', source, dir);
    const first = key();
    expect(first).not.toBe('files-hash');
    writeFileSync(path.join(dir, 'libs/inventory/inventory/__init__.py'), 'LINE = 2\n');
    expect(key()).not.toBe(first);
    // The lock-file managers key on their lock: nothing is added.
    expect(withLocalCode('files-hash', { ...source, manager: 'uv' }, dir)).toBe('files-hash');
  });
});

describe('pip with pyproject.toml', () => {
  it('installs only the declared requirements (and extras) when there is no [build-system]', () => {
    const plan = planPyprojectInstall('/w/pyproject.toml', parse(UV_PYPROJECT), ['postgres']);
    expect(plan).toEqual({
      file: '/w/pyproject.toml',
      installProject: false,
      requirements: ['django>=5.2', 'psycopg[binary]'],
      extras: ['postgres']
    });
    expect(pyprojectSpecs(plan)).toEqual(['django>=5.2', 'psycopg[binary]']);
  });

  it('installs the project itself editable, with its extras, when it declares a [build-system]', () => {
    const text = `${UV_PYPROJECT}\n[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n`;
    expect(
      pyprojectSpecs(planPyprojectInstall('/w/pyproject.toml', parse(text), ['postgres']))
    ).toEqual(['-e', '.[postgres]']);
    expect(pyprojectSpecs(planPyprojectInstall('/w/pyproject.toml', parse(text), []))).toEqual([
      '-e',
      '.'
    ]);
  });

  it('keys on pyproject.toml', () => {
    const dir = project({ 'pyproject.toml': UV_PYPROJECT });
    const source = resolveDependencySource({
      choice: 'auto',
      projectDir: dir,
      requirementFiles: [],
      groups: []
    });
    expect(source.dependencyFiles).toEqual([path.join(dir, 'pyproject.toml')]);
    expect(source.pyproject?.requirements).toEqual(['django>=5.2']);
  });
});

describe('commands', () => {
  const venv = '/w/.venv';

  it('poetry 1.x: lock --check, then install --no-root --sync with main and the groups', () => {
    const tool = { executable: '/usr/bin/poetry', version: '1.3.2' };
    expect(poetryLockCheckCommand(tool, venv).args).toEqual(['lock', '--check', '--no-ansi']);
    const install = poetryInstallCommand(tool, venv, { groups: ['dev'], extras: ['postgres'] });
    expect(install.args).toEqual([
      'install',
      '--no-root',
      '--sync',
      '--only',
      'main,dev',
      '--extras',
      'postgres',
      '--no-interaction',
      '--no-ansi'
    ]);
    expect(install.env).toMatchObject({
      VIRTUAL_ENV: venv,
      POETRY_VIRTUALENVS_CREATE: 'false',
      PYTHONHOME: undefined
    });
    expect(install.env.PATH?.split(':')[0]).toBe('/w/.venv/bin');
  });

  it('poetry 2.x: check --lock, then sync --no-root with production dependencies only', () => {
    const tool = { executable: 'poetry', version: '2.1.3' };
    expect(poetryLockCheckCommand(tool, venv).args).toEqual(['check', '--lock', '--no-ansi']);
    expect(poetryInstallCommand(tool, venv, { groups: [], extras: [] }).args).toEqual([
      'sync',
      '--no-root',
      '--only',
      'main',
      '--no-interaction',
      '--no-ansi'
    ]);
  });

  it('pipenv: sync, --dev for dev-packages, --categories for the rest', () => {
    const tool = { executable: 'pipenv' };
    expect(pipenvSyncCommand(tool, venv, '/w/Pipfile', []).args).toEqual(['sync']);
    expect(pipenvSyncCommand(tool, venv, '/w/Pipfile', ['dev-packages']).args).toEqual([
      'sync',
      '--dev'
    ]);
    expect(pipenvSyncCommand(tool, venv, '/w/Pipfile', ['ops', 'dev-packages']).args).toEqual([
      'sync',
      '--categories',
      'packages ops dev-packages'
    ]);
    expect(pipenvSyncCommand(tool, venv, '/w/Pipfile', []).env).toMatchObject({
      VIRTUAL_ENV: venv,
      PIPENV_PIPFILE: '/w/Pipfile',
      PIPENV_IGNORE_VIRTUALENVS: undefined,
      PIPENV_DONT_LOAD_ENV: '1'
    });
  });

  it('uv: sync --locked without default groups, into UV_PROJECT_ENVIRONMENT, no downloads', () => {
    const command = uvSyncCommand({ executable: 'uv' }, venv, '/opt/py/bin/python3.12', {
      groups: ['dev', 'lint'],
      extras: ['postgres']
    });
    expect(command.args).toEqual([
      'sync',
      '--locked',
      '--no-default-groups',
      '--group',
      'dev',
      '--group',
      'lint',
      '--extra',
      'postgres',
      '--python',
      '/opt/py/bin/python3.12'
    ]);
    expect(command.env).toMatchObject({
      UV_PROJECT_ENVIRONMENT: venv,
      VIRTUAL_ENV: venv,
      UV_PYTHON_DOWNLOADS: 'never'
    });
  });

  it('matches a version pin exactly or as a series, and pins pip the same way', () => {
    expect(matchesPin('2.1.3', '2.1')).toBe(true);
    expect(matchesPin('2.10.0', '2.1')).toBe(false);
    expect(matchesPin('2.1.3', '2.1.3')).toBe(true);
    expect(matchesPin('anything', '')).toBe(true);
    expect(matchesPin('2.1', '2.1')).toBe(true);
    expect(matchesPin('2.1.3.0', '2.1.3')).toBe(true);
    expect(matchesPin('2.1.4', '2.1.3')).toBe(false);
    expect(matchesPin('2.1.0b1', '2.1')).toBe(true);
    expect(matchesPin('', '2.1')).toBe(false);
    expect(pinnedRequirement('poetry', '2.1.3')).toBe('poetry==2.1.3');
    expect(pinnedRequirement('uv', '0.9')).toBe('uv==0.9.*');
    expect(pinnedRequirement('pipenv', '')).toBe('pipenv');
  });

  it('reads tool versions and compares them numerically', () => {
    expect(parseToolVersion('Poetry (version 1.3.2)')).toBe('1.3.2');
    expect(parseToolVersion('pipenv, version 2022.12.19')).toBe('2022.12.19');
    expect(parseToolVersion('uv 0.9.5 (d5f39331a 2025-10-21)')).toBe('0.9.5');
    expect(compareVersions('1.10', '1.6')).toBe(1);
    expect(compareVersions('2.0.0', '2.0')).toBe(0);
    expect(compareVersions('1.3.2', '2.0')).toBe(-1);
    expect(compareVersions('2.0.0b1', '2.0')).toBe(-1);
  });
});

describe('failures mapped to readable errors', () => {
  it.each([
    'Error: poetry.lock is not consistent with pyproject.toml. Run `poetry lock [--no-update]` to fix it.',
    'pyproject.toml changed significantly since poetry.lock was last generated. Run `poetry lock` to fix the lock file.'
  ])('poetry: a stale lock (%s)', output => {
    expect(explainPoetryFailure(output)).toBe(POETRY_STALE_LOCK);
    expect(POETRY_STALE_LOCK).toMatch(
      /poetry\.lock is out of date with pyproject\.toml.*commit poetry\.lock/
    );
  });

  it('poetry: unknown group, missing candidates', () => {
    expect(explainPoetryFailure('Group(s) not found: docs (via --only)')).toMatch(
      /no poetry group docs/
    );
    expect(
      explainPoetryFailure('Unable to find installation candidates for django (5.2.17)')
    ).toMatch(/no installable file for django \(5\.2\.17\) was found/);
  });

  it('pipenv: a stale lock, an old pipenv, pip errors', () => {
    expect(explainPipenvFailure('Pipfile.lock is out-of-date. Run $ pipenv lock to update.')).toBe(
      PIPENV_STALE_LOCK
    );
    expect(PIPENV_STALE_LOCK).toMatch(
      /Pipfile\.lock is out of date with the Pipfile.*run 'pipenv lock'/
    );
    expect(explainPipenvFailure('Error: No such option: --categories')).toMatch(/too old/);
    expect(explainPipenvFailure('ERROR: No matching distribution found for djangoo==9.9')).toMatch(
      /no release of 'djangoo==9.9'/
    );
  });

  it('uv: a stale lock, unknown group or extra', () => {
    expect(
      explainUvFailure(
        'error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided. To update the lockfile, run `uv lock`.'
      )
    ).toBe(UV_STALE_LOCK);
    expect(
      explainUvFailure(
        "error: Group `docs` is not defined in the project's `dependency-groups` table"
      )
    ).toMatch(/no dependency group 'docs'/);
    expect(
      explainUvFailure(
        "error: Extra `pg` is not defined in the project's `optional-dependencies` table"
      )
    ).toMatch(/no extra 'pg'/);
  });
});

function parse(text: string): Record<string, unknown> {
  return parseToml(text) as Record<string, unknown>;
}
