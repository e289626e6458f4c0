// Restores the venv from the actions cache on an exact key match; service faults become warnings.
import * as core from '@actions/core';
import { rmSync } from 'node:fs';
import { cleanUpOnExit } from '../cleanup.js';
import { errorMessage } from '../errors.js';
import { removeVenv } from '../venv/ownership.js';
import { cacheClient, cacheServiceAvailable } from './client.js';
import { matchesKeyPrefix } from './key.js';
import { removeShards, shardDirFor, unpackVenv } from './shards.js';

export type RestoreOutcome =
  | {
      status: 'hit';
      durationMs: number;
      bytes: number;
      /** The entry's key: `key` itself, or an older key of the restore prefix. */
      matchedKey: string;
    }
  | { status: 'miss'; durationMs: number }
  | { status: 'unavailable'; durationMs: 0 }
  | { status: 'error'; durationMs: number; message: string };

export { cacheServiceAvailable };

/**
 * Downloads the entry's shards next to the venv and unpacks them into `venvPath`: the entry of
 * `key`, else (given `restorePrefix`) the newest entry whose key is that prefix and a dependency
 * hash, as actions/cache's restore-keys pick it. Whatever sat
 * at `venvPath` is replaced first (a restore never merges into an older venv), and a restore
 * that fails half-way leaves nothing behind.
 */
export async function restoreVenv(
  venvPath: string,
  key: string,
  restorePrefix?: string
): Promise<RestoreOutcome> {
  if (!cacheServiceAvailable()) return { status: 'unavailable', durationMs: 0 };
  const started = Date.now();
  const shardDir = shardDirFor(venvPath);
  // Only a venv (or nothing) is replaced: a user's folder at venv-path fails the step here.
  removeVenv(venvPath);
  removeShards(shardDir);
  const dispose = cleanUpOnExit(() => removeShards(shardDir));
  try {
    const cache = await cacheClient();
    const matched = await cache.restoreCache(
      [shardDir],
      key,
      restorePrefix ? [restorePrefix] : [],
      {
        timeoutInMs: 10 * 60 * 1000
      }
    );
    const fallback =
      matched !== undefined &&
      restorePrefix !== undefined &&
      matchesKeyPrefix(matched, restorePrefix);
    if (matched !== key && !fallback) {
      // A miss, or a download the library gave up on (it warns itself).
      return { status: 'miss', durationMs: Date.now() - started };
    }
    const manifest = await unpackVenv(shardDir, venvPath);
    return {
      status: 'hit',
      durationMs: Date.now() - started,
      bytes: manifest.bytes,
      matchedKey: matched ?? key
    };
  } catch (error) {
    // What sits there now was unpacked by this restore into the emptied path.
    rmSync(venvPath, { recursive: true, force: true });
    const message = errorMessage(error);
    core.warning(`Restoring the virtualenv from the cache failed, building it instead: ${message}`);
    return { status: 'error', durationMs: Date.now() - started, message };
  } finally {
    removeShards(shardDir);
    dispose();
  }
}
