// A dependency bump is nearly warm: on an exact-key miss the newest venv of the same platform,
// Python, manager and installer is restored (restore-keys prefix), validated, and brought to
// exactly what a cold build of the new requirements holds: what no longer belongs is
// uninstalled, then the cold build's own install command runs into it (pip resolves against
// what is left, so only what changed is installed), and the result is checked against the set
// a cold build resolves. pip has no sync, so that set comes from `pip install --dry-run
// --report` (uv: `uv pip install --dry-run` into an empty venv); uv.lock projects sync exactly
// by themselves (`uv sync --locked`). poetry.lock and Pipfile.lock projects build from scratch
// on a changed lock: pipenv's sync removes nothing, and poetry's sync is not tested here yet.
import * as core from '@actions/core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionError, errorMessage, tail } from '../errors.js';
import { execCommand, ExecError } from '../exec.js';
import { venvPython } from './inspect.js';
import { removeMarker } from './marker.js';
import { pipInstallCommand, pyprojectSpecs } from './managers/pip.js';
import type { PackageManagerName } from './managers/types.js';
import { prepareUv, uvPipInstallCommand } from './managers/uv-pip.js';
import { uvEnv } from './managers/uv.js';
import { installAsCold, prepareVenv, type VenvPlan, type VenvResult } from './prepare.js';
import { planSeed, type SeedPlan } from './seed.js';

/** Normalized distribution name (PEP 503) → version. */
export type Distributions = Record<string, string>;

export interface DistributionChanges {
  /** `name version` */
  added: string[];
  /** `name old → new` */
  upgraded: string[];
  /** `name version` */
  removed: string[];
}

/** Whether a restored older venv can be brought to exactly the new set by this manager. */
export function supportsBump(manager: PackageManagerName): boolean {
  return manager === 'pip' || manager === 'uv';
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

const LIST_DISTRIBUTIONS =
  'import importlib.metadata as m, json; ' +
  'print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions() if d.metadata["Name"]}))';

/** The distributions installed in the venv. */
export async function listDistributions(venvPath: string): Promise<Distributions> {
  const result = await execCommand(venvPython(venvPath), ['-I', '-c', LIST_DISTRIBUTIONS], {
    kind: 'probe'
  });
  const raw = JSON.parse(result.stdout.trim()) as Record<string, string>;
  return Object.fromEntries(Object.entries(raw).map(([name, v]) => [normalizeName(name), v]));
}

/** What changed from `before` to `after`, each list sorted by name. */
export function diffDistributions(
  before: Distributions,
  after: Distributions
): DistributionChanges {
  const changes: DistributionChanges = { added: [], upgraded: [], removed: [] };
  for (const name of Object.keys(after).sort()) {
    if (!(name in before)) changes.added.push(`${name} ${after[name]}`);
    else if (before[name] !== after[name])
      changes.upgraded.push(`${name} ${before[name]} → ${after[name]}`);
  }
  for (const name of Object.keys(before).sort())
    if (!(name in after)) changes.removed.push(`${name} ${before[name]}`);
  return changes;
}

export function describeChanges(changes: DistributionChanges): string {
  const parts = [
    changes.added.length ? `added ${changes.added.join(', ')}` : '',
    changes.upgraded.length ? `upgraded ${changes.upgraded.join(', ')}` : '',
    changes.removed.length ? `removed ${changes.removed.join(', ')}` : ''
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'no distribution changed';
}

/** The set in pip's `--report` JSON (`install[].metadata`). */
export function parsePipReport(json: string): Distributions {
  const report = JSON.parse(json) as {
    install?: { metadata?: { name?: string; version?: string } }[];
  };
  const set: Distributions = {};
  for (const item of report.install ?? []) {
    if (item.metadata?.name && item.metadata.version)
      set[normalizeName(item.metadata.name)] = item.metadata.version;
  }
  return set;
}

/** The set in `uv pip install --dry-run` output into an empty venv: ` + name==version` lines. */
export function parseUvDryRun(output: string): Distributions {
  const set: Distributions = {};
  for (const match of output.matchAll(/^\s*\+\s+([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)/gm))
    set[normalizeName(match[1])] = match[2];
  return set;
}

/**
 * What to uninstall before the install: what the new set does not hold, and what it holds at
 * another version (the install then brings the version a cold build resolves). `keep` are
 * names a cold build has without the requirements asking (ensurepip's seed).
 */
export function plannedRemovals(
  installed: Distributions,
  target: Distributions,
  keep: string[] = []
): string[] {
  return Object.keys(installed)
    .filter(name => !keep.includes(name) && target[name] !== installed[name])
    .sort();
}

/** ensurepip's seed stays when a venv was made with ensurepip: a cold build has it too. */
function seedKeep(seed: SeedPlan): string[] {
  return seed.mode === 'fast' ? [] : ['pip', 'setuptools'];
}

function describeExecFailure(error: unknown): string {
  if (error instanceof ExecError)
    return `${path.basename(error.result.command)} exited with code ${error.result.exitCode}: ${tail(`${error.result.stdout}\n${error.result.stderr}`, 8)}`;
  return errorMessage(error);
}

function pipSpecs(plan: VenvPlan): { files: string[]; specs: string[] } {
  const { source } = plan;
  return {
    files: source.requirementFiles,
    specs: source.pyproject ? pyprojectSpecs(source.pyproject) : []
  };
}

/** The set a cold pip build of the plan installs (`pip install --dry-run --ignore-installed --report`). */
async function pipTarget(plan: VenvPlan, seed: SeedPlan, temp: string): Promise<Distributions> {
  // The restored venv has its pip (seeded in a run of its own, as a cold build does): the dry
  // run resolves the user's requirements alone, so a hash-pinned file is checked as it is.
  const { command, args } = pipInstallCommand({
    venvPath: plan.venvPath,
    ...pipSpecs(plan),
    cwd: plan.projectDir
  });
  const report = path.join(temp, 'report.json');
  await execCommand(
    command,
    [...args, '--dry-run', '--ignore-installed', '--quiet', '--report', report],
    { cwd: plan.projectDir, kind: 'install' }
  );
  const target = parsePipReport(readFileSync(report, 'utf8'));
  const seeded = seed.mode === 'fast' ? seedVersion(seed.pipWheel) : undefined;
  if (seeded && !target.pip) target.pip = seeded;
  return target;
}

/** The pip version a seed wheel installs (`pip-23.2.1-py3-none-any.whl` gives 23.2.1). */
function seedVersion(wheel: string | undefined): string | undefined {
  return wheel ? /^pip-([^-]+)-/.exec(path.basename(wheel))?.[1] : undefined;
}

async function pipUninstall(plan: VenvPlan, seed: SeedPlan, names: string[]): Promise<void> {
  const args =
    seed.mode === 'fast'
      ? ['-m', 'pip', '--python', venvPython(plan.venvPath), 'uninstall', '-y', ...names]
      : ['-m', 'pip', 'uninstall', '-y', ...names];
  const command = seed.mode === 'fast' ? plan.python.executable : venvPython(plan.venvPath);
  await execCommand(command, [...args, '--disable-pip-version-check'], {
    cwd: plan.projectDir,
    kind: 'install'
  });
}

/** The set a cold uv build installs: `uv pip install --dry-run` into an empty venv. */
async function uvTarget(
  plan: VenvPlan,
  seed: SeedPlan,
  temp: string,
  prepared: Awaited<ReturnType<typeof prepareUv>>
): Promise<Distributions> {
  const empty = path.join(temp, 'empty-venv');
  await execCommand(plan.python.executable, ['-m', 'venv', '--without-pip', empty], {
    kind: 'install'
  });
  const command = uvPipInstallCommand(
    prepared.tool,
    {
      venvPath: empty,
      ...pipSpecs(plan),
      extra: [],
      cwd: plan.projectDir
    },
    prepared.index
  );
  const result = await execCommand(command.command, [...command.args, '--dry-run'], {
    cwd: plan.projectDir,
    env: command.env,
    kind: 'install'
  });
  const target = parseUvDryRun(`${result.stdout}\n${result.stderr}`);
  // pip's wheel goes in by a run of its own in a cold build (see installWithPip).
  const seeded = seed.mode === 'fast' ? seedVersion(seed.pipWheel) : undefined;
  if (seeded && !target.pip) target.pip = seeded;
  return target;
}

/**
 * Brings the restored venv to exactly the plan's requirements and writes the marker for them
 * (installAsCold does). Throws when the result differs from the set a cold build resolves.
 */
export async function bringToRequirements(plan: VenvPlan): Promise<DistributionChanges> {
  // No marker while the venv is between two requirement sets: an interruption is never reused.
  removeMarker(plan.venvPath);
  const before = await listDistributions(plan.venvPath);
  if (plan.source.manager !== 'pip') {
    // uv sync --locked removes what the lock does not list itself.
    await installAsCold(plan);
    return diffDistributions(before, await listDistributions(plan.venvPath));
  }
  const seed = await planSeed(plan.python);
  const keep = seedKeep(seed);
  const temp = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'setup-django-bump-'));
  try {
    let target: Distributions;
    if (plan.installer === 'uv') {
      const prepared = await prepareUv(
        {
          python: plan.python,
          toolsDir: plan.toolsDir,
          toolVersion: plan.toolVersions?.uv,
          cacheTools: plan.cacheTools
        },
        plan.projectDir
      );
      target = await uvTarget(plan, seed, temp, prepared);
      const removals = plannedRemovals(before, target, keep);
      if (removals.length > 0) {
        const uninstall = ['pip', 'uninstall', '--python', venvPython(plan.venvPath), ...removals];
        await execCommand(prepared.tool.executable, uninstall, {
          cwd: plan.projectDir,
          env: { ...uvEnv(plan.venvPath), ...prepared.index.env },
          kind: 'install'
        });
      }
    } else {
      target = await pipTarget(plan, seed, temp);
      const removals = plannedRemovals(before, target, keep);
      if (removals.length > 0) await pipUninstall(plan, seed, removals);
    }
    if (Object.keys(target).length === 0)
      throw new ActionError('the installer reported an empty set for the new requirements');
    await installAsCold(plan);
    const after = await listDistributions(plan.venvPath);
    const strip = (set: Distributions) =>
      Object.fromEntries(Object.entries(set).filter(([name]) => !keep.includes(name)));
    const extra = diffDistributions(strip(target), strip(after));
    if (extra.added.length || extra.upgraded.length || extra.removed.length) {
      throw new ActionError(
        `the venv does not hold what a fresh build resolves (${describeChanges(extra)} compared with a fresh build)`
      );
    }
    return diffDistributions(before, after);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

export interface BumpResult {
  venv: VenvResult;
  /** What the restored venv gained, changed and lost; undefined when it was rebuilt instead. */
  changes?: DistributionChanges;
}

/**
 * The restored venv of `matchedKey` brought to the plan's requirements; when that fails, a
 * warning and a build from scratch (the restored venv was this action's own restore).
 */
export async function bumpRestoredVenv(plan: VenvPlan, matchedKey: string): Promise<BumpResult> {
  core.info(
    `Restored ${matchedKey}, the newest venv of the same platform, Python, manager and installer: bringing it to the new requirements.`
  );
  try {
    const changes = await bringToRequirements(plan);
    core.info(`Dependency update from the restored venv: ${describeChanges(changes)}.`);
    return {
      venv: {
        venvPath: plan.venvPath,
        python: venvPython(plan.venvPath),
        action: 'updated',
        packageManager: plan.source.manager
      },
      changes
    };
  } catch (error) {
    const reason = describeExecFailure(error);
    core.warning(
      `Bringing the venv restored from ${matchedKey} to the new requirements failed (${reason}); building it from scratch.`
    );
    rmSync(plan.venvPath, { recursive: true, force: true });
    const venv = await prepareVenv(plan);
    return {
      venv: { ...venv, rebuildReason: `the restored older venv could not be updated: ${reason}` }
    };
  }
}
