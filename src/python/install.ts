// Downloads a Python build listed in the versions manifest and installs it into the tool cache.
import * as core from '@actions/core';
import {
  accessSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmdirSync,
  rmSync,
  statSync
} from 'node:fs';
import path from 'node:path';
import { toolCacheClient } from '../cache/client.js';
import { ActionError, errorMessage, tail } from '../errors.js';
import { ExecError, execCommand } from '../exec.js';
import type { Platform } from '../platform.js';
import {
  probeInterpreter,
  toolCacheExecutable,
  toolCacheInstallDir,
  toolCacheLibraryEnv,
  toolCacheVersions,
  type PythonInstall
} from './find.js';
import { displayUrl, requestFor } from '../url.js';
import {
  archiveUrl,
  authorizationFor,
  describeNoRelease,
  fetchManifest,
  manifestUrl,
  pickRelease,
  toPythonVersion,
  type PickedRelease,
  type ReleaseTarget
} from './manifest.js';
import { pickNewest, type VersionSpec } from '../vocabulary/python-spec.js';
import type { SpecSource } from './version-file.js';
import { Inputs } from '../constants.js';

export interface InstallPythonOptions {
  spec: VersionSpec;
  /** Where the spec came from, for messages. */
  source?: SpecSource;
  platform: Platform;
  /** `$RUNNER_TOOL_CACHE`; undefined when unset (an error that says so). */
  toolCacheDir: string | undefined;
  /** `python-mirror`: a base URL serving versions-manifest.json and the archives (or the manifest's URL). */
  mirror?: string;
  /** Sent to GitHub hosts only, for the rate limit. */
  token?: string;
  allowPrereleases?: boolean;
  /**
   * Consult the manifest even when the tool cache already holds a matching version, and use its
   * newest match (already cached or downloaded now).
   */
  checkLatest?: boolean;
  /** Where the download and the unpacked archive go (`$RUNNER_TEMP`); removed afterwards. */
  tempDir: string;
}

function fromWhere(source: SpecSource | undefined): string {
  return source ? ` (from ${source.source})` : '';
}

/** Checks `$RUNNER_TOOL_CACHE` before anything is fetched; the errors say where it looked. */
function checkToolCacheDir(
  toolCacheDir: string | undefined,
  spec: VersionSpec,
  source?: SpecSource
): string {
  const cannot = `Python '${spec.raw}'${fromWhere(source)} is not installed and cannot be downloaded`;
  if (!toolCacheDir) {
    throw new ActionError(
      `${cannot}: RUNNER_TOOL_CACHE is not set, so there is no tool cache to install into (setup-django looked for the environment variable RUNNER_TOOL_CACHE). ` +
        `On a self-hosted runner set it in the runner's .env file (for example RUNNER_TOOL_CACHE=/opt/hostedtoolcache), or install a matching Python before this step.`
    );
  }
  if (!path.isAbsolute(toolCacheDir)) {
    throw new ActionError(
      `${cannot}: RUNNER_TOOL_CACHE is '${toolCacheDir}', a relative path. Set it to an absolute directory (for example /opt/hostedtoolcache).`
    );
  }
  if (existsSync(toolCacheDir) && !statSync(toolCacheDir).isDirectory()) {
    throw new ActionError(
      `${cannot}: RUNNER_TOOL_CACHE is ${toolCacheDir}, which is not a directory.`
    );
  }
  return toolCacheDir;
}

/** Creates `<tool cache>/Python` and checks it is writable, before anything is downloaded. */
function prepareToolCache(toolCacheDir: string, spec: VersionSpec, source?: SpecSource): void {
  const root = path.join(toolCacheDir, 'Python');
  try {
    if (!existsSync(toolCacheDir)) {
      core.info(`The tool cache ${toolCacheDir} (RUNNER_TOOL_CACHE) does not exist; creating it.`);
    }
    mkdirSync(root, { recursive: true });
    accessSync(root, fsConstants.W_OK);
  } catch (error) {
    throw new ActionError(
      `Python '${spec.raw}'${fromWhere(source)} cannot be installed into the tool cache: ${root} (under RUNNER_TOOL_CACHE=${toolCacheDir}) ` +
        `is not writable (${errorMessage(error)}). Give the runner's user write access to it, or point RUNNER_TOOL_CACHE elsewhere.`
    );
  }
}

/** A complete tool-cache entry for exactly this version, if it starts. */
async function cachedInstall(
  toolCacheDir: string,
  version: string,
  arch: string
): Promise<PythonInstall | undefined> {
  const installDir = toolCacheInstallDir(toolCacheDir, version, arch);
  if (!existsSync(`${installDir}.complete`) || !existsSync(installDir)) return undefined;
  const probe = await probeInterpreter(
    toolCacheExecutable(toolCacheDir, version, arch),
    toolCacheLibraryEnv(installDir)
  );
  if (!probe) {
    core.warning(
      `Python ${version} in the tool cache (${installDir}) does not start; reinstalling it.`
    );
    return undefined;
  }
  return {
    version: probe.version,
    executable: probe.executable,
    origin: 'tool-cache',
    libraryPath: path.join(installDir, 'lib')
  };
}

/** Removes what a failed install left in the tool cache: the arch directory, its marker, empty parents. */
function removePartialInstall(toolCacheDir: string, version: string, arch: string): void {
  const installDir = toolCacheInstallDir(toolCacheDir, version, arch);
  rmSync(installDir, { recursive: true, force: true });
  rmSync(`${installDir}.complete`, { force: true });
  const versionDir = path.dirname(installDir);
  try {
    if (readdirSync(versionDir).length === 0) rmdirSync(versionDir);
  } catch {
    /* already gone */
  }
}

function archiveHint(status: number | undefined, url: string, mirror: string | undefined): string {
  if (status === 404) {
    return mirror
      ? `Check that the mirror holds the archive under the name the manifest gives (${path.basename(new URL(url).pathname)}).`
      : 'The manifest lists an archive that is not there; re-run later, or serve it from a mirror (python-mirror).';
  }
  if (status === 403 || status === 429) {
    return `The server refused it, probably GitHub's rate limit: pass a token in '${Inputs.Token}', or use a mirror (${Inputs.PythonMirror}).`;
  }
  if (status) return 'The server failed 3 times in a row; re-run the job later, or use a mirror.';
  return 'The connection failed or broke off 3 times in a row (refused, reset or a truncated download); re-run the job later, or use a mirror.';
}

async function downloadArchive(
  url: string,
  file: string,
  token: string | undefined,
  mirror: string | undefined
): Promise<void> {
  const tc = await toolCacheClient();
  core.info(`Downloading ${displayUrl(url)}`);
  try {
    const request = requestFor(url);
    await tc.downloadTool(
      request.url,
      file,
      request.authorization ?? authorizationFor(request.url, token)
    );
  } catch (error) {
    rmSync(file, { force: true });
    const status = error instanceof tc.HTTPError ? error.httpStatusCode : undefined;
    const what = status ? `HTTP ${status}` : `connection error: ${errorMessage(error)}`;
    throw new ActionError(
      `Downloading Python from ${displayUrl(url)} failed (${what}). Nothing was installed. ${archiveHint(status, url, mirror)}`
    );
  }
}

/** An archive entry that would land outside the folder it is unpacked into. */
function escapingEntry(names: string[]): string | undefined {
  return names.find(name => path.isAbsolute(name) || name.split('/').includes('..'));
}

async function extractArchive(file: string, dest: string, url: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  // Listed first: an entry that climbs out of the folder refuses the whole archive.
  const listing = await execCommand('tar', ['-tzf', file], {
    allowFailure: true,
    kind: 'archive'
  });
  const escaping = listing.exitCode === 0 ? escapingEntry(listing.stdout.split('\n')) : undefined;
  if (escaping !== undefined) {
    throw new ActionError(
      `The Python archive from ${displayUrl(url)} contains an entry that would be written outside the folder it is unpacked into: '${escaping}'. Nothing was installed; check the mirror.`
    );
  }
  const result =
    listing.exitCode === 0
      ? await execCommand('tar', ['-xzf', file, '-C', dest], {
          allowFailure: true,
          kind: 'archive'
        })
      : listing;
  if (result.exitCode !== 0) {
    throw new ActionError(
      `The Python archive from ${displayUrl(url)} could not be unpacked (tar exit ${result.exitCode}): it is damaged or not a .tar.gz. Nothing was installed.\n${tail(result.stderr)}`
    );
  }
  if (!existsSync(path.join(dest, 'setup.sh'))) {
    throw new ActionError(
      `The Python archive from ${displayUrl(url)} has no setup.sh at its top level, so it is not an actions/python-versions build. Nothing was installed.`
    );
  }
}

/** Runs the archive's installer as setup-python does: `bash ./setup.sh` inside the unpacked archive. */
async function runInstaller(
  dir: string,
  toolCacheDir: string,
  picked: PickedRelease
): Promise<void> {
  const env = {
    RUNNER_TOOL_CACHE: toolCacheDir,
    // setup.sh prefers AGENT_TOOLSDIRECTORY (Azure Pipelines agents): it must not divert the install.
    AGENT_TOOLSDIRECTORY: undefined,
    ...toolCacheLibraryEnv(dir)
  };
  core.startGroup(`Installing Python ${picked.release.version} into ${toolCacheDir}`);
  try {
    await execCommand('bash', ['./setup.sh'], { cwd: dir, env, stream: true, kind: 'install' });
  } catch (error) {
    const detail = error instanceof ExecError ? error.message : errorMessage(error);
    throw new ActionError(
      `The installer of Python ${picked.release.version} (setup.sh from ${picked.file.filename}) failed; nothing was left in the tool cache.\n${detail}`
    );
  } finally {
    core.endGroup();
  }
}

/** Checks what the installer left: the marker, an interpreter that starts, the promised version. */
async function verifyInstall(
  toolCacheDir: string,
  picked: PickedRelease,
  arch: string
): Promise<PythonInstall> {
  const version = picked.release.version;
  const installDir = toolCacheInstallDir(toolCacheDir, version, arch);
  if (!existsSync(`${installDir}.complete`)) {
    throw new ActionError(
      `The installer of Python ${version} (setup.sh from ${picked.file.filename}) finished without writing ${installDir}.complete ` +
        `(it installs under RUNNER_TOOL_CACHE=${toolCacheDir}); the partial install was removed.`
    );
  }
  const executable = toolCacheExecutable(toolCacheDir, version, arch);
  const libEnv = toolCacheLibraryEnv(installDir);
  const probe = await probeInterpreter(executable, libEnv);
  if (!probe) {
    const run = await execCommand(executable, ['-c', 'import sys'], {
      allowFailure: true,
      env: libEnv
    }).catch((error: unknown) => ({ stderr: errorMessage(error), stdout: '' }));
    throw new ActionError(
      `Python ${version} was installed into ${installDir} but does not start (${tail(run.stderr || run.stdout, 5) || 'no output'}); the install was removed. ` +
        `The builds from actions/python-versions are made for Ubuntu ${picked.file.platform_version ?? ''}: a different distribution may lack their libraries.`
    );
  }
  const expected = toPythonVersion(version);
  if (probe.version !== expected) {
    throw new ActionError(
      `The archive ${picked.file.filename} was listed as Python ${version} but installed Python ${probe.version}; the install was removed. Check the manifest.`
    );
  }
  return {
    version: probe.version,
    executable: probe.executable,
    origin: 'download',
    libraryPath: path.join(installDir, 'lib')
  };
}

async function downloadAndInstall(
  picked: PickedRelease,
  fromManifest: string,
  toolCacheDir: string,
  options: InstallPythonOptions
): Promise<PythonInstall> {
  const { arch } = options.platform;
  const version = picked.release.version;
  const url = archiveUrl(picked.file, fromManifest);
  mkdirSync(options.tempDir, { recursive: true });
  const work = mkdtempSync(path.join(options.tempDir, 'setup-django-python-'));
  try {
    const archive = path.join(work, path.basename(picked.file.filename) || 'python.tar.gz');
    await downloadArchive(url, archive, options.token, options.mirror);
    const unpacked = path.join(work, 'unpacked');
    await extractArchive(archive, unpacked, url);
    rmSync(archive, { force: true });
    try {
      await runInstaller(unpacked, toolCacheDir, picked);
      const install = await verifyInstall(toolCacheDir, picked, arch);
      core.info(
        `Installed Python ${install.version} into ${toolCacheInstallDir(toolCacheDir, version, arch)}`
      );
      return install;
    } catch (error) {
      removePartialInstall(toolCacheDir, version, arch);
      throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Makes a Python matching the spec available from the tool cache: a complete entry already there
 * (unless checkLatest), else the newest matching build of the versions manifest for this OS
 * version and arch, downloaded and installed with its own setup.sh. Fails with what the manifest
 * offers when nothing matches; a failed install leaves no tool-cache entry behind.
 */
export async function installPython(options: InstallPythonOptions): Promise<PythonInstall> {
  const { spec, source, platform } = options;
  const toolCacheDir = checkToolCacheDir(options.toolCacheDir, spec, source);
  if (!options.checkLatest) {
    const cachedVersion = pickNewest(toolCacheVersions(toolCacheDir, platform.arch), spec);
    const cached =
      cachedVersion && (await cachedInstall(toolCacheDir, cachedVersion, platform.arch));
    if (cached) return cached;
  }
  if (platform.os !== 'linux') {
    throw new ActionError(
      `Python '${spec.raw}'${fromWhere(source)} is not installed, and setup-django downloads Python on Linux runners only (this is ${platform.os}). Install it with actions/setup-python before this step.`
    );
  }
  const url = manifestUrl(options.mirror);
  const manifest = await fetchManifest(url, options.token, options.tempDir);
  const target: ReleaseTarget = {
    platform: 'linux',
    platformVersion: platform.distroVersion,
    arch: platform.arch,
    allowPrereleases: options.allowPrereleases,
    distro: platform.distro
  };
  const picked = pickRelease(manifest, spec, target);
  if (!picked) {
    throw new ActionError(
      `No Python matching '${spec.raw}'${fromWhere(source)} is in the versions manifest ${displayUrl(url)} for ${platform.distro} ${platform.distroVersion} ${platform.arch}. ` +
        describeNoRelease(manifest, spec, target)
    );
  }
  const version = picked.release.version;
  const cached = await cachedInstall(toolCacheDir, version, platform.arch);
  if (cached) {
    core.info(`Python ${version}, the newest match in the manifest, is already in the tool cache.`);
    return cached;
  }
  prepareToolCache(toolCacheDir, spec, source);
  core.info(
    `Python ${version} (newest match for '${spec.raw}'${fromWhere(source)}) is not in the tool cache; installing it from the manifest.`
  );
  return downloadAndInstall(picked, url, toolCacheDir, options);
}
