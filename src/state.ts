// What the main step hands to the post step, typed; the post step trusts nothing else.
import * as core from '@actions/core';
import { State } from './constants.js';
import { parseVenvContents, readVenvContents, type VenvContents } from './venv/contents.js';

export interface CacheSaveState {
  key: string;
  paths: string[];
}

export function saveCacheState(state: CacheSaveState): void {
  core.saveState(State.CachePrimaryKey, state.key);
  core.saveState(State.CachePaths, JSON.stringify(state.paths));
  core.saveState(State.CacheSaveReady, 'true');
}

/** The save the main step asked for, or undefined when it asked for none. */
export function readCacheState(): CacheSaveState | undefined {
  if (core.getState(State.CacheSaveReady) !== 'true') return undefined;
  const key = core.getState(State.CachePrimaryKey);
  let paths: unknown;
  try {
    paths = JSON.parse(core.getState(State.CachePaths) || '[]');
  } catch {
    return undefined;
  }
  if (
    !key ||
    !Array.isArray(paths) ||
    paths.length === 0 ||
    !paths.every(p => typeof p === 'string')
  )
    return undefined;
  return { key, paths };
}

/** Records what the venv holds now (the end of the main step): the post step saves only that. */
export function saveVenvContentsState(venvPath: string): void {
  core.saveState(State.VenvContents, JSON.stringify(readVenvContents(venvPath)));
}

export function readVenvContentsState(): VenvContents | undefined {
  return parseVenvContents(core.getState(State.VenvContents));
}
