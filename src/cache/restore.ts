// Restores the venv from the actions cache on an exact key match; service faults become warnings.
import * as core from '@actions/core';
import { rmSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { cacheClient, cacheServiceAvailable } from './client.js';

export type RestoreOutcome =
  | { status: 'hit'; durationMs: number }
  | { status: 'miss'; durationMs: number }
  | { status: 'unavailable'; durationMs: 0 }
  | { status: 'error'; durationMs: number; message: string };

export { cacheServiceAvailable };

export async function restoreVenv(venvPath: string, key: string): Promise<RestoreOutcome> {
  if (!cacheServiceAvailable()) return { status: 'unavailable', durationMs: 0 };
  const started = Date.now();
  // Whatever sits there is replaced: a restore must never merge into an older venv.
  rmSync(venvPath, { recursive: true, force: true });
  try {
    const cache = await cacheClient();
    const matched = await cache.restoreCache([venvPath], key, [], { timeoutInMs: 10 * 60 * 1000 });
    const durationMs = Date.now() - started;
    if (matched === key) return { status: 'hit', durationMs };
    // A miss or a restore the library gave up on (it warns itself): leave no partial files.
    rmSync(venvPath, { recursive: true, force: true });
    return { status: 'miss', durationMs };
  } catch (error) {
    rmSync(venvPath, { recursive: true, force: true });
    const message = errorMessage(error);
    core.warning(`Restoring the virtualenv from the cache failed, building it instead: ${message}`);
    return { status: 'error', durationMs: Date.now() - started, message };
  }
}
