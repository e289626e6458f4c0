// Decides whether an existing (or restored) venv can be used as is, and says why not.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { execCommand } from '../exec.js';
import type { PythonInstall } from '../python/find.js';
import { readMarker } from './marker.js';

export function venvPython(venvPath: string): string {
  return path.join(venvPath, 'bin', 'python');
}

/** `key = value` lines of pyvenv.cfg. */
function parsePyvenvCfg(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const index = line.indexOf('=');
    if (index > 0) fields[line.slice(0, index).trim()] = line.slice(index + 1).trim();
  }
  return fields;
}

export type VenvCheck = { usable: true } | { usable: false; reason: string };

/**
 * Checks what can be checked without running anything: the venv exists, is complete
 * (marker), and was built by the interpreter we resolved.
 */
export function inspectVenv(venvPath: string, python: PythonInstall): VenvCheck {
  if (!existsSync(path.join(venvPath, 'pyvenv.cfg'))) {
    return { usable: false, reason: `${venvPath} has no pyvenv.cfg` };
  }
  const marker = readMarker(venvPath);
  if (!marker) {
    return {
      usable: false,
      reason: `${venvPath} has no completion marker (an earlier install did not finish, or another tool built it)`
    };
  }
  let target: string;
  try {
    target = realpathSync(venvPython(venvPath));
  } catch {
    return {
      usable: false,
      reason: `its interpreter ${venvPython(venvPath)} does not resolve to a file`
    };
  }
  if (marker.pythonExecutable !== python.executable) {
    return {
      usable: false,
      reason: `it was built with ${marker.pythonExecutable} (Python ${marker.pythonVersion}), not ${python.executable} (Python ${python.version})`
    };
  }
  if (target !== python.executable) {
    // The marker names the right interpreter, but the link was changed (or points elsewhere).
    return {
      usable: false,
      reason: `its ${venvPython(venvPath)} resolves to ${target}, not to ${python.executable}`
    };
  }
  if (marker.pythonVersion !== python.version) {
    return {
      usable: false,
      reason: `it was built with Python ${marker.pythonVersion}, the interpreter is now ${python.version}`
    };
  }
  const cfg = parsePyvenvCfg(readFileSync(path.join(venvPath, 'pyvenv.cfg'), 'utf8'));
  if (
    cfg.home &&
    path.resolve(cfg.home) !== path.dirname(python.executable) &&
    !sameDir(cfg.home, python.executable)
  ) {
    return {
      usable: false,
      reason: `pyvenv.cfg's home is ${cfg.home}, not the directory of ${python.executable}`
    };
  }
  return { usable: true };
}

function sameDir(home: string, executable: string): boolean {
  try {
    return realpathSync(home) === realpathSync(path.dirname(executable));
  } catch {
    return false;
  }
}

/** Runs the venv's interpreter: it must start, be the expected version, and import the modules. */
export async function probeVenv(
  venvPath: string,
  python: PythonInstall,
  modules: string[]
): Promise<VenvCheck> {
  const code =
    'import sys, importlib; ' +
    `[importlib.import_module(m) for m in ${JSON.stringify(modules)}]; ` +
    'print("%d.%d.%d" % sys.version_info[:3])';
  const result = await execCommand(venvPython(venvPath), ['-c', code], {
    allowFailure: true
  }).catch((error: Error) => ({ exitCode: -1, stdout: '', stderr: error.message }));
  if (result.exitCode !== 0) {
    const last = result.stderr.trim().split('\n').pop() ?? '';
    return {
      usable: false,
      reason: `its interpreter failed to start or import ${modules.join(', ')}: ${last}`
    };
  }
  const version = result.stdout.trim();
  if (!python.version.startsWith(version)) {
    return {
      usable: false,
      reason: `its interpreter reports Python ${version}, expected ${python.version}`
    };
  }
  return { usable: true };
}
