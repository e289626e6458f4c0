// The venv's installed set as a pinned requirements file: what the artifact's wheelhouse is
// built from when the dependencies came from a lock file (poetry, pipenv, uv) or pyproject.toml.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execCommand } from '../../exec.js';
import { ActionError } from '../../errors.js';

/** Writes `pip freeze --exclude-editable` of the venv to `<dir>/setup-django-<manager>-requirements.txt`. */
export async function exportRequirements(
  venvPython: string,
  dir: string | undefined,
  manager: string
): Promise<string> {
  const result = await execCommand(venvPython, [
    '-m',
    'pip',
    'freeze',
    '--exclude-editable',
    '--disable-pip-version-check'
  ]).catch((error: Error) => {
    throw new ActionError(
      `Listing the packages ${manager} installed (pip freeze), for the artifact's wheelhouse, failed: ${error.message}`
    );
  });
  const file = path.join(dir || os.tmpdir(), `setup-django-${manager}-requirements.txt`);
  const pins = result.stdout
    .split(/\r?\n/)
    .map(line => line.trim())
    // Local paths (`name @ file:///...`) would not resolve on the deploy host.
    .filter(line => line !== '' && !line.startsWith('#') && !/ @ file:/.test(line));
  writeFileSync(
    file,
    `# The packages ${manager} installed, pinned by setup-django.\n${pins.join('\n')}\n`
  );
  return file;
}
