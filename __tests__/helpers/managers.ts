// Package-manager fixtures: the projects (locked by the real tools against the public index),
// the poetry project pointed at the machine's index when that is another one, and real uv on PATH.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { machineIndexUrl, PUBLIC_INDEX_URL, pathWithout } from '../../scripts/e2e/local-env.mjs';
import { fixturesRoot, localPipEnv, repoRoot, systemPython } from './python-fixtures.js';

export { pathWithout };

export const managerFixture = (name: 'poetry' | 'pipenv' | 'pyproject' | 'uv'): string =>
  path.join(repoRoot, '__tests__', 'fixtures', 'managers', name);

/** poetry's content-hash of a [tool.poetry] pyproject.toml (1.x and 2.x agree without [project]). */
export function poetryContentHash(projectDir: string): string {
  const script = [
    'import hashlib, json, sys, tomllib',
    'c = tomllib.load(open(sys.argv[1], "rb"))["tool"]["poetry"]',
    'keys = ["dependencies", "source", "extras", "dev-dependencies", "group"]',
    'print(hashlib.sha256(json.dumps({k: c.get(k) for k in keys}, sort_keys=True).encode()).hexdigest())'
  ].join('\n');
  return execFileSync('python3', ['-c', script, path.join(projectDir, 'pyproject.toml')], {
    encoding: 'utf8'
  }).trim();
}

/**
 * The poetry fixture in `projectDir` as committed (poetry 2 locked it against the public index's
 * simple API), or, when the machine's pip uses another index (PIP_INDEX_URL, pip's
 * `index-url`), pointed at that one: its source and the lock's, with the content-hash recomputed.
 */
export function concretePoetryProject(projectDir: string, indexUrl = machineIndexUrl()): void {
  if (indexUrl.replace(/\/+$/, '') === PUBLIC_INDEX_URL) return;
  for (const name of ['pyproject.toml', 'poetry.lock']) {
    const file = path.join(projectDir, name);
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(PUBLIC_INDEX_URL, indexUrl));
  }
  const lock = path.join(projectDir, 'poetry.lock');
  writeFileSync(
    lock,
    readFileSync(lock, 'utf8').replace(
      /content-hash = "[^"]*"/,
      `content-hash = "${poetryContentHash(projectDir)}"`
    )
  );
}

/**
 * A directory holding a real `uv` (its wheel pip-installed from the index with `--target` under
 * .fixtures/, once per checkout: the binary is standalone): put it on PATH for "uv already
 * installed on the runner".
 */
export function uvOnPathDir(): string {
  const target = path.join(fixturesRoot, 'tools', 'uv-on-path');
  const bin = path.join(target, 'bin');
  if (existsSync(path.join(bin, 'uv'))) return bin;
  const work = `${target}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.dirname(target), { recursive: true });
  execFileSync(systemPython(), ['-m', 'pip', 'install', '-q', '--target', work, 'uv'], {
    env: { ...process.env, ...localPipEnv() },
    stdio: 'inherit'
  });
  try {
    renameSync(work, target);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another worker published it first
  }
  return bin;
}

/** The `--version` of an executable, e.g. "uv 0.13.9 (...)". */
export function toolVersion(executable: string): string {
  return execFileSync(executable, ['--version'], { encoding: 'utf8' }).trim();
}
