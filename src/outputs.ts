// Sets every output in one place, and exports the environment later steps see.
import * as core from '@actions/core';
import path from 'node:path';
import { Outputs } from './constants.js';
import { CONTROL_CHARACTER } from './control-characters.js';
import { ActionError } from './errors.js';

export type OutputValues = Partial<Record<Outputs, string | number | boolean>>;

export function setOutputs(values: OutputValues): void {
  for (const name of Object.values(Outputs)) {
    const value = values[name];
    // Written as a heredoc with a random delimiter (@actions/core): a line break stays inside.
    core.setOutput(name, value === undefined ? '' : String(value));
  }
}

/**
 * GITHUB_PATH takes one entry per line: a value holding a line break (or any control character)
 * would add entries of its own. GITHUB_ENV and GITHUB_OUTPUT are written by @actions/core as
 * heredocs with a random delimiter, which no value can end early; exported variables are checked
 * too, since no path or module name the action exports has a reason to hold one.
 */
function checkFileCommandValue(what: string, value: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new ActionError(
      `Refusing to export ${what}: its value contains a line break or another control character (${JSON.stringify(value)}).`
    );
  }
  return value;
}

/** core.addPath, for a directory that is one line. */
function addPath(dir: string): void {
  core.addPath(checkFileCommandValue('a PATH entry', dir));
}

/** core.exportVariable, for a one-line value. */
export function exportVariable(name: string, value: string): void {
  core.exportVariable(name, checkFileCommandValue(name, value));
}

export function exportEnvironment(venvPath: string, settingsModule: string): void {
  addPath(path.join(venvPath, 'bin'));
  exportVariable('VIRTUAL_ENV', venvPath);
  if (settingsModule) exportVariable('DJANGO_SETTINGS_MODULE', settingsModule);
}
