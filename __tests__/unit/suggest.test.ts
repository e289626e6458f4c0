import { nearestName, nonexistentPython, unquotedVersionHint } from '../../src/suggest.js';

const names = ['python-version', 'python-version-file', 'migrate', 'migrate-database', 'cache'];

describe('nearestName', () => {
  it.each([
    ['pyhton-version', 'python-version'],
    ['python_version', 'python-version'],
    ['PYTHON-VERSON', 'python-version'],
    ['migrat', 'migrate'],
    ['migrate-databse', 'migrate-database'],
    ['cahce', 'cache']
  ])('%s → %s', (typo, expected) => {
    expect(nearestName(typo, names)).toBe(expected);
  });

  it.each(['frobnicate', 'x', 'node-version'])('suggests nothing for %s', name => {
    expect(nearestName(name, names)).toBeUndefined();
  });
});

describe('unquotedVersionHint', () => {
  it('explains 3.1 as an unquoted 3.10', () => {
    expect(unquotedVersionHint('python-version', '3.1')).toMatch(/quote/i);
  });
  it.each(['3.10', '3.1.5', '3.11', '3.x', ''])('leaves %j alone', spec => {
    expect(unquotedVersionHint('python-version', spec)).toBeUndefined();
  });
});

describe('nonexistentPython', () => {
  it.each(['3.99', '4.0', '3.40.1', '==3.30', '2.9'])('knows %s cannot exist', spec => {
    expect(nonexistentPython(spec)).toMatch(/does not exist/);
  });
  it.each(['3.12', '3.13.1', '3.15', '3.16', '2.7', '>=3.10', '3.x', '~=3.11'])(
    'does not claim %s is impossible',
    spec => {
      expect(nonexistentPython(spec)).toBeUndefined();
    }
  );
});
