// Which package manager installs the project: the input's, else the first of the documented
// order whose files are present (uv.lock, poetry.lock, Pipfile(.lock), requirements, pyproject).
import path from 'node:path';
import { Inputs } from '../../constants.js';
import { isInside } from '../../paths.js';
import { projectFile, readToml } from './manifest.js';
import { pipenv } from './pipenv.js';
import { poetry } from './poetry.js';
import { projectDependencies, resolvePipSource } from './pip.js';
import type {
  DependencySource,
  PackageManager,
  PackageManagerChoice,
  PackageManagerName
} from './types.js';
import { uv } from './uv.js';

/** The lock-file managers, in the order `auto` tries them. Adding one is adding a module here. */
const LOCK_MANAGERS: readonly PackageManager[] = [uv, poetry, pipenv];

export function lockManager(name: Exclude<PackageManagerName, 'pip'>): PackageManager {
  const manager = LOCK_MANAGERS.find(candidate => candidate.name === name);
  if (!manager) throw new Error(`no package manager module for ${name}`);
  return manager;
}

export interface DetectOptions {
  choice: PackageManagerChoice;
  /** working-directory: where manage.py is. */
  projectDir: string;
  /** Lock files are also looked for in the directories above projectDir, up to this one. */
  workspace?: string;
  /** Absolute paths from `requirements-file` (empty: requirements.txt when present). */
  requirementFiles: string[];
  groups: string[];
}

/**
 * projectDir, then each directory above it up to the workspace: a repository often keeps
 * pyproject.toml and its lock at the root and the Django project in a subdirectory.
 */
function searchDirs(projectDir: string, workspace?: string): string[] {
  const dirs = [projectDir];
  if (!workspace || !isInside(projectDir, workspace)) return dirs;
  let dir = projectDir;
  while (dir !== workspace && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
    dirs.push(dir);
  }
  return dirs;
}

/** The nearest directory holding one of the manager's lock files, if any. */
function findLock(
  manager: PackageManager,
  dirs: string[]
): { dir: string; file: string } | undefined {
  for (const dir of dirs) {
    const file = manager.lockFiles.find(name => projectFile(dir, name));
    if (file) return { dir, file: path.join(dir, file) };
  }
  return undefined;
}

export interface Detected {
  manager: PackageManagerName;
  reason: string;
  /** Where the manager runs: the directory of its lock file (pip: projectDir). */
  dir: string;
}

/** The manager `auto` picks and why, looking only at which files exist. */
export function detectManager(
  projectDir: string,
  requirementFiles: string[],
  workspace?: string
): Detected {
  const pip = (reason: string): Detected => ({ manager: 'pip', reason, dir: projectDir });
  // An explicit choice beats a lock file found on the way up (a monorepo root's poetry.lock).
  if (requirementFiles.length > 0) return pip(`'${Inputs.RequirementsFile}' given`);
  for (const dir of searchDirs(projectDir, workspace)) {
    for (const manager of LOCK_MANAGERS) {
      const found = findLock(manager, [dir]);
      if (found)
        return {
          manager: manager.name,
          reason: `${path.relative(projectDir, found.file)} found`,
          dir
        };
    }
  }
  if (projectFile(projectDir, 'requirements.txt')) return pip('requirements.txt found');
  const pyproject = projectFile(projectDir, 'pyproject.toml');
  if (pyproject && projectDependencies(readToml(pyproject)) !== undefined)
    return pip('pyproject.toml with [project] dependencies found');
  return pip('no lock, requirements or pyproject.toml dependencies found');
}

/** Resolves the manager and checks its files and groups, before anything is installed. */
export function resolveDependencySource(options: DetectOptions): DependencySource {
  const { choice, projectDir, requirementFiles, groups, workspace } = options;
  if (choice === 'auto') {
    const { manager, reason, dir } = detectManager(projectDir, requirementFiles, workspace);
    if (manager === 'pip') return resolvePipSource(projectDir, requirementFiles, groups, reason);
    return lockManager(manager).resolve(dir, groups, reason);
  }
  const reason = `'${Inputs.PackageManager}: ${choice}'`;
  if (choice === 'pip') return resolvePipSource(projectDir, requirementFiles, groups, reason);
  const manager = lockManager(choice);
  const found = findLock(manager, searchDirs(projectDir, workspace));
  return manager.resolve(found?.dir ?? projectDir, groups, reason);
}

/** The dependency files relative to the project, for messages. */
export function describeSource(source: DependencySource): string {
  const files = source.dependencyFiles.map(file => path.relative(source.projectDir, file) || file);
  const groups = source.groups.length ? `, groups: ${source.groups.join(' ')}` : '';
  return `${source.manager} (${source.reason}${files.length ? `; ${files.join(', ')}` : ''}${groups})`;
}
