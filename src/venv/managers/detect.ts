// Which package manager installs the project: the input's, else the first of the documented
// order whose files are present (uv.lock, poetry.lock, Pipfile(.lock), requirements, pyproject).
import path from 'node:path';
import { Inputs } from '../../constants.js';
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
export const LOCK_MANAGERS: readonly PackageManager[] = [uv, poetry, pipenv];

export function lockManager(name: Exclude<PackageManagerName, 'pip'>): PackageManager {
  const manager = LOCK_MANAGERS.find(candidate => candidate.name === name);
  if (!manager) throw new Error(`no package manager module for ${name}`);
  return manager;
}

export interface DetectOptions {
  choice: PackageManagerChoice;
  projectDir: string;
  /** Absolute paths from `requirements-file` (empty: requirements.txt when present). */
  requirementFiles: string[];
  groups: string[];
}

/** The manager `auto` picks and why, looking only at which files exist. */
export function detectManager(
  projectDir: string,
  requirementFiles: string[]
): { manager: PackageManagerName; reason: string } {
  for (const manager of LOCK_MANAGERS) {
    const found = manager.lockFiles.find(file => projectFile(projectDir, file));
    if (found) return { manager: manager.name, reason: `${found} found` };
  }
  if (requirementFiles.length > 0)
    return { manager: 'pip', reason: `'${Inputs.RequirementsFile}' given` };
  if (projectFile(projectDir, 'requirements.txt'))
    return { manager: 'pip', reason: 'requirements.txt found' };
  const pyproject = projectFile(projectDir, 'pyproject.toml');
  if (pyproject && projectDependencies(readToml(pyproject)) !== undefined)
    return { manager: 'pip', reason: 'pyproject.toml with [project] dependencies found' };
  return { manager: 'pip', reason: 'no lock, requirements or pyproject.toml dependencies found' };
}

/** Resolves the manager and checks its files and groups, before anything is installed. */
export function resolveDependencySource(options: DetectOptions): DependencySource {
  const { choice, projectDir, requirementFiles, groups } = options;
  const { manager, reason } =
    choice === 'auto'
      ? detectManager(projectDir, requirementFiles)
      : { manager: choice, reason: `'${Inputs.PackageManager}: ${choice}'` };
  if (manager === 'pip') return resolvePipSource(projectDir, requirementFiles, groups, reason);
  return lockManager(manager).resolve(projectDir, groups, reason);
}

/** The dependency files relative to the project, for messages. */
export function describeSource(source: DependencySource): string {
  const files = source.dependencyFiles.map(file => path.relative(source.projectDir, file) || file);
  const groups = source.groups.length ? `, groups: ${source.groups.join(' ')}` : '';
  return `${source.manager} (${source.reason}${files.length ? `; ${files.join(', ')}` : ''}${groups})`;
}
