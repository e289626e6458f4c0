// How a new venv gets pip: the fast way (no ensurepip run; the base interpreter's pip installs
// into the venv with --python, seeding pip from the bundled wheel) or Python's own way.
import * as core from '@actions/core';
import path from 'node:path';
import { execCommand } from '../exec.js';
import type { PythonInstall } from '../python/find.js';
import semver from 'semver';

export interface SeedPlan {
  /** `fast`: venv --without-pip, then `<base> -m pip --python <venv> install <pip wheel>`. */
  mode: 'fast' | 'ensurepip';
  /** The pip wheel bundled with the interpreter (ensurepip's), installed into the venv. */
  pipWheel?: string;
  /** Why the fast way is not possible, when it is not. */
  reason?: string;
}

const PROBE = [
  'import glob, json, os',
  'out = {}',
  'try:',
  '    import pip; out["pip"] = pip.__version__',
  'except Exception: pass',
  'try:',
  '    import ensurepip',
  '    out["wheels"] = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))',
  'except Exception: pass',
  'print(json.dumps(out))'
].join('\n');

/** `pip --python` exists since pip 22.3. */
const MIN_PIP_FOR_PYTHON_OPTION = '22.3.0';

export async function planSeed(python: PythonInstall): Promise<SeedPlan> {
  const result = await execCommand(python.executable, ['-I', '-c', PROBE], { allowFailure: true });
  let facts: { pip?: string; wheels?: string[] } = {};
  try {
    facts = JSON.parse(result.stdout.trim()) as typeof facts;
  } catch {
    return { mode: 'ensurepip', reason: 'the interpreter could not be inspected' };
  }
  const pip = semver.coerce(facts.pip ?? '');
  if (!pip) return { mode: 'ensurepip', reason: 'the interpreter has no pip of its own' };
  if (semver.lt(pip, MIN_PIP_FOR_PYTHON_OPTION)) {
    return { mode: 'ensurepip', reason: `its pip ${facts.pip} predates --python (22.3)` };
  }
  const pipWheel = facts.wheels?.at(-1);
  if (!pipWheel) return { mode: 'ensurepip', reason: 'it has no bundled pip wheel (ensurepip)' };
  return { mode: 'fast', pipWheel };
}

/**
 * Installs the bundled pip wheel into a venv made --without-pip, in a pip run of its own: in the
 * user's install it would be an unhashed requirement, which a `--require-hashes` file (or
 * PIP_REQUIRE_HASHES) refuses. `--isolated` keeps pip.conf and PIP_* (indexes, hash mode) out of
 * a local-wheel install; `--no-index --no-deps` make it touch nothing but the wheel.
 */
export async function seedPip(
  basePython: string,
  venvPython: string,
  pipWheel: string
): Promise<void> {
  await execCommand(basePython, [
    '-m',
    'pip',
    '--isolated',
    '--python',
    venvPython,
    'install',
    '--disable-pip-version-check',
    '--no-compile',
    '--no-index',
    '--no-deps',
    pipWheel
  ]);
  core.info(
    `Seeded the virtualenv with ${path.basename(pipWheel)} (the interpreter's bundled pip).`
  );
}
