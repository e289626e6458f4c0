import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
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
    expect(() => withIncludes([path.join(dir, 'requirements', 'prod.txt')], dir)).toThrow(
      'The requirements files include each other in a loop: requirements/prod.txt -> requirements/base.txt -> requirements/common.txt -> requirements/prod.txt.'
    );
    writeFileSync(path.join(dir, 'self.txt'), '-r ./self.txt\n');
    expect(() => withIncludes([path.join(dir, 'self.txt')], dir)).toThrow(
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
