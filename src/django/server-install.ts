// Installs gunicorn or uvicorn into the venv with pip (checking 'server-version'), unless a satisfying version is there.
import * as core from '@actions/core';
import * as pep440 from '@renovatebot/pep440';
import { execCommand, ExecError } from '../exec.js';
import { ActionError, tail } from '../errors.js';
import { explainPipFailure } from '../venv/managers/pip.js';
import {
  checkServerVersion,
  serverSpecifier,
  SERVER_KINDS,
  type ServerKind
} from '../vocabulary/server.js';

export { checkServerVersion, isValidServerVersion, serverSpecifier } from '../vocabulary/server.js';

/** Whether an installed version satisfies `server-version` as pip reads it (zero padding, `X.*`). */
export function versionSatisfies(installed: string, wanted: string): boolean {
  const version = pep440.clean(installed.trim());
  return version !== null && pep440.satisfies(version, serverSpecifier(wanted));
}

/** Whether a version's release is at least `minimum` (`25.1.0` ≥ [25, 1]; prereleases by their release). */
export function versionAtLeast(version: string, minimum: number[]): boolean {
  const release = pep440.explain(pep440.clean(version.trim()))?.base_version;
  return release !== undefined && pep440.gte(release, minimum.join('.'));
}

const VERSION_PROBE = [
  'import importlib.metadata as m, json, sys',
  'try:',
  '    v = m.version(sys.argv[1])',
  'except m.PackageNotFoundError:',
  '    v = None',
  'print(json.dumps(v))'
].join('\n');

/** The installed version of a distribution in the venv, or null. */
export async function installedVersion(
  venvPython: string,
  distribution: string,
  env?: Record<string, string | undefined>
): Promise<string | null> {
  const result = await execCommand(venvPython, ['-c', VERSION_PROBE, distribution], { env });
  return JSON.parse(result.stdout.trim()) as string | null;
}

export interface ServerInstall {
  /** false when a satisfying version was already in the venv. */
  installed: boolean;
  version: string;
}

export interface InstallServerOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Installs gunicorn or uvicorn into the venv with pip, unless a satisfying version is there. */
export async function installServer(
  venvPython: string,
  kind: ServerKind,
  version?: string,
  options: InstallServerOptions = {}
): Promise<ServerInstall> {
  if (!SERVER_KINDS.includes(kind)) {
    throw new ActionError(`'server' is '${kind}': use none, ${SERVER_KINDS.join(' or ')}.`);
  }
  const wanted = version?.trim() || undefined;
  if (wanted) checkServerVersion(wanted);
  const present = await installedVersion(venvPython, kind, options.env);
  if (present && (!wanted || versionSatisfies(present, wanted))) {
    core.info(`${kind} ${present} is already installed in the venv.`);
    return { installed: false, version: present };
  }
  const requirement = wanted ? `${kind}${serverSpecifier(wanted)}` : kind;
  try {
    const result = await execCommand(
      venvPython,
      ['-m', 'pip', 'install', '--disable-pip-version-check', requirement],
      { env: options.env, cwd: options.cwd }
    );
    core.startGroup(`pip install ${requirement}`);
    core.info(`${result.stdout}${result.stderr}`.trimEnd());
    core.endGroup();
  } catch (error) {
    if (!(error instanceof ExecError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    const reason = explainPipFailure(output) ?? `pip exited with code ${error.result.exitCode}.`;
    const fix = wanted ? ` Check 'server-version' (${wanted}).` : '';
    throw new ActionError(
      `Installing ${requirement} into the venv failed: ${reason}${fix}\n--- pip output (last lines) ---\n${tail(output, 20)}`
    );
  }
  const now = await installedVersion(venvPython, kind, options.env);
  if (!now)
    throw new ActionError(`pip installed ${requirement}, but the venv does not list ${kind}.`);
  return { installed: true, version: now };
}
