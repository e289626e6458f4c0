// What the action may delete at venv-path: only what it can prove it made (a venv with pyvenv.cfg,
// or a folder holding nothing but its own marker); anything else is the user's and stays.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { Inputs, VENV_MARKER } from '../constants.js';
import { ActionError } from '../errors.js';

/** Why `venvPath` must not be deleted, or undefined when it is absent, empty, a venv or only ours. */
export function whyNotRemovable(venvPath: string): string | undefined {
  let stat;
  try {
    stat = lstatSync(venvPath);
  } catch {
    return undefined; // nothing there
  }
  if (stat.isSymbolicLink()) return 'is a symbolic link';
  if (!stat.isDirectory()) return 'is a file, not a folder';
  const entries = readdirSync(venvPath);
  if (entries.length === 0 || entries.includes('pyvenv.cfg')) return undefined;
  if (entries.every(name => name === VENV_MARKER)) return undefined;
  return `holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (${entries
    .slice(0, 3)
    .join(', ')}${entries.length > 3 ? ', ...' : ''}) and no pyvenv.cfg: it is not a virtualenv`;
}

/** Throws the error that names the path and the fix when `venvPath` is not the action's to replace. */
export function assertRemovableVenv(venvPath: string): void {
  const reason = whyNotRemovable(venvPath);
  if (reason === undefined) return;
  throw new ActionError(
    `'${Inputs.VenvPath}' is ${venvPath}, which ${reason}. setup-django only replaces a virtualenv (a folder with pyvenv.cfg) or an empty folder, and never deletes anything else: choose another '${Inputs.VenvPath}' (for example .venv), or move that folder away.`
  );
}

/** Removes the venv at `venvPath` after checking it is one (see assertRemovableVenv). */
export function removeVenv(venvPath: string): void {
  assertRemovableVenv(venvPath);
  rmSync(venvPath, { recursive: true, force: true });
}
