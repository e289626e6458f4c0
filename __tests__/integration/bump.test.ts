// A dependency bump brought into an existing venv equals a fresh build of the new requirements,
// with pip and with uv: what changed is installed, what is no longer required is uninstalled.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { globSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inputVariable, readInputs } from '../../src/inputs.js';
import { detectPlatform } from '../../src/platform.js';
import type { PythonInstall } from '../../src/python/find.js';
import { bringToRequirements, bumpRestoredVenv, listDistributions } from '../../src/venv/bump.js';
import { readMarker } from '../../src/venv/marker.js';
import { resolveDependencySource } from '../../src/venv/managers/detect.js';
import type { InstallerName } from '../../src/venv/managers/types.js';
import type { VenvPlan } from '../../src/venv/prepare.js';
import { dependencyHashOf, provisionVenv } from '../../src/venv/provision.js';
import { makeWorkspace } from '../helpers/e2e.js';
import { managerFixture } from '../helpers/managers.js';
import { localPipEnv, systemPython } from '../helpers/python-fixtures.js';
import { realUvBinDir } from '../helpers/uv.js';
import { buildWheels } from '../helpers/wheels.js';

const python: PythonInstall = {
  version: execFileSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8'
  }).trim(),
  executable: realpathSync(systemPython()),
  origin: 'path'
};

const BEFORE = 'django>=5.2,<5.3\nbump-probe==1.0\nbump-probe-gone\n';
// bump-probe 1.1 brings a new dependency of its own; bump-probe-gone is no longer required.
const AFTER = 'django>=5.2,<5.3\nbump-probe==1.1\n';

const savedEnv = { ...process.env };
let temp: string;
const workspaces: string[] = [];
beforeAll(() => {
  temp = mkdtempSync(path.join(os.tmpdir(), 'bump-'));
  const wheels = buildWheels(path.join(temp, 'wheels'), [
    { name: 'bump-probe', version: '1.0' },
    { name: 'bump-probe', version: '1.1', requires: ['bump-probe-dep>=1'] },
    { name: 'bump-probe-dep', version: '1.0' },
    { name: 'bump-probe-gone', version: '1.0' }
  ]);
  Object.assign(process.env, localPipEnv(), {
    PIP_FIND_LINKS: wheels,
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

function project(requirements: string): string {
  const workspace = makeWorkspace(managerFixture('pyproject'));
  workspaces.push(workspace);
  rmSync(path.join(workspace, 'pyproject.toml'));
  writeFileSync(path.join(workspace, 'requirements.txt'), requirements);
  return workspace;
}

function coldBuild(workspace: string, installer: InstallerName) {
  const env: Record<string, string> = { GITHUB_WORKSPACE: workspace };
  for (const [name, value] of Object.entries({ cache: 'false', installer }))
    env[inputVariable(name)] = value;
  return provisionVenv(readInputs(env), python, detectPlatform());
}

function planFor(workspace: string, installer: InstallerName): VenvPlan {
  const source = resolveDependencySource({
    choice: 'pip',
    projectDir: workspace,
    workspace,
    requirementFiles: [],
    groups: []
  });
  return {
    venvPath: path.join(workspace, '.venv'),
    python,
    projectDir: workspace,
    source,
    dependencyHash: dependencyHashOf(source.dependencyFiles, workspace, []),
    toolsDir: temp,
    installer
  };
}

describe.each(['pip', 'uv'] as const)('a dependency bump with installer %s', installer => {
  it('installs what changed, uninstalls what is gone, and equals a fresh build', async () => {
    const bumped = project(BEFORE);
    await coldBuild(bumped, installer);
    const before = await listDistributions(path.join(bumped, '.venv'));
    expect(before).toMatchObject({ 'bump-probe': '1.0', 'bump-probe-gone': '1.0' });

    writeFileSync(path.join(bumped, 'requirements.txt'), AFTER);
    const plan = planFor(bumped, installer);
    const changes = await bringToRequirements(plan);
    expect(changes).toEqual({
      added: ['bump-probe-dep 1.0'],
      upgraded: ['bump-probe 1.0 → 1.1'],
      removed: ['bump-probe-gone 1.0']
    });
    expect(readMarker(plan.venvPath)?.dependencyHash).toBe(plan.dependencyHash);

    const fresh = project(AFTER);
    await coldBuild(fresh, installer);
    expect(await listDistributions(plan.venvPath)).toEqual(
      await listDistributions(path.join(fresh, '.venv'))
    );
  });
});

describe('a bump that cannot be applied', () => {
  it('warns and builds the venv from scratch instead', async () => {
    const workspace = project(BEFORE);
    await coldBuild(workspace, 'pip');
    // pip cannot uninstall a distribution without its RECORD.
    for (const record of globSync(
      '.venv/lib/python*/site-packages/bump_probe_gone-*.dist-info/RECORD',
      {
        cwd: workspace
      }
    ))
      rmSync(path.join(workspace, record));
    writeFileSync(path.join(workspace, 'requirements.txt'), AFTER);
    const plan = planFor(workspace, 'pip');
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      written.push(String(chunk));
      return true;
    });
    let result: Awaited<ReturnType<typeof bumpRestoredVenv>>;
    try {
      result = await bumpRestoredVenv(plan, 'setup-django-v2-old-key');
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(
      /::warning::Bringing the venv restored from setup-django-v2-old-key to the new requirements failed \(.*\); building it from scratch\./
    );
    expect(result.changes).toBeUndefined();
    expect(result.venv.action).toBe('created');
    expect(result.venv.rebuildReason).toMatch(/the restored older venv could not be updated/);
    const fresh = project(AFTER);
    await coldBuild(fresh, 'pip');
    expect(await listDistributions(plan.venvPath)).toEqual(
      await listDistributions(path.join(fresh, '.venv'))
    );
    expect(readMarker(plan.venvPath)?.dependencyHash).toBe(plan.dependencyHash);
  });
});

describe('a dependency bump of a uv.lock project', () => {
  it('uv sync --locked brings the venv to the new lock exactly, like a fresh build', async () => {
    const uvBin = path.join(realUvBinDir(), 'uv');
    const lockEnv = {
      ...process.env,
      UV_INDEX_URL: localPipEnv().PIP_INDEX_URL,
      UV_PYTHON_DOWNLOADS: 'never',
      UV_NO_PROGRESS: '1'
    };
    const uvProject = (dependencies: string[]): string => {
      const workspace = project('');
      rmSync(path.join(workspace, 'requirements.txt'));
      writeFileSync(
        path.join(workspace, 'pyproject.toml'),
        `[project]\nname = "shop"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ${JSON.stringify(dependencies)}\n`
      );
      execFileSync(uvBin, ['lock', '--python', python.executable], {
        cwd: workspace,
        env: lockEnv,
        stdio: 'ignore'
      });
      return workspace;
    };
    const provisionUv = (workspace: string) => {
      const env: Record<string, string> = { GITHUB_WORKSPACE: workspace };
      for (const [name, value] of Object.entries({ cache: 'false', 'package-manager': 'uv' }))
        env[inputVariable(name)] = value;
      return provisionVenv(readInputs(env), python, detectPlatform());
    };

    const bumped = uvProject(['django>=5.2,<5.3', 'six']);
    await provisionUv(bumped);
    writeFileSync(
      path.join(bumped, 'pyproject.toml'),
      '[project]\nname = "shop"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ["django>=5.2,<5.3", "python-dotenv"]\n'
    );
    execFileSync(uvBin, ['lock', '--python', python.executable], {
      cwd: bumped,
      env: lockEnv,
      stdio: 'ignore'
    });
    const source = resolveDependencySource({
      choice: 'uv',
      projectDir: bumped,
      workspace: bumped,
      requirementFiles: [],
      groups: []
    });
    const plan: VenvPlan = {
      venvPath: path.join(bumped, '.venv'),
      python,
      projectDir: bumped,
      source,
      dependencyHash: dependencyHashOf(source.dependencyFiles, bumped, []),
      toolsDir: temp
    };
    const changes = await bringToRequirements(plan);
    expect(changes.removed).toEqual([expect.stringMatching(/^six /)]);
    expect(changes.added).toEqual([expect.stringMatching(/^python-dotenv /)]);
    expect(changes.upgraded).toEqual([]);

    const fresh = uvProject(['django>=5.2,<5.3', 'python-dotenv']);
    await provisionUv(fresh);
    expect(await listDistributions(plan.venvPath)).toEqual(
      await listDistributions(path.join(fresh, '.venv'))
    );
  });
});
