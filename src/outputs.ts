// Sets every output in one place, and exports the environment later steps see.
import * as core from '@actions/core';
import path from 'node:path';
import { Outputs } from './constants.js';

export type OutputValues = Partial<Record<Outputs, string | number | boolean>>;

export function setOutputs(values: OutputValues): void {
  for (const name of Object.values(Outputs)) {
    const value = values[name];
    core.setOutput(name, value === undefined ? '' : String(value));
  }
}

export function exportEnvironment(venvPath: string, settingsModule: string): void {
  core.addPath(path.join(venvPath, 'bin'));
  core.exportVariable('VIRTUAL_ENV', venvPath);
  if (settingsModule) core.exportVariable('DJANGO_SETTINGS_MODULE', settingsModule);
}
