// Shared, build-once Python fixtures for integration and end-to-end tests: the local
// package index environment and a base venv with Django (reused across test files).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export { fixturesRoot, localPipEnv, repoRoot } from '../../scripts/e2e/local-env.mjs';
import { fixturesRoot, localPipEnv } from '../../scripts/e2e/local-env.mjs';

/** The system interpreter the fixtures are built with (python3 on PATH, resolved). */
export function systemPython(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8'
  }).trim();
}

/** Runs fn while holding an exclusive lock directory, so parallel jest workers build once. */
export function withLock<T>(lockDir: string, fn: () => T): T {
  mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // A lock older than 10 minutes belongs to a dead run.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 10 * 60 * 1000)
          rmSync(lockDir, { recursive: true, force: true });
      } catch {
        /* raced with its removal */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      execFileSync('sleep', ['0.5']);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export const BASE_PACKAGES = [
  'django>=5.2,<5.3',
  'dj-database-url',
  'python-dotenv',
  'psycopg[binary]'
];

/**
 * A venv with Django and the example project's dependencies, built once per machine
 * under .fixtures/ (a `.complete` marker says it finished). Returns the venv's python.
 */
export function ensureDjangoVenv(): string {
  const venv = path.join(fixturesRoot, 'venvs', 'django');
  const python = path.join(venv, 'bin', 'python');
  const marker = path.join(venv, '.complete');
  // The marker holds the package list, so a venv built for an older list is rebuilt.
  const wanted = BASE_PACKAGES.join('\n');
  const complete = () => existsSync(marker) && readFileSync(marker, 'utf8') === wanted;
  if (complete()) return python;
  return withLock(path.join(fixturesRoot, 'locks', 'django-venv'), () => {
    if (complete()) return python;
    rmSync(venv, { recursive: true, force: true });
    execFileSync(systemPython(), ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '-q', ...BASE_PACKAGES], {
      stdio: 'inherit',
      env: { ...process.env, ...localPipEnv() }
    });
    writeFileSync(marker, wanted);
    return python;
  });
}
