// Brings the venv at venv-path to "complete for these dependencies": reuse, update or rebuild.
import * as core from '@actions/core';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execCommand } from '../exec.js';
import { ActionError } from '../errors.js';
import type { PythonInstall } from '../python/find.js';
import { inspectVenv, probeVenv, venvPython } from './inspect.js';
import { readMarker, removeMarker, writeMarker } from './marker.js';
import { removeVenv } from './ownership.js';
import { lockManager } from './managers/detect.js';
import { pipInstallRequirements, pyprojectSpecs } from './managers/pip.js';
import type { DependencySource, InstallerName, PackageManagerName } from './managers/types.js';
import { prepareUv, uvPipInstall } from './managers/uv-pip.js';
import { planSeed, seedPip, type SeedPlan } from './seed.js';
import { Inputs } from '../constants.js';

export interface VenvPlan {
  venvPath: string;
  python: PythonInstall;
  projectDir: string;
  /** The manager and the files it installs from. */
  source: DependencySource;
  dependencyHash: string;
  /** Where a missing manager CLI may be installed (never inside the venv). */
  toolsDir: string;
  /** Version pins per manager (`poetry-version`, ...). */
  toolVersions?: Partial<Record<PackageManagerName, string>>;
  /** Keep a pinned manager's tool venv in the actions cache. */
  cacheTools?: boolean;
  /** Extra pip install options (deploy mode: the wheelhouse only). */
  pipArgs?: string[];
  /** pip projects: `uv` installs the requirements with `uv pip install` instead of pip. */
  installer?: InstallerName;
}

export interface VenvResult {
  venvPath: string;
  python: string;
  /** What happened: reused as is, dependencies updated, or built from scratch. */
  action: 'reused' | 'updated' | 'created';
  /** Why an existing venv was not reused, when it was not. */
  rebuildReason?: string;
  packageManager: PackageManagerName;
}

/** Creates an empty venv; with the fast seed plan pip comes later, with the requirements. */
async function createVenv(python: PythonInstall, venvPath: string, seed: SeedPlan): Promise<void> {
  removeVenv(venvPath);
  const args = ['-m', 'venv', ...(seed.mode === 'fast' ? ['--without-pip'] : []), venvPath];
  try {
    await execCommand(python.executable, args, { kind: 'install' });
  } catch (error) {
    rmSync(venvPath, { recursive: true, force: true });
    throw new ActionError(
      `Creating the virtualenv at ${venvPath} with ${python.executable} failed: ${(error as Error).message}\n` +
        `On Debian/Ubuntu system Pythons, install the venv module first (apt-packages: python3-venv).`
    );
  }
}

/** pip into the venv when it has none (uv's exact sync removes what its lock does not list). */
async function ensurePip(plan: VenvPlan): Promise<void> {
  if (existsSync(path.join(plan.venvPath, 'bin', 'pip'))) return;
  const seed = await planSeed(plan.python);
  if (seed.mode === 'fast' && seed.pipWheel) {
    await seedPip(plan.python.executable, venvPython(plan.venvPath), seed.pipWheel);
  } else {
    await execCommand(venvPython(plan.venvPath), ['-m', 'ensurepip', '--default-pip'], {
      kind: 'install'
    });
  }
}

async function installWithPip(plan: VenvPlan, seed?: SeedPlan): Promise<void> {
  const { source } = plan;
  const specs = source.pyproject ? pyprojectSpecs(source.pyproject) : [];
  if (source.requirementFiles.length === 0 && !source.pyproject) {
    core.warning(
      `No requirements file found in ${plan.projectDir}: nothing was installed into the virtualenv. Add requirements.txt (or a lock file: uv.lock, poetry.lock, Pipfile.lock), or set '${Inputs.RequirementsFile}'.`
    );
  }
  const fast = seed?.mode === 'fast' && seed.pipWheel !== undefined;
  const work = source.requirementFiles.length > 0 || specs.length > 0;
  if (plan.installer === 'uv' && (work || fast)) {
    const options = {
      python: plan.python,
      toolsDir: plan.toolsDir,
      toolVersion: plan.toolVersions?.uv,
      cacheTools: plan.cacheTools
    };
    const base = { venvPath: plan.venvPath, cwd: plan.projectDir };
    const prepared = await prepareUv(options, plan.projectDir);
    // pip's wheel in a run of its own, as with pip: a hash-pinned file admits nothing unhashed.
    if (fast && seed.pipWheel)
      await uvPipInstall(
        { ...base, files: [], specs: [], extra: [seed.pipWheel] },
        options,
        prepared
      );
    if (work)
      await uvPipInstall(
        { ...base, files: source.requirementFiles, specs, extra: [] },
        options,
        prepared
      );
    return;
  }
  // pip first, in a run of its own (see seedPip); the user's files then get a run to themselves.
  if (fast && seed.pipWheel)
    await seedPip(plan.python.executable, venvPython(plan.venvPath), seed.pipWheel);
  if (work) {
    await pipInstallRequirements({
      venvPath: plan.venvPath,
      files: source.requirementFiles,
      specs,
      cwd: plan.projectDir,
      extra: plan.pipArgs ?? []
    });
  }
}

async function install(plan: VenvPlan, seed?: SeedPlan): Promise<void> {
  // The marker goes first and comes back last: an interrupted install is never reused.
  removeMarker(plan.venvPath);
  const { source } = plan;
  if (source.manager === 'pip') {
    await installWithPip(plan, seed);
  } else {
    // pip first: the server install and the artifact use the venv's pip afterwards.
    if (seed?.mode === 'fast') await ensurePip(plan);
    await lockManager(source.manager).install({
      source,
      venvPath: plan.venvPath,
      python: plan.python,
      toolsDir: plan.toolsDir,
      toolVersion: plan.toolVersions?.[source.manager],
      cacheTools: plan.cacheTools
    });
    await ensurePip(plan);
  }
  writeMarker(plan.venvPath, {
    pythonVersion: plan.python.version,
    pythonExecutable: plan.python.executable,
    packageManager: source.manager,
    dependencyHash: plan.dependencyHash
  });
}

/**
 * Installs into the existing venv exactly as a cold build installs into a new one (the same
 * command, pip's wheel included): the second half of bringing a restored venv to new
 * requirements (bump.ts), after what no longer belongs was uninstalled.
 */
export async function installAsCold(plan: VenvPlan): Promise<void> {
  await install(plan, await planSeed(plan.python));
}

async function build(plan: VenvPlan): Promise<void> {
  const seed = await planSeed(plan.python);
  if (seed.mode === 'ensurepip')
    core.info(`Creating the virtualenv with ensurepip (slower): ${seed.reason}.`);
  await createVenv(plan.python, plan.venvPath, seed);
  await install(plan, seed);
}

/** Why the venv at the plan's path cannot be reused as is; undefined when it can. */
async function checkExistingVenv(plan: VenvPlan): Promise<string | undefined> {
  const check = inspectVenv(plan.venvPath, plan.python);
  if (!check.usable) return check.reason;
  const probe = await probeVenv(plan.venvPath, plan.python, []);
  return probe.usable ? undefined : probe.reason;
}

export async function prepareVenv(plan: VenvPlan): Promise<VenvResult> {
  const result = (action: VenvResult['action'], rebuildReason?: string): VenvResult => ({
    venvPath: plan.venvPath,
    python: venvPython(plan.venvPath),
    action,
    rebuildReason,
    packageManager: plan.source.manager
  });
  if (existsSync(plan.venvPath)) {
    const reason = await checkExistingVenv(plan);
    if (reason === undefined) {
      if (readMarker(plan.venvPath)?.dependencyHash === plan.dependencyHash)
        return result('reused');
      await install(plan);
      return result('updated');
    }
    core.notice(`Rebuilding the virtualenv at ${plan.venvPath}: ${reason}.`);
    await build(plan);
    return result('created', reason);
  }
  await build(plan);
  return result('created');
}
