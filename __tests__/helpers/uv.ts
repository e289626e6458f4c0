// The real uv for tests: pip-installed once per machine from the public package index into
// .fixtures/tools/uv (the wheel carries uv's binary), shared by every test file that needs it.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesRoot, systemPython, withLock } from './python-fixtures.js';

export const PUBLIC_INDEX = 'https://pypi.org/simple';

/** The directory holding the real `uv` executable (put it first on PATH to use it). */
export function realUvBinDir(): string {
  const venv = path.join(fixturesRoot, 'tools', 'uv');
  const bin = path.join(venv, 'bin');
  const marker = path.join(venv, '.complete');
  if (existsSync(marker)) return bin;
  return withLock(path.join(fixturesRoot, 'locks', 'uv-tool'), () => {
    if (existsSync(marker)) return bin;
    rmSync(venv, { recursive: true, force: true });
    execFileSync(systemPython(), ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(
      path.join(bin, 'python'),
      [
        '-m',
        'pip',
        'install',
        '-q',
        '--disable-pip-version-check',
        '--index-url',
        PUBLIC_INDEX,
        'uv'
      ],
      { stdio: 'inherit' }
    );
    writeFileSync(marker, '');
    return bin;
  });
}

/** The uv version of `realUvBinDir()`, e.g. 0.13.9. */
export function realUvVersion(): string {
  return execFileSync(path.join(realUvBinDir(), 'uv'), ['--version'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)[1];
}
