// The shape every package manager module has: adding a manager is adding a file that exports one.
import type { PythonInstall } from '../../python/find.js';

import type { PackageManagerName } from '../../vocabulary/managers.js';

export {
  INSTALLERS,
  PACKAGE_MANAGERS,
  type InstallerName,
  type PackageManagerChoice,
  type PackageManagerName
} from '../../vocabulary/managers.js';

/** What the action installs from: the manager, its files and the groups asked for. */
export interface DependencySource {
  manager: PackageManagerName;
  projectDir: string;
  /** The files that define the dependencies (lock first, then manifest): they key the cache. */
  dependencyFiles: string[];
  /** pip: the requirements files installed with -r (empty for the other managers). */
  requirementFiles: string[];
  /** pip without requirements files: the pyproject.toml whose [project] dependencies are installed. */
  pyproject?: PyprojectInstall;
  /** dependency-groups, as given (validated against the manifest). */
  groups: string[];
  /** Why this manager: shown in the log and the summary. */
  reason: string;
}

export interface PyprojectInstall {
  file: string;
  /** [build-system] declared: `pip install .[extras]`; else only the declared requirements. */
  installProject: boolean;
  /** The requirement strings installed when the project itself is not. */
  requirements: string[];
  extras: string[];
}

/** What an install needs besides the source: the venv, the interpreter, where tools may go. */
export interface InstallRequest {
  source: DependencySource;
  venvPath: string;
  python: PythonInstall;
  /** A directory outside the app's venv where a missing manager may be installed. */
  toolsDir: string;
  /** The manager version asked for (`poetry-version`, ...); '' for any. */
  toolVersion?: string;
  /** Keep a pinned manager's tool venv in the actions cache (the `cache` input). */
  cacheTools?: boolean;
}

/** One external command: argument array, environment additions (undefined removes a variable). */
export interface ManagerCommand {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
}

export interface PackageManager {
  name: Exclude<PackageManagerName, 'pip'>;
  /** The lock file whose presence makes `auto` choose this manager. */
  lockFiles: readonly string[];
  /** Checks the project's files and groups for this manager; throws an ActionError naming the fix. */
  resolve(projectDir: string, groups: string[], reason: string): DependencySource;
  /** Installs the locked dependencies into the (existing, pip-seeded) venv. */
  install(request: InstallRequest): Promise<void>;
}
