// Saves the venv to the actions cache; a busy key or a failing service is reported, never fatal.
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { errorMessage } from '../errors.js';

export type SaveOutcome =
  | { status: 'saved'; durationMs: number }
  | { status: 'exists'; durationMs: number }
  | { status: 'failed'; durationMs: number; message: string };

export async function saveVenv(paths: string[], key: string): Promise<SaveOutcome> {
  const started = Date.now();
  try {
    const id = await cache.saveCache(paths, key);
    if (id !== -1) return { status: 'saved', durationMs: Date.now() - started };
  } catch (error) {
    const message = errorMessage(error);
    core.warning(`Saving the virtualenv to the cache failed: ${message}`);
    return { status: 'failed', durationMs: Date.now() - started, message };
  }
  // -1 means "not saved" for every reason; a concurrent job that saved the key first is the benign one.
  const exists = await cache
    .restoreCache(paths, key, [], { lookupOnly: true })
    .then(found => found === key)
    .catch(() => false);
  const durationMs = Date.now() - started;
  if (exists) {
    core.info(`The cache key ${key} was saved by another job first; nothing to do.`);
    return { status: 'exists', durationMs };
  }
  const message = 'the cache service did not accept the upload (see the messages above)';
  core.warning(
    `Saving the virtualenv to the cache failed: ${message}. The next run will build it again.`
  );
  return { status: 'failed', durationMs, message };
}
