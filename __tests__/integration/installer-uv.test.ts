// `installer: uv` with the real uv: a requirements project and a pyproject.toml project get
// exactly the distributions pip installs, in the same venv layout with the same marker.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inputVariable, readInputs } from '../../src/inputs.js';
import { detectPlatform } from '../../src/platform.js';
import type { PythonInstall } from '../../src/python/find.js';
import { readMarker } from '../../src/venv/marker.js';
import { provisionVenv } from '../../src/venv/provision.js';
import { makeWorkspace } from '../helpers/e2e.js';
import { managerFixture } from '../helpers/managers.js';
import { localPipEnv, systemPython } from '../helpers/python-fixtures.js';
import { realUvBinDir } from '../helpers/uv.js';

const python: PythonInstall = {
  version: execFileSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8'
  }).trim(),
  executable: realpathSync(systemPython()),
  origin: 'path'
};
const platform = detectPlatform();

function provision(workspace: string, inputs: Record<string, string>) {
  const env: Record<string, string> = { GITHUB_WORKSPACE: workspace };
  for (const [name, value] of Object.entries({ cache: 'false', ...inputs }))
    env[inputVariable(name)] = value;
  return provisionVenv(readInputs(env), python, platform);
}

/** `name==version` of every distribution in the venv, sorted. */
function distributions(venv: string): string[] {
  const out = execFileSync(
    path.join(venv, 'bin', 'python'),
    [
      '-c',
      'import importlib.metadata as m; print("\\n".join(sorted("%s==%s" % (d.metadata["Name"].lower().replace("_", "-"), d.version) for d in m.distributions())))'
    ],
    { encoding: 'utf8' }
  );
  return out.trim().split('\n');
}

/** The venv's files and folders (relative), without what Python writes when it runs. */
function layout(venv: string): string[] {
  const out = execFileSync('find', ['.', '-maxdepth', '3', '-not', '-path', '*__pycache__*'], {
    cwd: venv,
    encoding: 'utf8'
  });
  return out
    .trim()
    .split('\n')
    .filter(entry => !/\/site-packages\//.test(entry))
    .sort();
}

const savedEnv = { ...process.env };
const workspaces: string[] = [];
let temp: string;
beforeAll(() => {
  temp = mkdtempSync(path.join(os.tmpdir(), 'installer-uv-'));
  // uv from PATH (the tool-venv install is exercised by the e2e test); pip's index settings
  // come from the environment and the machine's pip.conf, which uv must be handed.
  Object.assign(process.env, localPipEnv(), {
    PATH: `${realUvBinDir()}${path.delimiter}${process.env.PATH}`,
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: temp
  });
});
afterAll(() => {
  process.env = savedEnv;
  for (const workspace of workspaces) rmSync(workspace, { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
});

function workspaceFor(project: string, edit?: (dir: string) => void): string {
  const workspace = makeWorkspace(project);
  workspaces.push(workspace);
  edit?.(workspace);
  return workspace;
}

describe.each([
  [
    'a requirements project (unpinned, resolved by each installer)',
    () =>
      workspaceFor(managerFixture('pyproject'), dir => {
        rmSync(path.join(dir, 'pyproject.toml'));
        writeFileSync(
          path.join(dir, 'requirements.txt'),
          'django>=5.2,<5.3\ndj-database-url\npython-dotenv\n'
        );
      }),
    {}
  ],
  [
    'a pyproject.toml project with an extra',
    () => workspaceFor(managerFixture('pyproject')),
    { 'dependency-groups': 'dotenv' }
  ]
] as const)('installer: uv on %s', (_name, makeProject, inputs) => {
  let pipWorkspace: string;
  let uvWorkspace: string;
  let uvResult: Awaited<ReturnType<typeof provision>>;
  let pipResult: Awaited<ReturnType<typeof provision>>;
  beforeAll(async () => {
    pipWorkspace = makeProject();
    uvWorkspace = makeProject();
    pipResult = await provision(pipWorkspace, { ...inputs, installer: 'pip' });
    uvResult = await provision(uvWorkspace, { ...inputs, installer: 'uv' });
  });

  it('installs exactly the distributions pip installs (pip itself included)', () => {
    const fromPip = distributions(path.join(pipWorkspace, '.venv'));
    const fromUv = distributions(path.join(uvWorkspace, '.venv'));
    expect(fromPip.some(d => d.startsWith('django=='))).toBe(true);
    expect(fromPip.some(d => d.startsWith('pip=='))).toBe(true);
    expect(fromUv).toEqual(fromPip);
  });

  it('leaves the same venv layout and the same marker', () => {
    const venv = path.join(uvWorkspace, '.venv');
    expect(layout(venv)).toEqual(layout(path.join(pipWorkspace, '.venv')));
    expect(existsSync(path.join(venv, '.lock'))).toBe(false);
    const { dependencyHash: uvHash, ...uvMarker } = readMarker(venv)!;
    const { dependencyHash: pipHash, ...pipMarker } = readMarker(path.join(pipWorkspace, '.venv'))!;
    expect(uvMarker).toEqual(pipMarker);
    expect(uvHash).toBe(pipHash);
    expect(readFileSync(path.join(venv, 'pyvenv.cfg'), 'utf8')).not.toMatch(/^uv\s*=/m);
  });

  it('keys the two installers apart and reports which one ran', () => {
    expect(uvResult.installer).toBe('uv');
    expect(pipResult.installer).toBe('pip');
    expect(uvResult.cacheKey).toMatch(/-pip-uv-[0-9a-f]{32}$/);
    // The workspaces differ (so do the venv path hashes); the rest differs only in the installer.
    const unplaced = (key: string) => key.replace(/-[0-9a-f]{12}-pip-/, '-<venv>-pip-');
    expect(unplaced(pipResult.cacheKey)).toBe(
      unplaced(uvResult.cacheKey).replace('-pip-uv-', '-pip-pip-')
    );
  });
});

describe('installer: uv failures', () => {
  it('names the package the index does not have, and leaves no completion marker', async () => {
    const workspace = workspaceFor(managerFixture('pyproject'), dir => {
      rmSync(path.join(dir, 'pyproject.toml'));
      writeFileSync(path.join(dir, 'requirements.txt'), 'no-such-package-setup-django-test\n');
    });
    await expect(provision(workspace, { installer: 'uv' })).rejects.toThrow(
      /with uv failed: no release of 'no-such-package-setup-django-test' was found on the package index/
    );
    expect(readMarker(path.join(workspace, '.venv'))).toBeUndefined();
  });
});
