// The repository's own hygiene, checked in the test suite: committed dist/ matches the
// sources, and the code typechecks, lints and is formatted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/python-fixtures.js';

const bin = (name: string): string => path.join(repoRoot, 'node_modules', '.bin', name);
const run = (command: string, args: string[]): string =>
  execFileSync(command, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe']
  });

describe('repository checks', () => {
  it('the committed dist/ matches a fresh bundle of the sources (check-dist)', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'check-dist-'));
    run(process.execPath, [path.join(repoRoot, 'scripts', 'bundle.mjs'), '--out', out]);
    const list = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter(entry => entry.isFile())
        .map(entry => path.relative(dir, path.join(entry.parentPath, entry.name)))
        .sort();
    const committed = list(path.join(repoRoot, 'dist'));
    expect(list(out)).toEqual(committed);
    for (const file of committed) {
      const fresh = readFileSync(path.join(out, file));
      const same = fresh.equals(readFileSync(path.join(repoRoot, 'dist', file)));
      if (!same)
        throw new Error(
          `dist/${file} does not match the sources: run 'npm run bundle' and commit dist/.`
        );
    }
  });

  it('typechecks', () => {
    expect(() => run(bin('tsc'), ['--noEmit'])).not.toThrow();
  });

  it('lints', () => {
    expect(() => run(bin('eslint'), ['.'])).not.toThrow();
  });

  it('is formatted', () => {
    expect(() => run(bin('prettier'), ['--check', '.'])).not.toThrow();
  });
});
