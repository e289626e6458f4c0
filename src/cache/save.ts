// Saves to the actions cache, each save confirmed by a lookup; a busy key or a failing service is
// reported, never fatal.
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

export type ConfirmedSave =
  { status: 'saved' } | { status: 'exists' } | { status: 'failed'; message: string };

/**
 * Saves `paths` under `key` and confirms the outcome with a lookup: the library's return value
 * does not tell the truth in every case (a v1 upload that fails after the reservation still
 * returns the entry's id; v2 reservation failures are only logged as info). `prepare` writes
 * what is saved and `cleanup` removes it again before the lookup; a failing `prepare` is a
 * failed save, unless another job saved the key first.
 */
export async function saveConfirmed(
  paths: string[],
  key: string,
  steps: { prepare?: () => Promise<void>; cleanup?: () => void } = {}
): Promise<ConfirmedSave> {
  let id = -1;
  let thrown: string | undefined;
  try {
    await steps.prepare?.();
    const cache = await cacheClient();
    id = await cache.saveCache(paths, key);
  } catch (error) {
    thrown = errorMessage(error);
  } finally {
    steps.cleanup?.();
  }
  const exists = await entryExists(paths, key);
  if (exists && id !== -1) return { status: 'saved' };
  if (exists) return { status: 'exists' };
  return {
    status: 'failed',
    message: thrown ?? 'the cache service did not accept the upload (see the messages above)'
  };
}

/** Packs the venv into shards (see shards.ts) and saves them under `key`. */
export async function saveVenv(venvPath: string, key: string): Promise<SaveOutcome> {
  const started = Date.now();
  const shardDir = shardDirFor(venvPath);
  let bytes = 0;
  const saved = await saveConfirmed([shardDir], key, {
    prepare: async () => {
      bytes = (await packVenv(venvPath, shardDir)).bytes;
    },
    cleanup: () => removeShards(shardDir)
  });
  const durationMs = Date.now() - started;
  if (saved.status === 'saved') return { status: 'saved', durationMs, bytes };
  if (saved.status === 'exists') {
    core.info(`The cache key ${key} was saved by another job first; nothing to do.`);
    return { status: 'exists', durationMs };
  }
  core.warning(
    `Saving the virtualenv to the cache failed: ${saved.message}. The next run will build it again.`
  );
  return { status: 'failed', durationMs, message: saved.message };
}
