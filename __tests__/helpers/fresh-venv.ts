// New, throwaway venvs for tests that install into a venv: created in well under a second
// (no ensurepip run) and either seeded with pip from the interpreter's bundled wheel, or
// layered over an existing venv's packages with a .pth file.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemPython } from './python-fixtures.js';

function purelib(python: string): string {
  return execFileSync(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], {
    encoding: 'utf8'
  }).trim();
}

/**
 * A venv at dir whose interpreter also sees the packages of `over` (another venv's python),
 * pip included, while anything installed goes into the new venv. Returns its python.
 */
export function layeredVenv(dir: string, over: string): string {
  execFileSync(systemPython(), ['-m', 'venv', '--without-pip', dir]);
  const python = path.join(dir, 'bin', 'python');
  writeFileSync(path.join(purelib(python), 'layered-over.pth'), `${purelib(over)}\n`);
  return python;
}

/** A venv at dir with its own pip (from the bundled ensurepip wheel, offline) and nothing else. */
export function seededVenv(dir: string): string {
  const base = systemPython();
  execFileSync(base, ['-m', 'venv', '--without-pip', dir]);
  const python = path.join(dir, 'bin', 'python');
  const wheel = execFileSync(
    base,
    [
      '-c',
      'import ensurepip, glob, os; print(sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))[-1])'
    ],
    { encoding: 'utf8' }
  ).trim();
  execFileSync(
    base,
    [
      '-m',
      'pip',
      '--python',
      python,
      'install',
      '-q',
      '--no-index',
      '--disable-pip-version-check',
      wheel
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  );
  return python;
}
