// Saves to the actions cache, each save confirmed by a lookup; a busy key or a failing service is
// reported, never fatal.
import * as core from '@actions/core';
import { cleanUpOnExit } from '../cleanup.js';
import { errorMessage } from '../errors.js';
import { cacheClient } from './client.js';
import { packVenv, removeShards, shardDirFor } from './shards.js';

export type SaveOutcome =
  | { status: 'saved'; durationMs: number; bytes: number }
  | { status: 'unconfirmed'; durationMs: number; bytes: number; message: string }
  | { status: 'exists'; durationMs: number }
  | { status: 'failed'; durationMs: number; message: string };

type Lookup = { found: boolean; failure?: string };

/** A workflow command the library printed for a failed lookup (`::error::Failed to restore: …`). */
const LOOKUP_FAILURE = /^::(?:error|warning)[^:]*::Failed to restore: (.*)$/m;

/**
 * Whether the service now holds `key` (a lookup only, nothing is downloaded). The library answers
 * a failing lookup (a 500) like a miss and prints the failure as an annotation of its own: the
 * annotation is caught here (turned into a log line) so that a save the service took is not
 * reported as failed just because the lookup confirming it failed.
 */
async function lookUp(paths: string[], key: string): Promise<Lookup> {
  const cache = await cacheClient();
  const failures: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const failed = LOOKUP_FAILURE.exec(text);
    if (!failed)
      return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    const message = failed[1].replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
    failures.push(message);
    return write.call(process.stdout, `Looking up the saved entry failed: ${message}\n`);
  }) as typeof process.stdout.write;
  try {
    const found = await cache.restoreCache(paths, key, [], { lookupOnly: true });
    return found === key ? { found: true } : { found: false, failure: failures[0] };
  } catch (error) {
    return { found: false, failure: errorMessage(error) };
  } finally {
    process.stdout.write = write;
  }
}

export type ConfirmedSave =
  | { status: 'saved' }
  | { status: 'unconfirmed'; message: string }
  | { status: 'exists' }
  | { status: 'failed'; message: string };

/**
 * Saves `paths` under `key` and confirms the outcome with a lookup: the library's return value
 * does not tell the truth in every case (a v1 upload that fails after the reservation still
 * returns the entry's id; v2 reservation failures are only logged as info). An upload the library
 * reports done whose lookup fails (rather than misses) is `unconfirmed`, not failed. `prepare`
 * writes what is saved and `cleanup` removes it again before the lookup; a failing `prepare` is a
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
  const lookup = await lookUp(paths, key);
  if (lookup.found && id !== -1) return { status: 'saved' };
  if (lookup.found) return { status: 'exists' };
  if (id !== -1 && lookup.failure !== undefined)
    return { status: 'unconfirmed', message: lookup.failure };
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
  const dispose = cleanUpOnExit(() => removeShards(shardDir));
  const saved = await saveConfirmed([shardDir], key, {
    prepare: async () => {
      bytes = (await packVenv(venvPath, shardDir)).bytes;
    },
    cleanup: () => {
      removeShards(shardDir);
      dispose();
    }
  });
  const durationMs = Date.now() - started;
  if (saved.status === 'saved') return { status: 'saved', durationMs, bytes };
  if (saved.status === 'unconfirmed') {
    core.warning(
      `Saved the virtualenv to the cache with key ${key}, but the lookup confirming the save failed (${saved.message}): the next run shows whether the service kept it.`
    );
    return { status: 'unconfirmed', durationMs, bytes, message: saved.message };
  }
  if (saved.status === 'exists') {
    core.info(`The cache key ${key} was saved by another job first; nothing to do.`);
    return { status: 'exists', durationMs };
  }
  core.warning(
    `Saving the virtualenv to the cache failed: ${saved.message}. The next run will build it again.`
  );
  return { status: 'failed', durationMs, message: saved.message };
}
