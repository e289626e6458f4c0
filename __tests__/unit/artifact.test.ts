import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkArtifactName,
  isDotenvFile,
  isValidArtifactName,
  planRequirements,
  selectSourceFiles
} from '../../src/django/artifact.js';

const dirs: string[] = [];

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'artifact-unit-'));
  dirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('artifact name', () => {
  it('accepts plain file names', () => {
    for (const name of ['mysite', 'mysite-build', 'app_1.2.3', 'v1+abc', 'A'])
      expect(isValidArtifactName(name)).toBe(true);
  });

  it('rejects paths, options, hidden names and extensions', () => {
    for (const name of ['', '-x', '.x', '../x', 'a/b', 'a\\b', 'a b', 'a..b', 'x'.repeat(201)])
      expect(isValidArtifactName(name)).toBe(false);
    expect(() => checkArtifactName('a/b')).toThrow(/'artifact-name' is 'a\/b': use letters/);
    expect(() => checkArtifactName('build.tar.zst', 'tar.zst')).toThrow(/without an extension/);
  });
});

describe('selectSourceFiles', () => {
  it('keeps the tracked source and leaves out what must not ship, even when committed', () => {
    const files = {
      'manage.py': '',
      'app/views.py': '',
      'app/__pycache__/views.cpython-312.pyc': '',
      'app/old.pyc': '',
      '.venv/pyvenv.cfg': '',
      '.venv/bin/python': '',
      'env311/pyvenv.cfg': '',
      'env311/lib/x.py': '',
      'node_modules/x/index.js': '',
      '.env': 'SECRET=1',
      '.env.local': 'SECRET=1',
      '.env.example': 'SECRET=',
      'db.sqlite3': '',
      'db.sqlite3-journal': '',
      '.setup-django-cache/.venv/shard-0.tar': '',
      'sub/.setup-django-cache/x': '',
      'wheelhouse/old.whl': '',
      'docs/wheelhouse/kept.txt': '',
      '-dash.txt': ''
    };
    const dir = tree(files);
    symlinkSync('app/views.py', path.join(dir, 'link.py'));
    const tracked = [...Object.keys(files), 'link.py', 'deleted.py', 'submodule'];
    mkdirSync(path.join(dir, 'submodule'));
    expect(selectSourceFiles(dir, tracked)).toEqual([
      '-dash.txt',
      '.env.example',
      'app/views.py',
      'docs/wheelhouse/kept.txt',
      'link.py',
      'manage.py'
    ]);
    expect(selectSourceFiles(dir, tracked, [path.join(dir, 'app')])).not.toContain('app/views.py');
  });

  it('never takes a file git does not track', () => {
    const dir = tree({ 'manage.py': '', 'gha-creds-1234.json': '{}', '.npmrc': '', id_rsa: '' });
    expect(selectSourceFiles(dir, ['manage.py'])).toEqual(['manage.py']);
  });

  it('recognises .env files', () => {
    expect(isDotenvFile('.env')).toBe(true);
    expect(isDotenvFile('.env.production')).toBe(true);
    expect(isDotenvFile('.env.sample')).toBe(false);
    expect(isDotenvFile('.envrc')).toBe(false);
    expect(isDotenvFile('settings.env')).toBe(false);
  });
});

describe('planRequirements', () => {
  it('archives files inside the project where they are', () => {
    const dir = tree({ 'requirements/prod.txt': '-r base.txt\n', 'requirements/base.txt': '' });
    expect(planRequirements(dir, ['requirements/prod.txt'])).toMatchObject({
      archived: ['requirements/prod.txt'],
      copies: []
    });
  });

  it('copies files outside the project, with their includes, keeping their relative layout', () => {
    const root = tree({
      'backend/manage.py': '',
      'reqs/prod.txt': '-r ../common/base.txt\ngunicorn\n',
      'common/base.txt': 'django\n'
    });
    const plan = planRequirements(path.join(root, 'backend'), ['../reqs/prod.txt']);
    expect(plan.archived).toEqual(['setup-django-requirements/reqs/prod.txt']);
    expect(plan.copies.map(([, archived]) => archived)).toEqual([
      'setup-django-requirements/reqs/prod.txt',
      'setup-django-requirements/common/base.txt'
    ]);
  });

  it('fails naming requirements-file for a missing file', () => {
    const dir = tree({ 'manage.py': '' });
    expect(() => planRequirements(dir, ['nope.txt'])).toThrow(/check 'requirements-file'/);
  });
});
