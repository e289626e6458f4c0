// Finding a package manager's CLI (on PATH, else pip-installed into a tool venv of its own,
// never the app's venv) and running it against the app's venv.
import * as core from '@actions/core';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { findExecutable } from '../../paths.js';
import os from 'node:os';
import path from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import { cacheClient, cacheServiceAvailable } from '../../cache/client.js';
import { saveConfirmed } from '../../cache/save.js';
import { joinKey, platformSegments, pythonSegments, shortHash } from '../../cache/key.js';
import { State } from '../../constants.js';
import { execCommand, ExecError, type ExecResult } from '../../exec.js';
import { ActionError, errorMessage, tail } from '../../errors.js';
import { detectPlatform } from '../../platform.js';
import type { PythonInstall } from '../../python/find.js';
import { explainPipFailure } from './pip.js';
import type { ManagerCommand } from './types.js';

export interface ManagerTool {
  name: string;
  /** Absolute path of the executable. */
  executable: string;
  /** As reported by `<tool> --version`, e.g. 1.3.2; '' when it could not be read. */
  version: string;
  origin: 'PATH' | 'tool venv';
}

/** The first dotted version number in a `--version` banner ("Poetry (version 1.3.2)" → 1.3.2). */
export function parseToolVersion(output: string): string {
  return /(\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?)/i.exec(output)?.[1] ?? '';
}

/** Compares versions as PEP 440 orders them: -1, 0 or 1 (`1.10` > `1.6`, `2.0` = `2.0.0`). */
export function compareVersions(a: string, b: string): number {
  const [va, vb] = [pep440.clean(a), pep440.clean(b)];
  if (va === null || vb === null) return va === vb ? 0 : va === null ? -1 : 1;
  return Math.sign(pep440.compare(va, vb));
}

async function readVersion(executable: string): Promise<string> {
  const result = await execCommand(executable, ['--version'], {
    allowFailure: true,
    env: { PIPENV_VERBOSITY: '-1' },
    kind: 'probe'
  }).catch(() => undefined);
  return result ? parseToolVersion(`${result.stdout}\n${result.stderr}`) : '';
}

/** Where missing managers are installed: the tool cache when the runner has one, else temp. */
export function defaultToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.RUNNER_TOOL_CACHE || env.RUNNER_TEMP || os.tmpdir();
  return path.join(base, 'setup-django-tools');
}

const TOOL_COMPLETE = '.setup-django-tool-complete';

/** Whether `version` is the pin or in its series, as pip reads pinnedRequirement's specifier. */
export function matchesPin(version: string, pin: string): boolean {
  if (pin === '') return true;
  const normal = pep440.clean(version);
  return normal !== null && pep440.satisfies(normal, pinnedSpecifier(pin), { prereleases: true });
}

/** `==2.1.3` for a full pin, `==2.1.*` for a series. */
function pinnedSpecifier(pin: string): string {
  return pin.split('.').length >= 3 ? `==${pin}` : `==${pin}.*`;
}

/** The pip requirement for a pinned tool: `name==2.1.3`, `name==2.1.*` for a series. */
export function pinnedRequirement(name: string, pin: string): string {
  return pin === '' ? name : `${name}${pinnedSpecifier(pin)}`;
}

/**
 * The manager's CLI: the one on PATH (when it matches the pin), else pip-installs it into
 * `<toolsDir>/<name>-<pin|latest>-py<version>` with the resolved interpreter (the package index
 * settings, PIP_INDEX_URL and friends, pass through). Says which in the log.
 */
export async function locateTool(
  name: string,
  options: {
    python: PythonInstall;
    toolsDir: string;
    /** '' or undefined: any version. */
    version?: string;
    envPath?: string;
    /** Restore a pinned tool venv from the actions cache, and have the post step save it. */
    cache?: boolean;
  }
): Promise<ManagerTool> {
  const pin = options.version ?? '';
  const onPath = findExecutable(name, options.envPath ?? process.env.PATH ?? '');
  let why = `${name} is not on PATH`;
  if (onPath) {
    const version = await readVersion(onPath);
    if (matchesPin(version, pin)) {
      core.info(`Using ${name} ${version || '(version unknown)'} from ${onPath} (found on PATH).`);
      return { name, executable: onPath, version, origin: 'PATH' };
    }
    why = `${name} on PATH (${onPath}) is ${version || 'of an unknown version'}, not ${pin}`;
  }
  const requirement = pinnedRequirement(name, pin);
  const venv = path.join(
    options.toolsDir,
    `${name}-${pin || 'latest'}-py${options.python.version}`
  );
  const executable = path.join(venv, 'bin', name);
  const complete = (): boolean =>
    existsSync(path.join(venv, TOOL_COMPLETE)) && existsSync(executable);
  // Only a pinned version is cached: `latest` would be frozen at whatever was newest first.
  const cacheKey =
    options.cache && pin !== '' && cacheServiceAvailable()
      ? toolCacheKey(name, pin, options.python, venv)
      : undefined;
  if (!complete() && cacheKey && (await restoreTool(venv, cacheKey)) && complete()) {
    core.info(`Restored ${requirement} from the actions cache into ${venv}.`);
  } else if (!complete()) {
    core.info(
      `${why}: installing ${requirement} with pip into its own virtualenv ${venv} (not the app's venv).`
    );
    rmSync(venv, { recursive: true, force: true });
    try {
      await execCommand(options.python.executable, ['-m', 'venv', venv], { kind: 'install' });
      await execCommand(
        path.join(venv, 'bin', 'python'),
        ['-m', 'pip', 'install', '--disable-pip-version-check', requirement],
        { kind: 'install' }
      );
    } catch (error) {
      rmSync(venv, { recursive: true, force: true });
      const output =
        error instanceof ExecError
          ? `${error.result.stdout}\n${error.result.stderr}`
          : (error as Error).message;
      const reason = explainPipFailure(output) ?? 'pip failed.';
      throw new ActionError(
        `${why}, and installing ${requirement} into ${venv} failed: ${reason}\n` +
          `Install ${name} in an earlier step (for example 'pipx install ${requirement}'), or make it available on your package index.\n` +
          `--- output (last lines) ---\n${tail(output, 15)}`
      );
    }
    writeFileSync(path.join(venv, TOOL_COMPLETE), '');
    if (cacheKey)
      core.saveState(State.ToolCacheSave, JSON.stringify({ key: cacheKey, path: venv }));
  } else {
    core.info(`Using ${requirement} from its tool virtualenv ${venv}.`);
  }
  return { name, executable, version: await readVersion(executable), origin: 'tool venv' };
}

/**
 * The actions-cache key of a tool venv: the tool and its pin, the OS release and arch, the
 * interpreter (its path too: the venv links to it) and the venv's own path.
 */
function toolCacheKey(name: string, pin: string, python: PythonInstall, venvPath: string): string {
  return joinKey([
    'setup-django-tool-v1',
    ...platformSegments(detectPlatform()),
    `${name}${pin}`,
    ...pythonSegments(python),
    shortHash(venvPath)
  ]);
}

/** Restores a tool venv; a miss or a failing service leaves nothing behind (and says so). */
async function restoreTool(venv: string, key: string): Promise<boolean> {
  rmSync(venv, { recursive: true, force: true });
  try {
    const cache = await cacheClient();
    if ((await cache.restoreCache([venv], key)) === key) return true;
  } catch (error) {
    core.warning(
      `Restoring the ${path.basename(venv)} tool venv from the cache failed: ${errorMessage(error)}`
    );
  }
  rmSync(venv, { recursive: true, force: true });
  return false;
}

/** The post step: saves the tool venv the main step installed (key and path handed over). */
export async function saveToolVenv(raw: string): Promise<void> {
  let save: { key?: unknown; path?: unknown };
  try {
    save = JSON.parse(raw) as { key?: unknown; path?: unknown };
  } catch {
    return;
  }
  if (typeof save.key !== 'string' || typeof save.path !== 'string') return;
  if (!existsSync(path.join(save.path, TOOL_COMPLETE))) return;
  const saved = await saveConfirmed([save.path], save.key);
  if (saved.status === 'saved') {
    core.info(`Saved the tool venv ${save.path} to the cache with key ${save.key}.`);
  } else if (saved.status === 'unconfirmed') {
    core.warning(
      `Saved the tool venv ${save.path} to the cache with key ${save.key}, but the lookup confirming the save failed (${saved.message}).`
    );
  } else if (saved.status === 'exists') {
    core.info(`The tool venv ${save.path} is already cached under ${save.key}.`);
  } else {
    core.warning(`Could not save the tool venv ${save.path} to the cache: ${saved.message}`);
  }
}

/**
 * The environment a manager runs in: the app's venv active (VIRTUAL_ENV and first on PATH),
 * so that every manager installs into it rather than into an environment of its own.
 */
export function activeVenvEnv(
  venvPath: string,
  envPath: string = process.env.PATH ?? ''
): Record<string, string | undefined> {
  return {
    VIRTUAL_ENV: venvPath,
    PATH: [path.join(venvPath, 'bin'), envPath].filter(Boolean).join(path.delimiter),
    PYTHONHOME: undefined,
    CONDA_PREFIX: undefined
  };
}

/** Runs a manager command in the project directory; its output goes to a log group. */
export async function runManager(
  label: string,
  command: ManagerCommand,
  cwd: string,
  explain: (output: string) => string | undefined,
  failurePrefix: string
): Promise<ExecResult> {
  core.info(`[command]${[command.command, ...command.args].join(' ')}`);
  try {
    const result = await execCommand(command.command, command.args, {
      cwd,
      env: command.env,
      kind: 'install'
    });
    core.startGroup(label);
    if (result.stdout.trim()) core.info(result.stdout.trimEnd());
    if (result.stderr.trim()) core.info(result.stderr.trimEnd());
    core.endGroup();
    return result;
  } catch (error) {
    if (!(error instanceof ExecError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    const name = path.basename(command.command);
    const reason = explain(output) ?? `${name} exited with code ${error.result.exitCode}.`;
    throw new ActionError(
      `${failurePrefix}: ${reason}\n--- ${name} output (last lines) ---\n${tail(output, 25)}`
    );
  }
}
