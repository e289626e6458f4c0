// @ts-check
// `npm test`'s pretest: checks in a second that the machine has what the suite needs (PostgreSQL's
// initdb/pg_ctl, gcc, libaio's headers, unzip, zstd, poetry, pipenv, python3-venv) and otherwise
// fails with the one command that installs them. `.ci/run` installs them first on a bare machine.
// SETUP_DJANGO_SKIP_PREREQUISITES=1 skips the check (a machine set up some other way).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The package list of .ci/apt-packages.txt (comments and blank lines dropped). */
export function aptPackages() {
  return readFileSync(path.join(root, '.ci', 'apt-packages.txt'), 'utf8')
    .split('\n')
    .map(line => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** The one command the README, CONTRIBUTING and this check give. */
export function installCommand() {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${aptPackages().join(' ')}`;
}

/** @param {string} command */
function onPath(command) {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some(dir => dir && existsSync(path.join(dir, command)));
}

function postgresBinaries() {
  const override = process.env.PG_BINDIR;
  if (override) return existsSync(path.join(override, 'initdb'));
  try {
    return readdirSync('/usr/lib/postgresql').some(
      version =>
        existsSync(path.join('/usr/lib/postgresql', version, 'bin', 'initdb')) &&
        existsSync(path.join('/usr/lib/postgresql', version, 'bin', 'pg_ctl'))
    );
  } catch {
    return false;
  }
}

/** `python3 -m venv` works with pip (Debian splits ensurepip into python3-venv). */
function systemVenv() {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  try {
    execFileSync(python, ['-c', 'import ensurepip, venv'], { stdio: 'ignore', timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}

/** @returns {{ what: string, ok: boolean }[]} */
export function checks() {
  return [
    { what: 'PostgreSQL server binaries (initdb, pg_ctl)', ok: postgresBinaries() },
    { what: 'gcc', ok: onPath('gcc') },
    { what: "libaio's headers (libaio-dev)", ok: existsSync('/usr/include/libaio.h') },
    { what: 'unzip', ok: onPath('unzip') },
    { what: 'zstd', ok: onPath('zstd') },
    { what: 'poetry', ok: onPath('poetry') },
    { what: 'pipenv', ok: onPath('pipenv') },
    { what: 'python3-venv (ensurepip for the system Python)', ok: systemVenv() }
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.env.SETUP_DJANGO_SKIP_PREREQUISITES === '1') process.exit(0);
  const missing = checks().filter(check => !check.ok);
  if (missing.length > 0) {
    console.error(
      `npm test needs what this machine lacks: ${missing.map(m => m.what).join(', ')}.\n` +
        `Install it with:\n\n  ${installCommand()}\n\n` +
        'or run `sudo bash .ci/run`, which installs it and then runs npm test (as CI does).'
    );
    process.exit(1);
  }
}
