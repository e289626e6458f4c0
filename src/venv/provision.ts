// The venv phase with the cache around it: reuse a complete local venv, else restore and
// validate, else build; and tell the post step when a save is due.
import * as core from '@actions/core';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { globDependencyFiles } from '../cache/dependency-files.js';
import { buildCacheKey, cacheKeyPrefix } from '../cache/key.js';
import { restoreVenv, type RestoreOutcome } from '../cache/restore.js';
import { removeShards, shardDirFor } from '../cache/shards.js';
import { Inputs } from '../constants.js';
import type { ActionInputs } from '../inputs.js';
import type { Platform } from '../platform.js';
import type { PythonInstall } from '../python/find.js';
import { saveCacheState } from '../state.js';
import { bumpRestoredVenv, supportsBump, type DistributionChanges } from './bump.js';
import { inspectVenv, probeVenv } from './inspect.js';
import { readMarker } from './marker.js';
import { assertRemovableVenv } from './ownership.js';
import { prepareVenv, type VenvResult } from './prepare.js';
import { createHash } from 'node:crypto';
import { describeSource, resolveDependencySource } from './managers/detect.js';
import { defaultToolsDir } from './managers/tool.js';
import type { DependencySource, InstallerName } from './managers/types.js';
import { hashLocalRequirements, localRequirements } from './local-paths.js';
import { hashFiles, withIncludes } from './requirements.js';

export interface ProvisionResult {
  venv: VenvResult;
  cacheKey: string;
  cacheHit: boolean;
  restore: RestoreOutcome | { status: 'disabled' | 'local'; durationMs: 0 };
  dependencyFiles: string[];
  /** The requirements files pip installed from (empty for the lock-file managers). */
  requirementFiles: string[];
  /** The manager, why it was chosen, and the files it installs from. */
  source: DependencySource;
  /** What ran the install: pip or uv for pip projects, else the lock-file manager. */
  installer: string;
  /** The key of the entry restored: cacheKey on an exact hit, an older key on a bump, else ''. */
  matchedKey: string;
  /** A dependency bump: what the restored older venv gained, changed and lost. */
  changes?: DistributionChanges;
  /** The post step is asked to save the venv. */
  saveDue: boolean;
}

/**
 * The hash of the dependency files; the groups asked for are part of it (another selection
 * is another venv), the plain file hash is kept when there are none.
 */
export function dependencyHashOf(files: string[], root: string, groups: string[]): string {
  const filesHash = hashFiles(files, root);
  if (groups.length === 0) return filesHash;
  return createHash('sha256')
    .update(filesHash)
    .update('\0groups:')
    .update([...groups].sort().join(','))
    .digest('hex');
}

/**
 * The dependency hash with the code that local-path requirements (`./libs/x`, `name @ file:...`)
 * point at: a venv holding a copy of that code is only reused while the code is the same.
 */
export function withLocalCode(hash: string, source: DependencySource, root: string): string {
  if (source.manager !== 'pip') return hash;
  const local = localRequirements(withIncludes(source.requirementFiles), source.projectDir);
  if (local.length === 0) return hash;
  core.info(
    `Local code in the requirements, keyed by its content: ${local
      .map(
        r =>
          `${path.relative(root, r.path) || '.'}${r.editable ? ' (editable: its packaging files)' : ''}`
      )
      .join(', ')}.`
  );
  return createHash('sha256')
    .update(hash)
    .update('\0local:')
    .update(hashLocalRequirements(local, root))
    .digest('hex');
}

/** pip reads nothing but the wheelhouse: no index, no pip.conf or PIP_* settings. */
function wheelhouseOnlyArgs(dir: string): string[] {
  return ['--isolated', '--no-index', '--find-links', dir];
}

/**
 * What installs the dependencies, said in the log: the `installer` input for pip projects; a
 * lock-file project is installed by its own manager (a notice when `installer: uv` asked otherwise).
 */
export function chooseInstaller(installer: InstallerName, source: DependencySource): string {
  if (source.manager === 'pip') {
    core.info(
      installer === 'uv'
        ? `Installer: uv ('${Inputs.Installer}: uv'): uv pip install into the venv, from pip's index settings.`
        : `Installer: pip.`
    );
    return installer;
  }
  if (installer === 'uv' && source.manager !== 'uv') {
    core.notice(
      `'${Inputs.Installer}: uv' applies to pip requirements and pyproject.toml projects; ${source.reason}, so ${source.manager} installs the dependencies.`
    );
  }
  core.info(`Installer: ${source.manager} (${source.reason}).`);
  return source.manager;
}

async function validateRestored(
  venvPath: string,
  python: PythonInstall
): Promise<string | undefined> {
  const check = inspectVenv(venvPath, python);
  if (!check.usable) return check.reason;
  const probe = await probeVenv(venvPath, python, ['django']);
  return probe.usable ? undefined : probe.reason;
}

/**
 * Validates a restored venv. One that fails is deleted (this restore unpacked it into a path it had
 * emptied, so it is the action's to delete) and the reason returned: the caller builds afresh.
 */
async function discardUnusableRestore(
  venvPath: string,
  python: PythonInstall
): Promise<string | undefined> {
  const reason = await validateRestored(venvPath, python);
  if (reason === undefined) return undefined;
  core.warning(
    `The virtualenv restored from the cache is not usable (${reason}); deleting it and building a fresh one.`
  );
  rmSync(venvPath, { recursive: true, force: true });
  return `the restored venv was not usable: ${reason}`;
}

export async function provisionVenv(
  inputs: ActionInputs,
  python: PythonInstall,
  platform: Platform,
  /** What an install must wait for (apt packages: builds may need their headers). */
  beforeInstall: Promise<unknown> = Promise.resolve(),
  /** Deploy mode: install from this wheelhouse only, keyed by its content hash. */
  wheelhouse?: { dir: string; dependencyHash: string }
): Promise<ProvisionResult> {
  // Before any restore or build: a user's folder at venv-path fails the step, untouched.
  assertRemovableVenv(inputs.venvPath);
  // Shards a killed run left next to the venv (a persistent workspace keeps them).
  removeShards(shardDirFor(inputs.venvPath));
  const source = resolveDependencySource({
    choice: inputs.packageManager,
    projectDir: inputs.workingDirectory,
    workspace: inputs.workspace,
    requirementFiles: inputs.requirementsFiles,
    groups: inputs.dependencyGroups
  });
  core.info(`Dependencies: ${describeSource(source)}.`);
  if (source.manager !== 'pip' && inputs.requirementsFiles.length > 0) {
    core.notice(
      `'${Inputs.RequirementsFile}' is set, but ${source.reason}: ${source.manager} installs the dependencies and the requirements files are not used. Set '${Inputs.PackageManager}: pip' to install from them instead.`
    );
  }
  if (wheelhouse && inputs.installer === 'uv') {
    core.notice(
      `'${Inputs.Installer}: uv' is not used in deploy mode: pip installs the artifact's wheelhouse alone.`
    );
  }
  const installer = chooseInstaller(wheelhouse ? 'pip' : inputs.installer, source);
  const { requirementFiles } = source;
  const dependencyFiles =
    inputs.cacheDependencyPath.length > 0
      ? await globDependencyFiles(inputs.cacheDependencyPath, inputs.workingDirectory)
      : source.dependencyFiles;
  const dependencyHash =
    wheelhouse?.dependencyHash ??
    withLocalCode(
      dependencyHashOf(dependencyFiles, inputs.workspace, source.groups),
      source,
      inputs.workspace
    );
  const keyParts = {
    platform,
    pythonVersion: python.version,
    pythonExecutable: python.executable,
    venvPath: inputs.venvPath,
    packageManager: source.manager,
    installer: source.manager === 'pip' ? installer : undefined,
    suffix: inputs.cacheSuffix
  };
  const cacheKey = buildCacheKey({ ...keyParts, dependencyHash });
  // A bump restores the newest venv of the same everything-but-dependencies, then syncs it.
  // Deploy mode installs exactly the artifact's wheelhouse: no fallback there.
  const restorePrefix =
    supportsBump(source.manager) && !wheelhouse ? cacheKeyPrefix(keyParts) : undefined;
  const plan = {
    venvPath: inputs.venvPath,
    python,
    projectDir: inputs.workingDirectory,
    source,
    dependencyHash,
    toolsDir: defaultToolsDir(),
    toolVersions: inputs.managerVersions,
    cacheTools: inputs.cache,
    pipArgs: wheelhouse ? wheelhouseOnlyArgs(wheelhouse.dir) : undefined,
    installer: source.manager === 'pip' && !wheelhouse ? inputs.installer : undefined
  };

  let restore: ProvisionResult['restore'] = { status: 'disabled', durationMs: 0 };
  let cacheHit = false;
  let matchedKey = '';
  let bumpFrom: string | undefined;
  let rejected: string | undefined;
  const local = inspectVenv(inputs.venvPath, python);
  if (
    inputs.cache &&
    local.usable &&
    readMarker(inputs.venvPath)?.dependencyHash === dependencyHash
  ) {
    // A persistent workspace (self-hosted runner) already holds this exact venv.
    restore = { status: 'local', durationMs: 0 };
  } else if (inputs.cache) {
    restore = await restoreVenv(inputs.venvPath, cacheKey, restorePrefix);
    if (restore.status === 'unavailable') {
      core.notice(
        'No cache service is configured for this runner (local run, or GHES without the cache): the virtualenv is not cached.'
      );
    } else if (restore.status === 'hit') {
      matchedKey = restore.matchedKey;
      rejected = await discardUnusableRestore(inputs.venvPath, python);
      if (rejected === undefined) {
        if (matchedKey === cacheKey) cacheHit = true;
        else bumpFrom = matchedKey;
      }
    }
  }

  let changes: DistributionChanges | undefined;
  let venv: VenvResult;
  if (cacheHit) {
    venv = {
      venvPath: inputs.venvPath,
      python: path.join(inputs.venvPath, 'bin', 'python'),
      action: 'reused',
      packageManager: source.manager
    };
  } else if (bumpFrom !== undefined) {
    const from = bumpFrom;
    const bumped = await beforeInstall.then(() => bumpRestoredVenv(plan, from));
    ({ venv, changes } = bumped);
  } else {
    const built = await beforeInstall.then(() => prepareVenv(plan));
    venv = { ...built, rebuildReason: built.rebuildReason ?? rejected };
  }
  const saveDue = inputs.cache && !cacheHit && restore.status !== 'unavailable';
  if (saveDue) saveCacheState({ key: cacheKey, paths: [inputs.venvPath] });
  return {
    venv,
    cacheKey,
    cacheHit,
    restore,
    dependencyFiles,
    requirementFiles,
    source,
    installer,
    matchedKey,
    changes,
    saveDue
  };
}
