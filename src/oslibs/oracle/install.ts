// Installs Oracle Instant Client into the tool cache (from it, the actions cache or a verified download).
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheClient, cacheServiceAvailable, toolCacheClient } from '../../cache/client.js';
import { saveConfirmed } from '../../cache/save.js';
import { cleanUpOnExit } from '../../cleanup.js';
import { ActionError, errorMessage } from '../../errors.js';
import { execCommand } from '../../exec.js';
import { prependLibraryPath } from '../../library-path.js';
import { displayUrl, requestFor } from '../../url.js';
import type { Platform } from '../../platform.js';
import {
  aptAvailable,
  installAptPackages,
  libaioPackages,
  type AptOptions,
  type ExecFn
} from '../apt.js';
import {
  ORACLE_INPUTS,
  resolveOracleRelease,
  tableSha256,
  type OracleComponent,
  type OracleDownload
} from './versions.js';
import { checkInstantClientEntries, listZipEntries } from './zip.js';

export const ORACLE_TOOL_NAME = 'oracle-instantclient';
export const LOADER_CONF = '/etc/ld.so.conf.d/oracle-instantclient.conf';
/** Written inside the client directory: what was installed, to decide reuse. */
const MANIFEST = '.setup-django-oracle.json';
const MANIFEST_FORMAT = 1;

export interface OracleInstallOptions {
  /** `latest` or a version (`23.8`, `19.30`, `23.8.0.25.04`). */
  spec: string;
  /** Default `['basic']`; see parseOracleComponents. */
  components?: OracleComponent[];
  platform: Platform;
  /** Base URL replacing Oracle's (`oracle-instant-client-url`). */
  mirror?: string;
  /** `oracle-instant-client-sha256`, parsed. */
  sha256Overrides?: Partial<Record<OracleComponent, string>>;
  /** Default `$RUNNER_TOOL_CACHE`. */
  toolCacheDir?: string;
  /** Where downloads go; default `$RUNNER_TEMP`, else the OS temp dir. */
  tempDir?: string;
  /** Try `@actions/cache` before downloading (default true; skipped when no service). */
  actionsCache?: boolean;
  /** Install libaio with apt when missing (default true). */
  installLibaio?: boolean;
  /** Write `/etc/ld.so.conf.d/oracle-instantclient.conf` and run ldconfig where permitted (default true). */
  configureLoader?: boolean;
  /** Default LOADER_CONF; tests may point elsewhere. */
  loaderConfPath?: string;
  /** Directories searched for libaio.so.1 / libaio.so.1t64 (default: the multiarch dirs). */
  libDirs?: string[];
  /** Runs unzip, ldconfig and sudo; tests inject a spy. */
  exec?: ExecFn;
  /** Passed to the apt module for libaio (exec, isRoot). */
  apt?: AptOptions;
  /** Whether the process runs as root (default: `process.getuid() === 0`). */
  isRoot?: boolean;
}

/** What the post step needs to save the client to the actions cache (JSON-serialisable). */
export interface OracleCacheSave {
  key: string;
  path: string;
}

export interface OracleInstallResult {
  /** The client directory: what LD_LIBRARY_PATH must name. */
  path: string;
  /** Five-part version, or `latest`. */
  version: string;
  source: 'tool-cache' | 'actions-cache' | 'download';
  /** The libaio package(s) the client relies on, e.g. `libaio1t64`. */
  libaio: string;
  /** `<path>/libaio.so.1` when it was linked to the system's libaio.so.1t64. */
  libaioLink?: string;
  loaderConfigured: boolean;
  /** Every zip matched a published or pinned SHA-256. */
  verified: boolean;
  /** Set after a download: save it in the post step (see saveOracleClient). */
  cacheSave?: OracleCacheSave;
  durationMs: number;
}

interface Manifest {
  format: number;
  version: string;
  arch: string;
  dirName: string;
  zips: Partial<Record<OracleComponent, { url: string; sha256: string }>>;
}

/**
 * The environment later steps need: LD_LIBRARY_PATH with the client first (what cx_Oracle and
 * python-oracledb thick mode rely on; init_oracle_client(lib_dir=) is not meant for Linux).
 * Deliberately nothing else: ORACLE_HOME must not be set for Instant Client, and TNS_ADMIN
 * already defaults to <client>/network/admin in thick mode, while setting it would override a
 * TNS_ADMIN the user points at their own wallet or tnsnames.ora.
 */
export function oracleEnvironment(
  clientPath: string,
  env: NodeJS.ProcessEnv = process.env
): { LD_LIBRARY_PATH: string } {
  return prependLibraryPath(clientPath, env);
}

/** The actions-cache key: version, arch, components and a hash of what is downloaded. */
export function oracleCacheKey(downloads: OracleDownload[], arch: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify(downloads.map(d => [displayUrl(d.url), d.sha256 ?? 'unverified'])))
    .digest('hex')
    .slice(0, 16);
  const components = downloads.map(d => d.component).join('+');
  return `setup-django-oracle-${downloads[0].version}-${arch}-${components}-${hash}`;
}

export function oracleInstallDir(toolCacheDir: string, version: string, arch: string): string {
  return path.join(toolCacheDir, ORACLE_TOOL_NAME, version, arch);
}

function readManifest(dir: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    return manifest.format === MANIFEST_FORMAT ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an installed client holds every requested zip, with the expected checksums. */
function satisfies(dir: string, downloads: OracleDownload[]): boolean {
  const manifest = readManifest(dir);
  if (!manifest || manifest.version !== downloads[0].version) return false;
  return downloads.every(d => {
    const zip = manifest.zips[d.component];
    return zip !== undefined && (d.sha256 === undefined || zip.sha256 === d.sha256);
  });
}

function removeInstall(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.complete`, { force: true });
}

/** Drops the version and tool directories again when a failed install leaves them empty. */
function pruneEmptyParents(dir: string, toolCacheDir: string): void {
  for (
    let parent = path.dirname(dir);
    parent.startsWith(toolCacheDir) && parent !== toolCacheDir;
    parent = path.dirname(parent)
  ) {
    try {
      if (readdirSync(parent).length > 0) return;
      rmdirSync(parent);
    } catch {
      return;
    }
  }
}

function describeVerification(downloads: OracleDownload[], arch: string): boolean {
  for (const d of downloads) {
    const table = tableSha256(d, arch);
    if (d.sha256Source === 'input' && table && table !== d.sha256) {
      core.warning(
        `The ${ORACLE_INPUTS.sha256} pin for ${d.fileName} (${d.sha256}) differs from the checksum ` +
          `published for it (${table}); using the pin.`
      );
    }
  }
  const unverified = downloads.filter(d => !d.sha256);
  if (unverified.length === 0) return true;
  const what =
    downloads[0].version === 'latest'
      ? "Oracle's 'latest' permalink"
      : `version ${downloads[0].version}`;
  core.notice(
    `Oracle Instant Client ${what} cannot be verified: no published SHA-256 for ` +
      `${unverified.map(d => d.fileName).join(', ')}. Pin a version with known checksums, or give ` +
      `them in '${ORACLE_INPUTS.sha256}' (component=sha256).`,
    { title: 'Oracle Instant Client not verified' }
  );
  return false;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function downloadHint(
  d: OracleDownload,
  status: number | undefined,
  mirror: string | undefined
): string {
  if (status === 404 || status === 403) {
    return mirror
      ? `Check that the mirror '${displayUrl(mirror)}' holds ${d.fileName} (Oracle's file name).`
      : `Oracle removes older releases: pick a version it still lists, or serve the zip from a mirror through '${ORACLE_INPUTS.url}'.`;
  }
  if (status) return 'The server failed 3 times in a row; re-run the job later, or use a mirror.';
  return 'The connection failed or broke off 3 times in a row (refused, reset or a truncated download); re-run the job later, or use a mirror.';
}

interface Fetched {
  download: OracleDownload;
  file: string;
  sha256: string;
}

async function download(d: OracleDownload, dir: string, mirror?: string): Promise<Fetched> {
  const file = path.join(dir, d.fileName);
  const shown = displayUrl(d.url);
  core.info(`Downloading ${shown}`);
  try {
    const request = requestFor(d.url);
    await (await toolCacheClient()).downloadTool(request.url, file, request.authorization);
  } catch (error) {
    rmSync(file, { force: true });
    const { HTTPError } = await toolCacheClient();
    const status = error instanceof HTTPError ? error.httpStatusCode : undefined;
    const what = status ? `HTTP ${status}` : `connection error: ${errorMessage(error)}`;
    throw new ActionError(
      `Downloading the Oracle Instant Client ${d.component} zip from ${shown} failed (${what}). ` +
        `Nothing was installed. ${downloadHint(d, status, mirror)}`
    );
  }
  const actual = await sha256File(file);
  if (d.sha256 && actual !== d.sha256) {
    rmSync(file, { force: true });
    const from =
      d.sha256Source === 'input' ? `'${ORACLE_INPUTS.sha256}'` : 'the published checksum';
    throw new ActionError(
      `SHA-256 mismatch for ${d.fileName} downloaded from ${shown}: expected ${d.sha256} (${from}), ` +
        `got ${actual}. The download was deleted and nothing was installed. If you pinned the ` +
        `checksum, check it; otherwise the file was truncated, changed or tampered with.`
    );
  }
  if (!d.sha256) core.info(`${d.fileName}: SHA-256 ${actual} (not verified)`);
  return { download: d, file, sha256: actual };
}

async function unzip(exec: ExecFn, file: string, topDir: string, dest: string): Promise<void> {
  // Only the client directory: META-INF/ (Oracle's signature files) stays out of the install.
  const result = await exec('unzip', ['-q', '-o', file, `${topDir}/*`, '-d', dest], {
    allowFailure: true,
    kind: 'archive'
  }).catch((error: unknown) => {
    throw new ActionError(
      `Unpacking Oracle Instant Client needs unzip: ${errorMessage(error)} Add 'unzip' to 'apt-packages'.`
    );
  });
  // 1 means warnings only (e.g. timestamps); anything above is a failed extraction.
  if (result.exitCode > 1) {
    throw new ActionError(
      `unzip could not unpack ${path.basename(file)} (exit ${result.exitCode}):\n${result.stderr}`
    );
  }
}

/** Downloads, verifies and inspects every zip before anything touches the tool cache. */
async function fetchAll(
  downloads: OracleDownload[],
  work: string,
  mirror?: string
): Promise<{ fetched: Fetched[]; topDir: string }> {
  const fetched: Fetched[] = [];
  for (const d of downloads) {
    fetched.push(await download(d, work, mirror));
  }
  let topDir: string | undefined;
  for (const { download: d, file } of fetched) {
    const label = `${d.fileName} (${displayUrl(d.url)})`;
    const dir = checkInstantClientEntries(listZipEntries(file, label), label);
    if ((d.dirName && dir !== d.dirName) || (topDir && dir !== topDir)) {
      throw new ActionError(
        `${d.fileName} unpacks to ${dir}/, not ${d.dirName ?? topDir}/: the zips are of different ` +
          `versions. Nothing was installed; check '${ORACLE_INPUTS.url}' serves the requested version.`
      );
    }
    topDir = dir;
  }
  return { fetched, topDir: topDir as string };
}

/** Unpacks into a staging directory beside the target, then renames it into place. */
async function unpackInto(
  installDir: string,
  fetched: Fetched[],
  topDir: string,
  arch: string,
  exec: ExecFn
): Promise<void> {
  const staging = mkdtempSync(path.join(path.dirname(installDir), `.${arch}-staging-`));
  const dispose = cleanUpOnExit(() => rmSync(staging, { recursive: true, force: true }));
  try {
    for (const { file } of fetched) await unzip(exec, file, topDir, staging);
    const unpacked = path.join(staging, topDir);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: fetched[0].download.version,
      arch,
      dirName: topDir,
      zips: Object.fromEntries(
        fetched.map(f => [
          f.download.component,
          // Never the credentials a mirror URL may carry: the folder is cached and shared.
          { url: displayUrl(f.download.url), sha256: f.sha256 }
        ])
      )
    };
    writeFileSync(path.join(unpacked, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    removeInstall(installDir);
    renameSync(unpacked, installDir);
    writeFileSync(`${installDir}.complete`, '');
  } finally {
    rmSync(staging, { recursive: true, force: true });
    dispose();
  }
}

async function downloadAndInstall(
  downloads: OracleDownload[],
  installDir: string,
  options: OracleInstallOptions,
  toolCacheDir: string
): Promise<void> {
  const tempRoot = options.tempDir ?? process.env.RUNNER_TEMP ?? os.tmpdir();
  mkdirSync(tempRoot, { recursive: true });
  const work = mkdtempSync(path.join(tempRoot, 'setup-django-oracle-'));
  try {
    const { fetched, topDir } = await fetchAll(downloads, work, options.mirror);
    mkdirSync(path.dirname(installDir), { recursive: true });
    await unpackInto(
      installDir,
      fetched,
      topDir,
      options.platform.arch,
      options.exec ?? execCommand
    );
  } catch (error) {
    pruneEmptyParents(installDir, toolCacheDir);
    throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function restoreFromCache(
  installDir: string,
  key: string,
  downloads: OracleDownload[]
): Promise<boolean> {
  if (!cacheServiceAvailable()) return false;
  removeInstall(installDir);
  try {
    const cache = await cacheClient();
    const matched = await cache.restoreCache([installDir], key, [], {
      timeoutInMs: 10 * 60 * 1000
    });
    if (matched === key && satisfies(installDir, downloads)) {
      writeFileSync(`${installDir}.complete`, '');
      return true;
    }
  } catch (error) {
    core.warning(
      `Restoring Oracle Instant Client from the cache failed, downloading it instead: ${errorMessage(error)}`
    );
  }
  removeInstall(installDir);
  return false;
}

/** Saves a downloaded client to the actions cache, confirmed by a lookup; faults are warnings. Meant for the post step. */
export async function saveOracleClient(
  save: OracleCacheSave
): Promise<'saved' | 'exists' | 'skipped' | 'failed'> {
  if (!existsSync(`${save.path}.complete`) || !readManifest(save.path)) {
    core.info(`Oracle Instant Client at ${save.path} is not complete; not caching it.`);
    return 'skipped';
  }
  if (!cacheServiceAvailable()) {
    core.info('Not caching Oracle Instant Client: no cache service is configured for this runner.');
    return 'skipped';
  }
  const outcome = await saveConfirmed([save.path], save.key);
  if (outcome.status === 'saved') {
    core.info(`Saved Oracle Instant Client to the cache with key ${save.key}.`);
    return 'saved';
  }
  if (outcome.status === 'unconfirmed') {
    core.warning(
      `Saved Oracle Instant Client to the cache with key ${save.key}, but the lookup confirming the save failed (${outcome.message}).`
    );
    return 'saved';
  }
  if (outcome.status === 'exists') {
    core.info(
      `Oracle Instant Client is already cached under ${save.key} (another job saved it first).`
    );
    return 'exists';
  }
  core.warning(
    `Saving Oracle Instant Client to the cache (key ${save.key}) failed: ${outcome.message}. The next run downloads it again.`
  );
  return 'failed';
}

function defaultLibDirs(arch: string): string[] {
  const triplet = arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [`/usr/lib/${triplet}`, `/lib/${triplet}`, '/usr/lib64', '/usr/lib'];
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Ubuntu 24.04 / Debian 13 ship libaio.so.1t64 only, while the client asks for libaio.so.1: a
 * link inside the client directory bridges it without touching the system. Elsewhere a link
 * restored from a cache made on such a runner is removed again.
 */
export function linkLibaio(clientDir: string, libDirs: string[]): string | undefined {
  const link = path.join(clientDir, 'libaio.so.1');
  const hasSo1 = libDirs.some(dir => existsSync(path.join(dir, 'libaio.so.1')));
  const t64 = libDirs.map(dir => path.join(dir, 'libaio.so.1t64')).find(file => existsSync(file));
  if (isSymlink(link)) rmSync(link);
  if (hasSo1 || !t64) return undefined;
  symlinkSync(t64, link);
  return link;
}

async function ensureLibaio(options: OracleInstallOptions): Promise<string> {
  const packages = libaioPackages(options.platform);
  if (options.installLibaio === false) return packages.join(' ');
  if (!aptAvailable(options.platform, options.apt?.searchPath)) {
    core.warning(
      `Oracle Instant Client needs libaio; this runner has no apt-get, so install it with the ` +
        `platform's package manager if the client fails to load (libaio.so.1).`
    );
    return packages.join(' ');
  }
  try {
    await installAptPackages(
      packages.map(name => ({ name })),
      options.platform,
      options.apt
    );
  } catch (error) {
    throw new ActionError(
      `Oracle Instant Client needs ${packages.join(' ')}, which could not be installed: ${errorMessage(error)}`
    );
  }
  return packages.join(' ');
}

async function canSudo(exec: ExecFn): Promise<boolean> {
  const result = await exec('sudo', ['-n', 'true'], { allowFailure: true }).catch(() => undefined);
  return result?.exitCode === 0;
}

/** Registers the client with the dynamic loader where permitted; false (with a note) otherwise. */
async function configureLoader(
  clientDir: string,
  options: OracleInstallOptions,
  reused: boolean
): Promise<boolean> {
  if (options.configureLoader === false) return false;
  const exec = options.exec ?? execCommand;
  const conf = options.loaderConfPath ?? LOADER_CONF;
  // A reused client already registered: ldconfig's cache is current, spare the second it takes.
  if (reused && readText(conf) === `${clientDir}\n`) return true;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  try {
    if (isRoot) {
      mkdirSync(path.dirname(conf), { recursive: true });
      writeFileSync(conf, `${clientDir}\n`);
      await exec('ldconfig', []);
      return true;
    }
    if (!(await canSudo(exec))) {
      core.info('No root or passwordless sudo: the client is found through LD_LIBRARY_PATH only.');
      return false;
    }
    const temp = path.join(
      options.tempDir ?? os.tmpdir(),
      `oracle-instantclient-${process.pid}.conf`
    );
    writeFileSync(temp, `${clientDir}\n`);
    try {
      await exec('sudo', ['-n', 'install', '-m', '644', temp, conf]);
    } finally {
      rmSync(temp, { force: true });
    }
    await exec('sudo', ['-n', 'ldconfig']);
    return true;
  } catch (error) {
    core.warning(
      `Could not register Oracle Instant Client with ldconfig (${errorMessage(error)}); later steps rely on LD_LIBRARY_PATH.`
    );
    return false;
  }
}

function resolveToolCache(options: OracleInstallOptions): string {
  const dir = options.toolCacheDir ?? process.env.RUNNER_TOOL_CACHE;
  if (!dir) {
    throw new ActionError(
      'RUNNER_TOOL_CACHE is not set: Oracle Instant Client is installed into the runner tool cache. Run the action on a GitHub Actions runner (or set RUNNER_TOOL_CACHE).'
    );
  }
  return path.resolve(dir);
}

async function obtain(
  downloads: OracleDownload[],
  installDir: string,
  options: OracleInstallOptions,
  toolCacheDir: string
): Promise<{ source: OracleInstallResult['source']; cacheSave?: OracleCacheSave }> {
  const pinned = downloads[0].version !== 'latest';
  // `latest` changes under the same name: never reuse it, always fetch what Oracle serves now.
  if (pinned && existsSync(`${installDir}.complete`) && satisfies(installDir, downloads)) {
    return { source: 'tool-cache' };
  }
  const key = oracleCacheKey(downloads, options.platform.arch);
  // `cache: false` restores nothing and saves nothing, the client included.
  const useCache = pinned && options.actionsCache !== false;
  if (useCache && (await restoreFromCache(installDir, key, downloads))) {
    return { source: 'actions-cache' };
  }
  await downloadAndInstall(downloads, installDir, options, toolCacheDir);
  return { source: 'download', ...(useCache ? { cacheSave: { key, path: installDir } } : {}) };
}

/**
 * Installs Oracle Instant Client into `$RUNNER_TOOL_CACHE/oracle-instantclient/<version>/<arch>`:
 * reused when complete, else restored from the actions cache, else downloaded, verified against
 * its SHA-256 and unpacked (refusing entries outside the client directory). Then libaio, the
 * Ubuntu 24.04 libaio.so.1 link and the loader configuration. The actions-cache save is left to
 * the caller's post step (`cacheSave`, see saveOracleClient).
 */
export async function installOracleClient(
  options: OracleInstallOptions
): Promise<OracleInstallResult> {
  const started = Date.now();
  if (options.platform.os !== 'linux') {
    throw new ActionError(
      `Input '${ORACLE_INPUTS.version}' installs the Linux Instant Client; this runner is ${options.platform.os}. Leave it empty here.`
    );
  }
  const downloads = resolveOracleRelease(
    options.spec,
    options.components ?? ['basic'],
    options.platform.arch,
    {
      mirror: options.mirror,
      sha256Overrides: options.sha256Overrides
    }
  );
  const verified = describeVerification(downloads, options.platform.arch);
  const toolCacheDir = resolveToolCache(options);
  const installDir = oracleInstallDir(toolCacheDir, downloads[0].version, options.platform.arch);
  const { source, cacheSave } = await obtain(downloads, installDir, options, toolCacheDir);
  const libaio = await ensureLibaio(options);
  const libaioLink = linkLibaio(
    installDir,
    options.libDirs ?? defaultLibDirs(options.platform.arch)
  );
  const loaderConfigured = await configureLoader(
    installDir,
    options,
    source === 'tool-cache' && !libaioLink
  );
  const version = readManifest(installDir)?.version ?? downloads[0].version;
  // The decision line (version, source, verified, path) is logged by main (src/decisions.ts).
  return {
    path: installDir,
    version,
    source,
    libaio,
    ...(libaioLink ? { libaioLink } : {}),
    loaderConfigured,
    verified,
    ...(cacheSave ? { cacheSave } : {}),
    durationMs: Date.now() - started
  };
}
