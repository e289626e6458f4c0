// uv: installs exactly what uv.lock pins into the app's venv (`uv sync --locked` with
// UV_PROJECT_ENVIRONMENT), failing when the lock no longer matches pyproject.toml.
import {
  classifyGroups,
  readToml,
  resolvePyprojectLock,
  table,
  type ClassifiedGroups,
  type GroupCatalog
} from './manifest.js';
import {
  activeVenvEnv,
  defaultToolsDir,
  locateTool,
  runManager,
  type ManagerTool
} from './tool.js';
import type { DependencySource, ManagerCommand, PackageManager } from './types.js';
import { Inputs } from '../../constants.js';

/** PEP 735 [dependency-groups] (and the legacy tool.uv.dev-dependencies) and [project] extras. */
export function uvCatalog(pyproject: Record<string, unknown>): GroupCatalog {
  const groups = Object.keys(table(pyproject, 'dependency-groups'));
  const legacyDev = table(pyproject, 'tool', 'uv')['dev-dependencies'];
  if (Array.isArray(legacyDev) && legacyDev.length > 0 && !groups.includes('dev'))
    groups.push('dev');
  return {
    groupsLabel: 'dependency groups ([dependency-groups])',
    groups,
    extras: Object.keys(table(pyproject, 'project', 'optional-dependencies')),
    declareHint: name =>
      `'${name} = [...]' under [dependency-groups] in pyproject.toml, then 'uv lock'`
  };
}

export function uvEnv(venvPath: string, envPath?: string): ManagerCommand['env'] {
  return {
    ...activeVenvEnv(venvPath, envPath),
    UV_PROJECT_ENVIRONMENT: venvPath,
    // The interpreter was chosen already: uv must neither download another nor pick its own.
    UV_PYTHON_DOWNLOADS: 'never',
    UV_NO_PROGRESS: '1'
  };
}

/**
 * `uv sync --locked`: fails instead of re-locking when uv.lock is stale. Production dependencies
 * only (`--no-default-groups`: uv would add `dev`), plus the groups and extras asked for.
 */
export function uvSyncCommand(
  tool: Pick<ManagerTool, 'executable'>,
  venvPath: string,
  pythonExecutable: string,
  chosen: ClassifiedGroups
): ManagerCommand {
  const args = ['sync', '--locked', '--no-default-groups'];
  for (const group of chosen.groups) args.push('--group', group);
  for (const extra of chosen.extras) args.push('--extra', extra);
  args.push('--python', pythonExecutable);
  return { command: tool.executable, args, env: uvEnv(venvPath) };
}

export const UV_STALE_LOCK =
  "uv.lock is out of date with pyproject.toml (the dependencies changed after the lock was written). setup-django installs exactly what the lock pins and never re-locks: run 'uv lock' and commit uv.lock.";

export function explainUvFailure(output: string): string | undefined {
  if (
    /needs to be updated, but `?--locked`? was provided|lockfile .* needs to be updated/i.test(
      output
    )
  )
    return UV_STALE_LOCK;
  const group = /Group `([^`]+)` is not defined/.exec(output);
  if (group)
    return `pyproject.toml defines no dependency group '${group[1]}'. Fix '${Inputs.DependencyGroups}' or add it under [dependency-groups].`;
  const extra = /Extra `([^`]+)` is not defined/.exec(output);
  if (extra)
    return `pyproject.toml defines no extra '${extra[1]}'. Fix '${Inputs.DependencyGroups}' or add it under [project.optional-dependencies].`;
  if (/unexpected argument '--no-default-groups'|unexpected argument '--group'/.test(output))
    return 'this uv is too old for dependency groups (--no-default-groups): use uv 0.5 or later.';
  if (/No interpreter found|does not satisfy|requires-python/i.test(output))
    return `the project's requires-python (or .python-version) does not accept the chosen Python: set '${Inputs.PythonVersion}' to match it.`;
  if (/hash mismatch/i.test(output))
    return 'a downloaded file does not match the hash in uv.lock. Re-lock from a trusted index.';
  if (/Failed to (?:download|fetch)|error sending request|dns error/i.test(output))
    return 'a package could not be downloaded. Check the index URLs in uv.lock / pyproject.toml and that the runner reaches them.';
  if (/Failed to build|build backend/i.test(output))
    return `building a package from source failed. It may need OS headers or a compiler: install them with '${Inputs.AptPackages}'.`;
  if (/No space left on device/.test(output)) return 'the disk is full.';
  return undefined;
}

export const uv: PackageManager = {
  name: 'uv',
  lockFiles: ['uv.lock'],
  resolve(projectDir, groups, reason): DependencySource {
    return resolvePyprojectLock('uv', 'uv.lock', uvCatalog, { projectDir, groups, reason });
  },
  async install({ source, venvPath, python, toolsDir, toolVersion, cacheTools }): Promise<void> {
    const pyproject = source.dependencyFiles[1];
    const chosen =
      source.groups.length > 0
        ? classifyGroups(source.groups, uvCatalog(readToml(pyproject)), pyproject)
        : { groups: [], extras: [] };
    const tool = await locateTool('uv', {
      python,
      toolsDir: toolsDir || defaultToolsDir(),
      version: toolVersion,
      cache: cacheTools
    });
    await runManager(
      'uv sync',
      uvSyncCommand(tool, venvPath, python.executable, chosen),
      source.projectDir,
      explainUvFailure,
      'Installing the dependencies from uv.lock failed'
    );
  }
};
