// poetry: installs exactly what poetry.lock pins into the app's venv (`install --no-root --sync`,
// `sync --no-root` from poetry 2), after checking that the lock still matches pyproject.toml.
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
  compareVersions,
  defaultToolsDir,
  locateTool,
  runManager,
  type ManagerTool
} from './tool.js';
import type { DependencySource, ManagerCommand, PackageManager } from './types.js';
import { Inputs } from '../../constants.js';

/** Groups (`[tool.poetry.group.<name>]`, legacy dev-dependencies) and extras poetry knows. */
export function poetryCatalog(pyproject: Record<string, unknown>): GroupCatalog {
  const poetry = table(pyproject, 'tool', 'poetry');
  const groups = Object.keys(table(poetry, 'group')).filter(name => name !== 'main');
  if (Object.keys(table(poetry, 'dev-dependencies')).length > 0 && !groups.includes('dev'))
    groups.push('dev');
  const extras = [
    ...Object.keys(table(poetry, 'extras')),
    ...Object.keys(table(pyproject, 'project', 'optional-dependencies'))
  ];
  return {
    groupsLabel: 'poetry groups',
    groups,
    extras: [...new Set(extras)],
    declareHint: name => `[tool.poetry.group.${name}.dependencies] in pyproject.toml`
  };
}

function selection(source: DependencySource): ClassifiedGroups {
  const pyproject = source.dependencyFiles.find(file => file.endsWith('pyproject.toml'));
  if (!pyproject || source.groups.length === 0) return { groups: [], extras: [] };
  return classifyGroups(source.groups, poetryCatalog(readToml(pyproject)), pyproject);
}

function poetryEnv(venvPath: string, envPath?: string): ManagerCommand['env'] {
  return {
    ...activeVenvEnv(venvPath, envPath),
    // With the venv active poetry uses it; never let it create one of its own instead.
    POETRY_VIRTUALENVS_CREATE: 'false',
    POETRY_NO_INTERACTION: '1'
  };
}

/** `poetry check --lock` (1.6+; `lock --check` was removed in 2.0), else `poetry lock --check`. */
export function poetryLockCheckCommand(
  tool: Pick<ManagerTool, 'executable' | 'version'>,
  venvPath: string
): ManagerCommand {
  const modern = tool.version === '' || compareVersions(tool.version, '1.6') >= 0;
  return {
    command: tool.executable,
    args: modern ? ['check', '--lock', '--no-ansi'] : ['lock', '--check', '--no-ansi'],
    env: poetryEnv(venvPath)
  };
}

/**
 * Production dependencies (`--only main`) plus the groups asked for; removes what the lock does
 * not list (`--sync`); never installs the project itself (`--no-root`).
 */
export function poetryInstallCommand(
  tool: Pick<ManagerTool, 'executable' | 'version'>,
  venvPath: string,
  chosen: ClassifiedGroups
): ManagerCommand {
  const poetry2 = tool.version !== '' && compareVersions(tool.version, '2.0') >= 0;
  const args = poetry2 ? ['sync', '--no-root'] : ['install', '--no-root', '--sync'];
  args.push('--only', ['main', ...chosen.groups].join(','));
  for (const extra of chosen.extras) args.push('--extras', extra);
  args.push('--no-interaction', '--no-ansi');
  return { command: tool.executable, args, env: poetryEnv(venvPath) };
}

export const POETRY_STALE_LOCK =
  "poetry.lock is out of date with pyproject.toml (the dependencies changed after the lock was written). setup-django installs exactly what the lock pins and never re-locks: run 'poetry lock' (poetry 1.x: 'poetry lock --no-update') and commit poetry.lock.";

/** Reads poetry's output for the reason it failed; undefined when it says nothing known. */
export function explainPoetryFailure(output: string): string | undefined {
  if (
    /not consistent with pyproject\.toml|changed significantly since poetry\.lock|poetry\.lock was last generated|lock file is not up to date/i.test(
      output
    )
  )
    return POETRY_STALE_LOCK;
  const group = /Group\(s\) not found: ([^\n]+)/.exec(output);
  if (group)
    return `pyproject.toml defines no poetry group ${group[1].trim()}. Fix '${Inputs.DependencyGroups}' or add the group.`;
  const extra = /Extra \[?([^\]\n]+?)\]? is not specified/i.exec(output);
  if (extra)
    return `pyproject.toml defines no extra '${extra[1]}'. Fix '${Inputs.DependencyGroups}'.`;
  const candidates = /Unable to find installation candidates for ([^\n]+)/.exec(output);
  if (candidates)
    return `no installable file for ${candidates[1].trim()} was found on the package sources. Check the sources in pyproject.toml ([[tool.poetry.source]]) and that the runner reaches them.`;
  const hash = /Hash for ([^\s]+) .*(?:not found in known hashes|does not match)/i.exec(output);
  if (hash)
    return `a downloaded file for ${hash[1]} does not match the hash in poetry.lock. Re-lock from a trusted index, or check for a tampering mirror.`;
  if (/ChefBuildError|Backend subprocess exited|Failed to build/i.test(output))
    return `building a package from source failed. It may need OS headers or a compiler: install them with '${Inputs.AptPackages}' (for example libpq-dev).`;
  if (/Connection ?(?:refused|Error)|Max retries exceeded|Could not resolve host/i.test(output))
    return 'a package source could not be reached. Check the sources in pyproject.toml and the network.';
  if (/No space left on device/.test(output)) return 'the disk is full.';
  return undefined;
}

export const poetry: PackageManager = {
  name: 'poetry',
  lockFiles: ['poetry.lock'],
  resolve(projectDir, groups, reason): DependencySource {
    return resolvePyprojectLock('poetry', 'poetry.lock', poetryCatalog, {
      projectDir,
      groups,
      reason
    });
  },
  async install({ source, venvPath, python, toolsDir, toolVersion, cacheTools }): Promise<void> {
    const tool = await locateTool('poetry', {
      python,
      toolsDir: toolsDir || defaultToolsDir(),
      version: toolVersion,
      cache: cacheTools
    });
    await runManager(
      'poetry: lock file check',
      poetryLockCheckCommand(tool, venvPath),
      source.projectDir,
      explainPoetryFailure,
      'Checking poetry.lock against pyproject.toml failed'
    );
    const command = poetryInstallCommand(tool, venvPath, selection(source));
    await runManager(
      `poetry ${command.args[0]}`,
      command,
      source.projectDir,
      explainPoetryFailure,
      'Installing the dependencies from poetry.lock failed'
    );
  }
};
