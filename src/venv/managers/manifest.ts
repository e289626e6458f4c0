// Reading the managers' TOML manifests (pyproject.toml, Pipfile) and matching dependency-groups
// against what they define, with errors that name the file and the fix.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { Inputs } from '../../constants.js';
import { ActionError } from '../../errors.js';

export type TomlTable = Record<string, unknown>;

export function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A TOML file as a table; a syntax error names the file and the line. */
export function readToml(file: string): TomlTable {
  try {
    return parse(readFileSync(file, 'utf8')) as TomlTable;
  } catch (error) {
    throw new ActionError(
      `${path.basename(file)} (${file}) is not valid TOML: ${(error as Error).message.split('\n')[0]}`
    );
  }
}

/** A nested table, or an empty one when any part of the path is missing or not a table. */
export function table(root: TomlTable, ...keys: string[]): TomlTable {
  let current: unknown = root;
  for (const key of keys) {
    current = isTable(current) ? current[key] : undefined;
  }
  return isTable(current) ? current : {};
}

/** PEP 503 / PEP 685 normalised name: groups and extras compare this way. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export interface GroupCatalog {
  /** The manager's name for its dependency groups ("poetry groups", "Pipfile categories"). */
  groupsLabel: string;
  groups: string[];
  extras: string[];
  /** How a new group is declared, for the error's fix. */
  declareHint: (name: string) => string;
}

export interface ClassifiedGroups {
  groups: string[];
  extras: string[];
}

/**
 * Sorts each requested name into a group or an extra (groups first, as the manager would);
 * a name that is neither is an error listing what the manifest defines.
 */
export function classifyGroups(
  requested: string[],
  catalog: GroupCatalog,
  manifest: string
): ClassifiedGroups {
  const result: ClassifiedGroups = { groups: [], extras: [] };
  const find = (list: string[], name: string): string | undefined =>
    list.find(candidate => normalizeName(candidate) === normalizeName(name));
  for (const name of requested) {
    const group = find(catalog.groups, name);
    const extra = find(catalog.extras, name);
    if (group !== undefined) result.groups.push(group);
    else if (extra !== undefined) result.extras.push(extra);
    else {
      const list = (items: string[]): string => (items.length ? items.join(', ') : 'none');
      throw new ActionError(
        `'${Inputs.DependencyGroups}' names '${name}', which ${path.basename(manifest)} (${manifest}) does not define. ` +
          `Its ${catalog.groupsLabel}: ${list(catalog.groups)}; extras: ${list(catalog.extras)}. ` +
          `Remove '${name}' from '${Inputs.DependencyGroups}', or declare it (${catalog.declareHint(name)}).`
      );
    }
  }
  return result;
}

/** The file if it exists in the project, else undefined. */
export function projectFile(projectDir: string, name: string): string | undefined {
  const file = path.join(projectDir, name);
  return existsSync(file) ? file : undefined;
}

/** An explicit manager whose lock file is missing: say which file and how to make it. */
export function missingLockError(
  manager: string,
  lockFile: string,
  projectDir: string,
  how: string
): ActionError {
  return new ActionError(
    `'${Inputs.PackageManager}' is ${manager}, but ${projectDir} has no ${lockFile}. ` +
      `setup-django installs exactly what the lock file pins: ${how}, and commit ${lockFile} (or set '${Inputs.PackageManager}' to the manager the project uses).`
  );
}

/**
 * The source of a manager that installs from pyproject.toml and a lock file beside it (poetry,
 * uv): both must exist, and the groups asked for must be ones the manifest declares.
 */
export function resolvePyprojectLock(
  manager: 'poetry' | 'uv',
  lockName: string,
  catalogOf: (pyproject: TomlTable) => GroupCatalog,
  args: { projectDir: string; groups: string[]; reason: string }
): {
  manager: 'poetry' | 'uv';
  projectDir: string;
  dependencyFiles: string[];
  requirementFiles: string[];
  groups: string[];
  reason: string;
} {
  const { projectDir, groups, reason } = args;
  const pyproject = projectFile(projectDir, 'pyproject.toml');
  if (!pyproject) {
    throw new ActionError(
      `${manager} needs pyproject.toml, and ${projectDir} has none. Set '${Inputs.WorkingDirectory}' to the directory holding pyproject.toml and ${lockName}.`
    );
  }
  const lock = projectFile(projectDir, lockName);
  if (!lock) throw missingLockError(manager, lockName, projectDir, `run '${manager} lock'`);
  if (groups.length > 0) classifyGroups(groups, catalogOf(readToml(pyproject)), pyproject);
  return {
    manager,
    projectDir,
    dependencyFiles: [lock, pyproject],
    requirementFiles: [],
    groups,
    reason
  };
}
