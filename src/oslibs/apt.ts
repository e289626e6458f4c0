// Installs Debian/Ubuntu packages named by the user, skipping those already installed.
import * as core from '@actions/core';
import { ActionError, tail } from '../errors.js';
import { execCommand, type ExecOptions, type ExecResult } from '../exec.js';
import type { Platform } from '../platform.js';
import { Inputs } from '../constants.js';
import { findExecutable } from '../paths.js';
import { aptSpec, type AptPackage } from '../vocabulary/apt.js';

export { aptSpec, parseAptPackages, type AptPackage } from '../vocabulary/apt.js';

export interface AptInstallResult {
  /** Packages apt-get installed, as requested (`name` or `name=version`). */
  installed: string[];
  /** Packages already present (in the requested version when pinned). */
  skipped: string[];
  durationMs: number;
}

export type ExecFn = (
  command: string,
  args: string[],
  options?: ExecOptions
) => Promise<ExecResult>;

export interface AptOptions {
  /** Runs commands; tests inject a spy. Defaults to exec.ts. */
  exec?: ExecFn;
  /** Whether the process runs as root (default: `process.getuid() === 0`). */
  isRoot?: boolean;
  /** PATH searched for apt-get and dpkg-query (default: `process.env.PATH`). */
  searchPath?: string;
}

/**
 * The package providing `libaio.so.1` for Oracle Instant Client: Ubuntu 24.04 and Debian 13
 * renamed it `libaio1t64` (64-bit time_t transition), whose library is `libaio.so.1t64`.
 */
export function libaioPackages(platform: Platform): string[] {
  const [major, minor] = platform.distroVersion.split('.').map(part => Number.parseInt(part, 10));
  const version = (major || 0) + (minor || 0) / 100;
  if (platform.distro === 'ubuntu' && version >= 24.04) return ['libaio1t64'];
  if (platform.distro === 'debian' && version >= 13) return ['libaio1t64'];
  return ['libaio1'];
}

/** Whether dpkg has the package installed (in the pinned version, when there is one). */
export function isInstalled(dpkgOutput: string, pkg: AptPackage): boolean {
  return dpkgOutput
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .some(
      ([name, want, flag, status, version]) =>
        name === pkg.name &&
        `${want} ${flag} ${status}` === 'install ok installed' &&
        (pkg.version === undefined || version === pkg.version)
    );
}

async function queryInstalled(exec: ExecFn, packages: AptPackage[]): Promise<string> {
  // One call for all; exit 1 only means some names are unknown to dpkg.
  const result = await exec(
    'dpkg-query',
    ['-W', '--showformat=${Package} ${Status} ${Version}\n', ...packages.map(p => p.name)],
    { allowFailure: true }
  );
  return result.stdout;
}

/** Maps apt's "cannot find it" messages to an error naming the package. */
export function explainAptFailure(output: string, platform: Platform): string | undefined {
  const located = /Unable to locate package (\S+)/.exec(output);
  if (located) {
    return (
      `Input '${Inputs.AptPackages}': apt-get found no package '${located[1]}' on ` +
      `${platform.distro} ${platform.distroVersion} (after apt-get update). Check the spelling ` +
      `(apt-cache search <word>) and that the package exists for this release.`
    );
  }
  const version = /Version '([^']+)' for '([^']+)' was not found/.exec(output);
  if (version) {
    return (
      `Input '${Inputs.AptPackages}': version '${version[1]}' of '${version[2]}' is not available on ` +
      `${platform.distro} ${platform.distroVersion}. List the versions with apt-cache policy ${version[2]}.`
    );
  }
  const candidate = /Package '?([^' ]+)'? has no installation candidate/.exec(output);
  if (candidate) {
    return (
      `Input '${Inputs.AptPackages}': package '${candidate[1]}' has no installation candidate on ` +
      `${platform.distro} ${platform.distroVersion} (it is virtual or obsolete). Name a real package.`
    );
  }
  return undefined;
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };
// Hosted runners sometimes run unattended-upgrades at boot: wait for the lock instead of failing.
const LOCK_TIMEOUT = ['-o', 'DPkg::Lock::Timeout=120'];

function privileged(isRoot: boolean, command: string, args: string[]): [string, string[]] {
  // sudo resets the environment, so DEBIAN_FRONTEND travels through env(1), never a shell.
  if (isRoot) return [command, args];
  return ['sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', command, ...args]];
}

async function runApt(
  exec: ExecFn,
  isRoot: boolean,
  args: string[],
  platform: Platform
): Promise<void> {
  const [command, argv] = privileged(isRoot, 'apt-get', [...LOCK_TIMEOUT, ...args]);
  const result = await exec(command, argv, {
    env: APT_ENV,
    stream: true,
    allowFailure: true,
    kind: 'install'
  });
  if (result.exitCode === 0) return;
  const output = `${result.stdout}\n${result.stderr}`;
  const explained = explainAptFailure(output, platform);
  if (explained) throw new ActionError(explained);
  throw new ActionError(
    `apt-get ${args.join(' ')} failed with exit code ${result.exitCode}:\n${tail(output)}`
  );
}

/**
 * apt-get takes a name holding `.` or `+` that is no package's name as a regular expression
 * (`python3-dj.+` selects over a thousand packages) and `name+` as `name`: only names apt knows
 * literally may reach it. `apt-cache pkgnames` matches a literal prefix, never a regex.
 */
function mayBeRegex(name: string): boolean {
  return /[.+]/.test(name);
}

async function checkLiteralNames(
  exec: ExecFn,
  packages: AptPackage[],
  platform: Platform
): Promise<void> {
  for (const pkg of packages.filter(p => mayBeRegex(p.name))) {
    const result = await exec('apt-cache', ['--all-names', 'pkgnames', pkg.name], {
      allowFailure: true
    });
    if (!result.stdout.split('\n').some(line => line.trim() === pkg.name)) {
      throw new ActionError(
        `Input '${Inputs.AptPackages}': apt knows no package named exactly '${pkg.name}' on ` +
          `${platform.distro} ${platform.distroVersion} (after apt-get update). Names are taken ` +
          `literally, never as patterns ('.' and '+' are plain characters): name each package ` +
          `in full (apt-cache search <word> lists them).`
      );
    }
  }
}

async function checkSudo(exec: ExecFn): Promise<void> {
  const result = await exec('sudo', ['-n', 'true'], { allowFailure: true }).catch(() => undefined);
  if (result?.exitCode === 0) return;
  throw new ActionError(
    `Input '${Inputs.AptPackages}' needs root or passwordless sudo to run apt-get, and this runner ` +
      `has neither. Run the job as root (container jobs), allow passwordless sudo, or install ` +
      `the packages in the runner image and leave '${Inputs.AptPackages}' empty.`
  );
}

/** Whether this runner has apt-get and dpkg-query (Debian, Ubuntu and their derivatives). */
export function aptAvailable(platform: Platform, searchPath = process.env.PATH ?? ''): boolean {
  return (
    platform.os === 'linux' &&
    findExecutable('apt-get', searchPath) !== undefined &&
    findExecutable('dpkg-query', searchPath) !== undefined
  );
}

function checkAptPlatform(platform: Platform, searchPath: string): void {
  if (aptAvailable(platform, searchPath)) return;
  throw new ActionError(
    `Input '${Inputs.AptPackages}' needs a Debian or Ubuntu runner with apt-get, but this runner ` +
      `is ${platform.distro} ${platform.distroVersion} (${platform.os}) without apt-get. Install ` +
      `the libraries with the platform's own package manager in an earlier step instead.`
  );
}

// apt-get holds the dpkg lock: calls from concurrent phases (apt-packages, libaio) queue up.
let queue: Promise<unknown> = Promise.resolve();

function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

async function installNow(
  packages: AptPackage[],
  platform: Platform,
  options: AptOptions
): Promise<AptInstallResult> {
  const started = Date.now();
  const exec = options.exec ?? execCommand;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  checkAptPlatform(platform, options.searchPath ?? process.env.PATH ?? '');
  const status = await queryInstalled(exec, packages);
  const missing = packages.filter(pkg => !isInstalled(status, pkg));
  const skipped = packages.filter(pkg => !missing.includes(pkg)).map(aptSpec);
  if (skipped.length > 0) core.info(`Already installed: ${skipped.join(' ')}`);
  if (missing.length === 0) return { installed: [], skipped, durationMs: Date.now() - started };

  if (!isRoot) await checkSudo(exec);
  const specs = missing.map(aptSpec);
  core.info(`Installing with apt-get: ${specs.join(' ')}`);
  await runApt(exec, isRoot, ['update', '-qq'], platform);
  await checkLiteralNames(exec, missing, platform);
  await runApt(exec, isRoot, ['install', '-y', '--no-install-recommends', ...specs], platform);
  return { installed: specs, skipped, durationMs: Date.now() - started };
}

/**
 * Installs the packages missing from the runner: `apt-get update` only when something must be
 * installed, then `apt-get install -y --no-install-recommends`, non-interactive, through
 * `sudo -n` when not root. Calls from concurrent phases run one after the other.
 */
export function installAptPackages(
  packages: AptPackage[],
  platform: Platform,
  options: AptOptions = {}
): Promise<AptInstallResult> {
  if (packages.length === 0) return Promise.resolve({ installed: [], skipped: [], durationMs: 0 });
  return serialized(() => installNow(packages, platform, options));
}
