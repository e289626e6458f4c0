// The post step: saves the virtualenv to the cache when the main step says it may.
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { State } from './constants.js';
import { errorMessage } from './errors.js';
import { saveOracleClient } from './oslibs/oracle/install.js';
import { saveVenv } from './cache/save.js';
import { saveToolVenv } from './venv/managers/tool.js';
import { cacheServiceAvailable } from './cache/restore.js';
import { readCacheState, readVenvContentsState } from './state.js';
import { describeChange, readVenvContents } from './venv/contents.js';
import { markerPath } from './venv/marker.js';
import { venvPython } from './venv/inspect.js';

/** Saves the Oracle Instant Client the main step downloaded (it hands over key and path). */
async function saveOracle(): Promise<void> {
  const raw = core.getState(State.OracleCacheSave);
  if (!raw) return;
  try {
    const save = JSON.parse(raw) as { key: unknown; path: unknown };
    if (typeof save.key !== 'string' || typeof save.path !== 'string') return;
    await saveOracleClient({ key: save.key, path: save.path });
  } catch (error) {
    core.warning(`Could not save the Oracle Instant Client to the cache: ${errorMessage(error)}`);
  }
}

/** Why the venv is not what the main step left (a later step installed or removed something). */
function venvChangeSinceMain(venv: string): string | undefined {
  const recorded = readVenvContentsState();
  if (!recorded) return 'the main step recorded no package list for the virtualenv';
  const change = describeChange(recorded, readVenvContents(venv));
  return change && `the virtualenv at ${venv} changed after setup-django installed it (${change})`;
}

export async function runPost(): Promise<void> {
  await saveOracle();
  const tool = core.getState(State.ToolCacheSave);
  try {
    if (tool) await saveToolVenv(tool);
  } catch (error) {
    core.warning(
      `Could not save the package manager's tool venv to the cache: ${errorMessage(error)}`
    );
  }
  try {
    const state = readCacheState();
    if (!state) {
      core.info('Nothing to save: the virtualenv came from the cache, or caching is off.');
      return;
    }
    const venv = state.paths[0];
    // A later step may have removed or broken the venv: never save what would not be reused.
    if (!existsSync(markerPath(venv)) || !existsSync(venvPython(venv))) {
      core.warning(`Not saving the cache: the virtualenv at ${venv} is no longer complete.`);
      return;
    }
    const change = venvChangeSinceMain(venv);
    if (change) {
      core.notice(
        `Not saving the cache: ${change}. The key ${state.key} stands for the dependency files alone, so only the venv the action built is saved under it; install extra packages through the requirements to have them cached.`
      );
      return;
    }
    if (!cacheServiceAvailable()) {
      core.info('Not saving the cache: no cache service is configured for this runner.');
      return;
    }
    const outcome = await saveVenv(venv, state.key);
    if (outcome.status === 'saved') {
      const size = `${(outcome.bytes / 1024 / 1024).toFixed(1)} MiB`;
      const time = `${(outcome.durationMs / 1000).toFixed(1)} s`;
      core.info(`Saved the virtualenv to the cache with key ${state.key} (${size}) in ${time}.`);
      await core.summary
        .addRaw(`Cache saved: <code>${state.key}</code>, ${size} in ${time}`, true)
        .write()
        .catch(() => undefined);
    }
  } catch (error) {
    core.warning(`The post step could not save the cache: ${errorMessage(error)}`);
  }
}

/** The name @github/local-action calls (`--post src/post-main.ts`), as it calls main.ts's run. */
export { runPost as run };
