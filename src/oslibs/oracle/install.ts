// Installs Oracle Instant Client into the tool cache (from it, the actions cache or a verified download).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionError } from '../../errors.js';
import { execCommand } from '../../exec.js';
import type { Platform } from '../../platform.js';
import type { AptOptions, ExecFn } from '../apt.js';
import { oracleCacheKey, restoreFromCache, type OracleCacheSave } from './cache.js';
import { fetchAll } from './download.js';
import { configureLoader, defaultLibDirs, ensureLibaio, linkLibaio } from './loader.js';
import {
  isComplete,
  oracleInstallDir,
  pruneEmptyParents,
  readManifest,
  satisfies
} from './tool-cache.js';
import { unpackInto } from './unpack.js';
import { describeVerification } from './verify.js';
import {
  ORACLE_INPUTS,
  resolveOracleRelease,
  type OracleComponent,
  type OracleDownload
} from './versions.js';

// What other modules and the tests import from here.
export { oracleCacheKey, saveOracleClient, type OracleCacheSave } from './cache.js';
export { LOADER_CONF, linkLibaio, oracleEnvironment } from './loader.js';
export { ORACLE_TOOL_NAME, oracleInstallDir } from './tool-cache.js';

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
  if (pinned && isComplete(installDir) && satisfies(installDir, downloads)) {
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
