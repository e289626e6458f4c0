// pipenv: installs exactly what Pipfile.lock pins into the app's venv (`pipenv sync`), after
// `pipenv verify` has checked that the lock still matches the Pipfile.
import * as core from '@actions/core';
import { ActionError } from '../../errors.js';
import {
  classifyGroups,
  missingLockError,
  normalizeName,
  projectFile,
  readToml,
  type GroupCatalog
} from './manifest.js';
import { explainPipFailure } from './pip.js';
import {
  activeVenvEnv,
  defaultToolsDir,
  locateTool,
  runManager,
  type ManagerTool
} from './tool.js';
import type { DependencySource, ManagerCommand, PackageManager } from './types.js';
import { Inputs } from '../../constants.js';

/** Pipfile tables that are not package categories. */
const NOT_CATEGORIES = new Set(['source', 'requires', 'pipenv', 'scripts']);

/** The Pipfile's categories besides [packages]; `dev` is accepted for [dev-packages]. */
export function pipenvCatalog(pipfile: Record<string, unknown>): GroupCatalog {
  const groups = Object.keys(pipfile).filter(
    name => !NOT_CATEGORIES.has(name) && name !== 'packages'
  );
  return {
    groupsLabel: 'Pipfile categories',
    groups,
    extras: [],
    declareHint: name => `a [${name}] table in the Pipfile, then 'pipenv lock'`
  };
}

/** Maps `dev` to `dev-packages`, keeps the Pipfile's own spelling of the others. */
export function pipenvCategories(
  groups: string[],
  catalog: GroupCatalog,
  pipfile: string
): string[] {
  const mapped = groups.map(group =>
    normalizeName(group) === 'dev' && catalog.groups.includes('dev-packages')
      ? 'dev-packages'
      : group
  );
  return [...new Set(classifyGroups(mapped, catalog, pipfile).groups)];
}

function pipenvEnv(venvPath: string, pipfile: string, envPath?: string): ManagerCommand['env'] {
  return {
    ...activeVenvEnv(venvPath, envPath),
    // pipenv uses the active venv (VIRTUAL_ENV) unless told to ignore it.
    PIPENV_IGNORE_VIRTUALENVS: undefined,
    PIPENV_PIPFILE: pipfile,
    PIPENV_VERBOSITY: '-1',
    PIPENV_NOSPIN: '1',
    PIPENV_YES: '1',
    // The project's .env is the app's business, not the installer's.
    PIPENV_DONT_LOAD_ENV: '1'
  };
}

function pipenvVerifyCommand(
  tool: Pick<ManagerTool, 'executable'>,
  venvPath: string,
  pipfile: string
): ManagerCommand {
  return { command: tool.executable, args: ['verify'], env: pipenvEnv(venvPath, pipfile) };
}

/** `pipenv sync`, `--dev` for dev-packages alone, `--categories` for anything else. */
export function pipenvSyncCommand(
  tool: Pick<ManagerTool, 'executable'>,
  venvPath: string,
  pipfile: string,
  categories: string[]
): ManagerCommand {
  const args = ['sync'];
  if (categories.length === 1 && categories[0] === 'dev-packages') args.push('--dev');
  else if (categories.length > 0) args.push('--categories', ['packages', ...categories].join(' '));
  return { command: tool.executable, args, env: pipenvEnv(venvPath, pipfile) };
}

export const PIPENV_STALE_LOCK =
  "Pipfile.lock is out of date with the Pipfile (its hash no longer matches the Pipfile's). setup-django installs exactly what the lock pins and never re-locks: run 'pipenv lock' and commit Pipfile.lock.";

export function explainPipenvFailure(output: string): string | undefined {
  if (/Pipfile\.lock\b.*\bout[- ]of[- ]date/i.test(output)) return PIPENV_STALE_LOCK;
  if (/no such option:? ['"]?--categories/i.test(output))
    return "this pipenv is too old for categories other than dev-packages (--categories came in 2022.10): upgrade pipenv, or use 'dev-packages' only.";
  if (/Pipfile\.lock.*(?:not found|does not exist)|No Pipfile\.lock found/i.test(output))
    return "Pipfile.lock was not found: run 'pipenv lock' and commit Pipfile.lock.";
  if (/Python .* was not found on your system|Your Pipfile requires python_version/i.test(output))
    return `the Pipfile's [requires] python_version does not match the venv's Python: set '${Inputs.PythonVersion}' to match it.`;
  return explainPipFailure(output);
}

export const pipenv: PackageManager = {
  name: 'pipenv',
  lockFiles: ['Pipfile.lock', 'Pipfile'],
  resolve(projectDir, groups, reason): DependencySource {
    const pipfile = projectFile(projectDir, 'Pipfile');
    const lock = projectFile(projectDir, 'Pipfile.lock');
    if (!pipfile) {
      throw new ActionError(
        `pipenv needs a Pipfile, and ${projectDir} has ${lock ? 'only Pipfile.lock' : 'none'}. Commit the Pipfile with its Pipfile.lock, or set '${Inputs.WorkingDirectory}' to the directory holding them.`
      );
    }
    if (!lock) throw missingLockError('pipenv', 'Pipfile.lock', projectDir, "run 'pipenv lock'");
    if (groups.length > 0) pipenvCategories(groups, pipenvCatalog(readToml(pipfile)), pipfile);
    return {
      manager: 'pipenv',
      projectDir,
      dependencyFiles: [lock, pipfile],
      requirementFiles: [],
      groups,
      reason
    };
  },
  async install({ source, venvPath, python, toolsDir, toolVersion, cacheTools }): Promise<void> {
    const [lock, pipfile] = source.dependencyFiles;
    const categories =
      source.groups.length > 0
        ? pipenvCategories(source.groups, pipenvCatalog(readToml(pipfile)), pipfile)
        : [];
    const tool = await locateTool('pipenv', {
      python,
      toolsDir: toolsDir || defaultToolsDir(),
      version: toolVersion,
      cache: cacheTools
    });
    const verify = pipenvVerifyCommand(tool, venvPath, pipfile);
    await runManager(
      'pipenv verify',
      verify,
      source.projectDir,
      output =>
        /No such command ['"]?verify/i.test(output)
          ? `this pipenv (${tool.version || 'unknown version'}) has no 'verify' command to check ${lock} against the Pipfile: upgrade pipenv (2022.10 or later).`
          : (explainPipenvFailure(output) ?? PIPENV_STALE_LOCK),
      `Checking ${lock} against the Pipfile failed`
    );
    core.info('Pipfile.lock matches the Pipfile.');
    await runManager(
      'pipenv sync',
      pipenvSyncCommand(tool, venvPath, pipfile, categories),
      source.projectDir,
      explainPipenvFailure,
      'Installing the dependencies from Pipfile.lock failed'
    );
  }
};
