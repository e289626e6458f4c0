import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  hashLocalRequirements,
  localRequirements,
  parseLocalLine
} from '../../src/venv/local-paths.js';
import {
  expandEnvVars,
  hashFiles,
  parseIncludes,
  resolveRequirementFiles,
  withIncludes
} from '../../src/venv/requirements.js';
import { explainPipFailure } from '../../src/venv/managers/pip.js';

describe('requirements files', () => {
  it('parses -r and -c includes in their spellings', () => {
    expect(
      parseIncludes(
        '-r base.txt\r\n--requirement=dev.txt\n-c constraints.txt  # pinned\ndjango\n# -r no.txt\n'
      )
    ).toEqual(['base.txt', 'dev.txt', 'constraints.txt']);
  });

  it('follows includes relative to the including file, once each', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'req-'));
    mkdirSync(path.join(dir, 'requirements'));
    writeFileSync(path.join(dir, 'requirements', 'prod.txt'), '-r base.txt\n-r web.txt\n');
    writeFileSync(path.join(dir, 'requirements', 'web.txt'), '-r base.txt\ngunicorn\n');
    writeFileSync(path.join(dir, 'requirements', 'base.txt'), 'django\n');
    expect(withIncludes([path.join(dir, 'requirements', 'prod.txt')])).toEqual([
      path.join(dir, 'requirements', 'prod.txt'),
      path.join(dir, 'requirements', 'base.txt'),
      path.join(dir, 'requirements', 'web.txt')
    ]);
  });

  it('names the files of an include loop instead of leaving pip to a RecursionError', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'req-'));
    mkdirSync(path.join(dir, 'requirements'));
    writeFileSync(path.join(dir, 'requirements', 'prod.txt'), '-r base.txt\ngunicorn\n');
    writeFileSync(path.join(dir, 'requirements', 'base.txt'), '-r common.txt\n');
    writeFileSync(path.join(dir, 'requirements', 'common.txt'), '-c prod.txt\ndjango\n');
    expect(() =>
      withIncludes([path.join(dir, 'requirements', 'prod.txt')], process.env, dir)
    ).toThrow(
      'The requirements files include each other in a loop: requirements/prod.txt -> requirements/base.txt -> requirements/common.txt -> requirements/prod.txt.'
    );
    writeFileSync(path.join(dir, 'self.txt'), '-r ./self.txt\n');
    expect(() => withIncludes([path.join(dir, 'self.txt')], process.env, dir)).toThrow(
      /in a loop: self.txt -> self.txt\./
    );
  });

  it('defaults to requirements.txt and fails naming a missing file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'req-'));
    expect(resolveRequirementFiles([], dir)).toEqual([]);
    writeFileSync(path.join(dir, 'requirements.txt'), 'django\n');
    expect(resolveRequirementFiles([], dir)).toEqual([path.join(dir, 'requirements.txt')]);
    expect(() => resolveRequirementFiles([path.join(dir, 'prod.txt')], dir)).toThrow(
      /requirements file prod.txt named in 'requirements-file' does not exist/
    );
  });

  it('hash changes with content and name, not with argument order', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'req-'));
    const a = path.join(dir, 'a.txt');
    const b = path.join(dir, 'b.txt');
    writeFileSync(a, 'django==5.2\n');
    writeFileSync(b, 'gunicorn\n');
    const first = hashFiles([a, b], dir);
    expect(hashFiles([b, a], dir)).toBe(first);
    writeFileSync(a, 'django==5.1\n');
    expect(hashFiles([a, b], dir)).not.toBe(first);
  });
});

describe('requirements lines as pip reads them', () => {
  const tree = (files: Record<string, string>): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'req-'));
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), body);
    }
    return dir;
  };

  it('expands ${VAR} in includes as pip does, and fails naming the line when it is unset', () => {
    const dir = tree({
      'shared/base.txt': 'django\n',
      'requirements.txt': '# x\n-r ${SHARED}/base.txt\n'
    });
    const top = path.join(dir, 'requirements.txt');
    expect(withIncludes([top], { SHARED: path.join(dir, 'shared') })).toEqual([
      top,
      path.join(dir, 'shared', 'base.txt')
    ]);
    expect(() => withIncludes([top], {})).toThrow(
      /Line 2 of .*requirements.txt uses \$\{SHARED\}, which is not set/
    );
    expect(expandEnvVars('${lower} ${A_1}', { lower: 'x', A_1: 'y' })).toBe('${lower} y');
  });

  it('fails naming the line of an include that does not exist', () => {
    const dir = tree({ 'requirements.txt': 'django\n-c constraints.txt\n' });
    expect(() => withIncludes([path.join(dir, 'requirements.txt')])).toThrow(
      /Line 2 of .*requirements.txt names the file constraints.txt, which does not exist/
    );
  });

  it('refuses a requirements-file that is a folder', () => {
    const dir = tree({ 'reqs/a.txt': '' });
    expect(() => resolveRequirementFiles([path.join(dir, 'reqs')], dir)).toThrow(
      /'requirements-file' names reqs, which is a folder/
    );
  });

  it('finds the local paths requirements point at, in each spelling', () => {
    const cwd = '/w/app';
    expect(parseLocalLine('./libs/x', cwd)).toEqual({ target: '/w/app/libs/x', editable: false });
    expect(parseLocalLine('../shared[extra] ; python_version > "3"', cwd)).toEqual({
      target: '/w/shared',
      editable: false
    });
    expect(parseLocalLine('-e ./x', cwd)).toEqual({ target: '/w/app/x', editable: true });
    expect(parseLocalLine('--editable=.', cwd)).toEqual({ target: '/w/app', editable: true });
    expect(parseLocalLine('pkg @ file:///opt/pkg', cwd)).toEqual({
      target: '/opt/pkg',
      editable: false
    });
    expect(parseLocalLine('pkg[a] @ file:libs/pkg', cwd)).toEqual({
      target: '/w/app/libs/pkg',
      editable: false
    });
    expect(parseLocalLine('wheels/x-1.0-py3-none-any.whl', cwd)?.target).toBe(
      '/w/app/wheels/x-1.0-py3-none-any.whl'
    );
    expect(parseLocalLine('-f ./wheels', cwd)).toEqual({
      target: '/w/app/wheels',
      editable: false
    });
    for (const remote of [
      'django>=5.2,<6',
      'django==5.2.8 \\',
      '--hash=sha256:abc',
      'pkg @ https://example.com/pkg-1.0.tar.gz',
      '-e git+https://github.com/o/r.git#egg=r',
      '-r base.txt',
      '--index-url https://pypi.org/simple'
    ])
      expect(parseLocalLine(remote, cwd)).toBeUndefined();
  });

  it('keys on the code under a local path (not its bytecode, venvs or .git), and fails on a missing one', () => {
    const dir = tree({
      'requirements.txt': './libs/x\n-e ./libs/y\n',
      'libs/x/pyproject.toml': '[project]\nname = "x"\n',
      'libs/x/x/__init__.py': 'LINE = 1\n',
      'libs/y/pyproject.toml': '[project]\nname = "y"\n',
      'libs/y/y/__init__.py': 'LINE = 1\n'
    });
    const files = [path.join(dir, 'requirements.txt')];
    const hash = () => hashLocalRequirements(localRequirements(files, dir), dir);
    const first = hash();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    for (const junk of [
      'libs/x/x/__pycache__/a.pyc',
      'libs/x/.git/HEAD',
      'libs/x/.venv/pyvenv.cfg',
      'libs/x/x.egg-info/PKG-INFO',
      'libs/x/build/lib/x.py'
    ]) {
      mkdirSync(path.dirname(path.join(dir, junk)), { recursive: true });
      writeFileSync(path.join(dir, junk), 'junk');
    }
    expect(hash()).toBe(first);
    // Editable: linked, so its code does not key the venv, its packaging metadata does.
    writeFileSync(path.join(dir, 'libs/y/y/__init__.py'), 'LINE = 2\n');
    expect(hash()).toBe(first);
    writeFileSync(
      path.join(dir, 'libs/y/pyproject.toml'),
      '[project]\nname = "y"\nversion = "2"\n'
    );
    const second = hash();
    expect(second).not.toBe(first);
    // A copied (non-editable) package: one changed line changes the key.
    writeFileSync(path.join(dir, 'libs/x/x/__init__.py'), 'LINE = 2\n');
    expect(hash()).not.toBe(second);
    writeFileSync(files[0], './libs/gone\n');
    expect(() => localRequirements(files, dir)).toThrow(
      /Line 1 of .*requirements.txt names the local path \.\/libs\/gone, which does not exist/
    );
  });
});

describe('explainPipFailure', () => {
  it('names a requirement with no release', () => {
    expect(
      explainPipFailure(
        'ERROR: Could not find a version that satisfies the requirement nopkg==9 (from versions: none)\nERROR: No matching distribution found for nopkg==9'
      )
    ).toMatch(/no release of 'nopkg==9'/);
  });
  it('names an invalid requirement and its line', () => {
    expect(
      explainPipFailure("ERROR: Invalid requirement: 'django>>5' (from line 3 of requirements.txt)")
    ).toMatch(/'django>>5' \(line 3 of requirements.txt\) is not a valid requirement/);
  });
  it('points a failed source build at apt-packages', () => {
    expect(explainPipFailure('ERROR: Failed building wheel for psycopg2')).toMatch(
      /'psycopg2'.*apt-packages/
    );
  });
  it('says nothing when it does not know', () => {
    expect(explainPipFailure('something else')).toBeUndefined();
  });
});
