// Saves the venv to the actions cache; a busy key or a failing service is reported, never fatal.
import * as core from '@actions/core';
import { errorMessage } from '../errors.js';
import { cacheClient } from './client.js';
import { packVenv, removeShards, shardDirFor } from './shards.js';

export type SaveOutcome =
  | { status: 'saved'; durationMs: number; bytes: number }
  | { status: 'exists'; durationMs: number }
  | { status: 'failed'; durationMs: number; message: string };

/** Whether the service now holds `key` (a lookup only, nothing is downloaded). */
async function entryExists(paths: string[], key: string): Promise<boolean> {
  const cache = await cacheClient();
  return cache
    .restoreCache(paths, key, [], { lookupOnly: true })
    .then(found => found === key)
    .catch(() => false);
}

/**
 * Packs the venv into shards (see shards.ts) and saves them under `key`. The library's return
 * value does not tell the truth in every case (a v1 upload that fails after the reservation
 * still returns the entry's id; v2 reservation failures are only logged as info), so the
 * outcome is confirmed with a lookup.
 */
export async function saveVenv(venvPath: string, key: string): Promise<SaveOutcome> {
  const started = Date.now();
  const shardDir = shardDirFor(venvPath);
  const paths = [shardDir];
  let id = -1;
  let bytes = 0;
  let thrown: string | undefined;
  try {
    bytes = (await packVenv(venvPath, shardDir)).bytes;
    const cache = await cacheClient();
    id = await cache.saveCache(paths, key);
  } catch (error) {
    thrown = errorMessage(error);
  } finally {
    removeShards(shardDir);
  }
  const exists = await entryExists(paths, key);
  const durationMs = Date.now() - started;
  if (exists && id !== -1) return { status: 'saved', durationMs, bytes };
  if (exists) {
    core.info(`The cache key ${key} was saved by another job first; nothing to do.`);
    return { status: 'exists', durationMs };
  }
  const message = thrown ?? 'the cache service did not accept the upload (see the messages above)';
  core.warning(
    `Saving the virtualenv to the cache failed: ${message}. The next run will build it again.`
  );
  return { status: 'failed', durationMs, message };
}
