// pip: installs requirements files into the venv and turns its failures into readable errors.
import * as core from '@actions/core';
import path from 'node:path';
import { Inputs } from '../../constants.js';
import { execCommand, ExecError } from '../../exec.js';
import { ActionError, tail } from '../../errors.js';
import { venvPython } from '../inspect.js';
import { resolveRequirementFiles, withIncludes } from '../requirements.js';
import { classifyGroups, isTable, projectFile, readToml, table } from './manifest.js';
import type { DependencySource, PyprojectInstall } from './types.js';

/** Reads pip's output for the reason an install failed; undefined when it says nothing known. */
export function explainPipFailure(output: string): string | undefined {
  const notFound = /No matching distribution found for ([^\s]+)/.exec(output);
  if (notFound) {
    return `no release of '${notFound[1]}' was found on the package index. Check the name and version, and PIP_INDEX_URL / PIP_EXTRA_INDEX_URL if you use a private index.`;
  }
  const cannotOpen = /Could not open requirements file: .*?'([^']+)'/.exec(output);
  if (cannotOpen) return `the requirements file '${cannotOpen[1]}' could not be opened.`;
  const invalid = /Invalid requirement: '?([^'\n]+)'?(?:.*\(from line (\d+) of ([^)]+)\))?/.exec(
    output
  );
  if (invalid) {
    const where = invalid[2] ? ` (line ${invalid[2]} of ${invalid[3]})` : '';
    return `'${invalid[1].trim()}'${where} is not a valid requirement.`;
  }
  const build = /Failed (?:to build|building wheel for) ([^\s]+)/.exec(output);
  if (build) {
    return `building '${build[1]}' from source failed. It may need OS headers or a compiler: install them with '${Inputs.AptPackages}' (for example libpq-dev), or pin a version that ships a wheel.`;
  }
  const conflict = /ResolutionImpossible|conflicting dependencies/.exec(output);
  if (conflict)
    return 'the requirements conflict with each other (pip could not resolve a consistent set).';
  const hashes = /THESE PACKAGES DO NOT MATCH THE HASHES/.exec(output);
  if (hashes) return 'a downloaded package did not match the hash pinned in the requirements file.';
  const space = /No space left on device/.exec(output);
  if (space) return 'the disk is full.';
  return undefined;
}

export interface PipInstall {
  venvPath: string;
  files: string[];
  cwd: string;
  /** pip options before the requirements (deploy mode's wheelhouse: --no-index --find-links). */
  extra?: string[];
  /** Requirement specifiers or `.[extras]` (pyproject.toml projects), installed in the same run. */
  specs?: string[];
}

export function pipInstallCommand(install: PipInstall): { command: string; args: string[] } {
  const args = ['-m', 'pip'];
  // No byte-compiling of every module up front (2-3 s of a cold install): Python writes the
  // bytecode of what the project really imports when the Django phase and later steps import
  // it, and the post step caches the venv with those files.
  args.push('install', '--disable-pip-version-check', '--no-compile');
  args.push(...(install.extra ?? []));
  for (const file of install.files) args.push('-r', file);
  args.push(...(install.specs ?? []));
  return { command: venvPython(install.venvPath), args };
}

export async function pipInstallRequirements(install: PipInstall): Promise<void> {
  const { command, args } = pipInstallCommand(install);
  const names =
    install.files.map(f => path.relative(install.cwd, f)).join(', ') ||
    (install.specs?.length ? 'pyproject.toml' : '');
  try {
    const result = await execCommand(command, args, { cwd: install.cwd, kind: 'install' });
    core.startGroup(
      `pip install${install.files.length ? ` -r ${names}` : install.specs?.length ? ` (${names})` : ' pip'}`
    );
    core.info(result.stdout.trimEnd());
    if (result.stderr.trim()) core.info(result.stderr.trimEnd());
    core.endGroup();
  } catch (error) {
    if (!(error instanceof ExecError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    const reason = explainPipFailure(output) ?? `pip exited with code ${error.result.exitCode}.`;
    throw new ActionError(
      `Installing the requirements from ${names || 'the project'} failed: ${reason}\n--- pip output (last lines) ---\n${tail(output, 25)}`
    );
  }
}

/** pyproject.toml's [project] table when it declares dependencies (a list), else undefined. */
export function projectDependencies(pyproject: Record<string, unknown>): string[] | undefined {
  const deps = table(pyproject, 'project').dependencies;
  return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : undefined;
}

/**
 * What pip installs from a pyproject.toml: the project itself (`-e .[extras]`) when it declares a
 * [build-system], else only its declared requirements (like poetry's --no-root): a Django site
 * in a flat layout is usually not an installable package.
 */
export function planPyprojectInstall(
  file: string,
  pyproject: Record<string, unknown>,
  groups: string[]
): PyprojectInstall {
  const optional = table(pyproject, 'project', 'optional-dependencies');
  const { extras } = classifyGroups(
    groups,
    {
      groupsLabel: 'groups usable with pip',
      groups: [],
      extras: Object.keys(optional),
      declareHint: name => `[project.optional-dependencies] ${name} = [...] in pyproject.toml`
    },
    file
  );
  const installProject = isTable(pyproject['build-system']);
  const requirements = installProject
    ? []
    : [
        ...(projectDependencies(pyproject) ?? []),
        ...extras.flatMap(extra =>
          (Array.isArray(optional[extra]) ? (optional[extra] as unknown[]) : []).filter(
            (d): d is string => typeof d === 'string'
          )
        )
      ];
  return { file, installProject, requirements, extras };
}

/**
 * The pip arguments that install a pyproject.toml plan (run in the project directory). The project
 * itself is installed editable: the cached venv links to the checkout instead of holding a copy
 * of its code that a later commit would leave stale (the key hashes pyproject.toml, not the code).
 */
export function pyprojectSpecs(plan: PyprojectInstall): string[] {
  if (!plan.installProject) return plan.requirements;
  return ['-e', plan.extras.length ? `.[${plan.extras.join(',')}]` : '.'];
}

/**
 * pip's source: the requirements files (the input's, else requirements.txt), else pyproject.toml
 * with [project] dependencies, else nothing (a warning follows at install time).
 */
export function resolvePipSource(
  projectDir: string,
  inputFiles: string[],
  groups: string[],
  reason: string
): DependencySource {
  const requirementFiles = resolveRequirementFiles(inputFiles, projectDir);
  const base = { manager: 'pip' as const, projectDir, groups, reason };
  if (requirementFiles.length > 0) {
    if (groups.length > 0) {
      throw new ActionError(
        `'${Inputs.DependencyGroups}' (${groups.join(', ')}) cannot be used with pip requirements files: list the extra files in '${Inputs.RequirementsFile}' instead.`
      );
    }
    return { ...base, dependencyFiles: withIncludes(requirementFiles), requirementFiles };
  }
  const file = projectFile(projectDir, 'pyproject.toml');
  const pyproject = file ? readToml(file) : undefined;
  if (file && pyproject && projectDependencies(pyproject) !== undefined) {
    return {
      ...base,
      dependencyFiles: [file],
      requirementFiles: [],
      pyproject: planPyprojectInstall(file, pyproject, groups)
    };
  }
  if (groups.length > 0) {
    throw new ActionError(
      `'${Inputs.DependencyGroups}' is set, but ${projectDir} has neither a requirements file nor a pyproject.toml with [project] dependencies to take them from.`
    );
  }
  return { ...base, dependencyFiles: [], requirementFiles: [] };
}
