// The actions cache for the client: its key, the restore before a download and the post step's save.
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { cacheClient, cacheServiceAvailable } from '../../cache/client.js';
import { saveConfirmed } from '../../cache/save.js';
import { errorMessage } from '../../errors.js';
import { displayUrl } from '../../url.js';
import { isComplete, markComplete, readManifest, removeInstall, satisfies } from './tool-cache.js';
import type { OracleDownload } from './versions.js';

/** What the post step needs to save the client to the actions cache (JSON-serialisable). */
export interface OracleCacheSave {
  key: string;
  path: string;
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

/** Restores the client into installDir when the cache holds exactly what is asked; false otherwise. */
export async function restoreFromCache(
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
      markComplete(installDir);
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
  if (!isComplete(save.path) || !readManifest(save.path)) {
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
