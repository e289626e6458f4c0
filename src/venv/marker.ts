// The completion marker: written last into a finished venv; a venv without it is never reused.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE_FORMAT_VERSION, VENV_MARKER } from '../constants.js';

export interface VenvMarker {
  format: string;
  pythonVersion: string;
  pythonExecutable: string;
  packageManager: string;
  dependencyHash: string;
}

export function markerPath(venvPath: string): string {
  return path.join(venvPath, VENV_MARKER);
}

export function readMarker(venvPath: string): VenvMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(markerPath(venvPath), 'utf8')) as VenvMarker;
    return marker.format === CACHE_FORMAT_VERSION ? marker : undefined;
  } catch {
    return undefined;
  }
}

export function writeMarker(venvPath: string, marker: Omit<VenvMarker, 'format'>): void {
  writeFileSync(
    markerPath(venvPath),
    JSON.stringify({ format: CACHE_FORMAT_VERSION, ...marker }, null, 2)
  );
}

export function removeMarker(venvPath: string): void {
  rmSync(markerPath(venvPath), { force: true });
}
