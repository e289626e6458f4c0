// cache-dependency-path on a real file tree: globs with '!' exclusions through @actions/glob,
// regular files only (a directory or a named pipe is never read), errors naming the input.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { anchorPattern, globDependencyFiles } from '../../src/cache/dependency-files.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dep-glob-'));
  for (const file of [
    'requirements/base.txt',
    'requirements/dev.txt',
    'requirements/prod.txt',
    'poetry.lock',
    'sub dir/[x].txt'
  ]) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), file);
  }
  mkdirSync(path.join(dir, 'requirements.d'));
  execFileSync('mkfifo', [path.join(dir, 'requirements', 'pipe.txt')]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const rel = (files: string[]): string[] => files.map(f => path.relative(dir, f));

describe('globDependencyFiles', () => {
  it('matches globs relative to the project, whatever the process cwd', async () => {
    expect(rel(await globDependencyFiles(['requirements/*.txt', 'poetry.lock'], dir))).toEqual([
      'poetry.lock',
      'requirements/base.txt',
      'requirements/dev.txt',
      'requirements/prod.txt'
    ]);
  });

  it("applies '!' exclusions", async () => {
    expect(
      rel(await globDependencyFiles(['requirements/*.txt', '!requirements/dev.txt'], dir))
    ).toEqual(['requirements/base.txt', 'requirements/prod.txt']);
  });

  it('hashes regular files only: the named pipe among the matches is skipped, not read', async () => {
    expect(rel(await globDependencyFiles(['requirements/*'], dir))).not.toContain(
      'requirements/pipe.txt'
    );
  });

  it('names the input when a pattern matches only a directory', async () => {
    await expect(globDependencyFiles(['requirements.d'], dir)).rejects.toThrow(
      /'cache-dependency-path' pattern 'requirements.d' matched only the directory requirements.d .*only regular files are hashed/
    );
  });

  it('names the input when a pattern matches only a named pipe', async () => {
    await expect(globDependencyFiles(['requirements/pipe.txt'], dir)).rejects.toThrow(
      /'cache-dependency-path' pattern 'requirements\/pipe.txt' matched only the special file/
    );
  });

  it('names the input when a pattern matches nothing, or exclusions leave nothing', async () => {
    await expect(globDependencyFiles(['nothing/*.txt'], dir)).rejects.toThrow(
      /'cache-dependency-path' pattern 'nothing\/\*.txt' matched no file/
    );
    await expect(globDependencyFiles(['poetry.lock', '!poetry.lock'], dir)).rejects.toThrow(
      /'cache-dependency-path' matched no file once its '!' exclusions were applied/
    );
  });

  it('takes glob characters in the project path literally', async () => {
    const nested = path.join(dir, 'sub dir');
    expect(anchorPattern('*.txt', '/work/[app]')).toBe('/work/[[]app]/*.txt');
    expect(anchorPattern('!x.txt', '/work')).toBe('!/work/x.txt');
    expect(rel(await globDependencyFiles(['*.txt'], nested))).toEqual(['sub dir/[x].txt']);
  });
});
