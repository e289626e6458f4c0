import { parseVersionSpec, pickNewest, satisfies, toSemver } from '../../src/python/spec.js';

const versions = ['3.9.18', '3.10.13', '3.11.2', '3.11.7', '3.12.1', '3.13.0', '3.14.0rc1'];

describe('parseVersionSpec', () => {
  it.each([
    ['3.11', '3.11.7'],
    ['3.11.2', '3.11.2'],
    ['3.x', '3.13.0'],
    ['3', '3.13.0'],
    ['>=3.10,<3.13', '3.12.1'],
    ['>=3.10, <3.12', '3.11.7'],
    ['~=3.10', '3.13.0'],
    ['~=3.11.0', '3.11.7'],
    ['==3.11.*', '3.11.7'],
    ['>=3.10,!=3.13.0', '3.12.1'],
    ['^3.10', '3.13.0'],
    ['~3.10', '3.10.13'],
    ['3.12.x', '3.12.1'],
    ['>3.9', '3.13.0']
  ])('resolves %s to the newest match %s', (spec, expected) => {
    expect(pickNewest(versions, parseVersionSpec(spec))).toBe(expected);
  });

  it('never picks a prerelease for a range', () => {
    expect(pickNewest(versions, parseVersionSpec('>=3.14'))).toBeUndefined();
  });

  it('picks a prerelease asked for exactly', () => {
    expect(satisfies('3.14.0rc1', parseVersionSpec('3.14.0rc1'))).toBe(true);
  });

  it('returns undefined when nothing matches', () => {
    expect(pickNewest(versions, parseVersionSpec('3.8'))).toBeUndefined();
  });

  it.each(['abc', '3.11; rm -rf /', '>=', '', 'latest'])(
    'rejects %j with a message naming the spec',
    spec => {
      expect(() => parseVersionSpec(spec)).toThrow(/is not a Python version spec/);
    }
  );

  it('says PyPy is not installed by this action', () => {
    expect(() => parseVersionSpec('pypy3.10')).toThrow(/PyPy/);
  });
});

describe('toSemver', () => {
  it.each([
    ['3.11', '3.11.0'],
    ['3.11.7', '3.11.7'],
    ['3.13.0rc1', '3.13.0-rc1'],
    ['3.13.0b2', '3.13.0-b2']
  ])('%s → %s', (input, expected) => expect(toSemver(input)).toBe(expected));
  it('rejects text', () => expect(toSemver('system')).toBeNull());
});
