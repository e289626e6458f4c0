import {
  excludesExactly,
  mayMatchSeries,
  newestFirst,
  normalizeVersion,
  parseVersionSpec,
  pickNewest,
  releaseOf,
  satisfies
} from '../../src/vocabulary/python-spec.js';

const versions = [
  '3.9.18',
  '3.10.13',
  '3.11.2',
  '3.11.7',
  '3.12.0',
  '3.12.1',
  '3.13.0',
  '3.14.0rc1'
];

describe('parseVersionSpec', () => {
  // The forms README.md documents, and PEP 440 specifiers as pip reads them.
  it.each([
    ['3.11', '3.11.7'],
    ['3.11.2', '3.11.2'],
    ['3.x', '3.13.0'],
    ['3', '3.13.0'],
    ['>=3.10,<3.13', '3.12.1'],
    ['>=3.10, <3.12', '3.11.7'],
    ['>= 3.10 , < 3.12', '3.11.7'],
    ['~=3.10', '3.13.0'],
    ['~=3.11.0', '3.11.7'],
    ['==3.11.*', '3.11.7'],
    ['>=3.10,!=3.13.0', '3.12.1'],
    ['^3.10', '3.13.0'],
    ['^3.11', '3.13.0'],
    ['~3.10', '3.10.13'],
    ['3.12.x', '3.12.1'],
    ['3.12.*', '3.12.1'],
    ['>3.9', '3.13.0'],
    ['>=3.9,!=3.10.*', '3.13.0'],
    ['>=3.9,!=3.10.*,<3.12', '3.11.7'],
    ['==3.12', '3.12.0'],
    ['==3.12.0', '3.12.0'],
    ['===3.12.1', '3.12.1'],
    ['<3.12', '3.11.7'],
    ['<=3.12', '3.12.0'],
    ['3.9 || 3.11', '3.11.7'],
    ['>=3.10,<3.13,', '3.12.1']
  ])('resolves %s to the newest match %s', (spec, expected) => {
    expect(pickNewest(versions, parseVersionSpec(spec))).toBe(expected);
  });

  it('reads >=3.9,!=3.10.* (a valid requires-python) as PEP 440 does: no 3.10 release', () => {
    const spec = parseVersionSpec('>=3.9,!=3.10.*');
    expect(satisfies('3.9.18', spec)).toBe(true);
    expect(satisfies('3.10.0', spec)).toBe(false);
    expect(satisfies('3.10.13', spec)).toBe(false);
    expect(satisfies('3.11.2', spec)).toBe(true);
  });

  it('reads ==3.12 as pip does (3.12.0 through zero padding), and a bare 3.12 as the series', () => {
    expect(satisfies('3.12.0', parseVersionSpec('==3.12'))).toBe(true);
    expect(satisfies('3.12.1', parseVersionSpec('==3.12'))).toBe(false);
    expect(satisfies('3.12.1', parseVersionSpec('==3.12.*'))).toBe(true);
    expect(satisfies('3.12.9', parseVersionSpec('3.12'))).toBe(true);
    expect(satisfies('3.13.0', parseVersionSpec('3.12'))).toBe(false);
    expect(parseVersionSpec('==3.12').alternatives).toEqual(['==3.12']);
    expect(parseVersionSpec('3.12').alternatives).toEqual(['==3.12.*']);
    expect(parseVersionSpec('3.12.1').alternatives).toEqual(['==3.12.1']);
    expect(parseVersionSpec('^3.10').alternatives).toEqual(['>=3.10,<4']);
  });

  it('never picks a prerelease for a range or a series', () => {
    expect(pickNewest(versions, parseVersionSpec('>=3.14'))).toBeUndefined();
    expect(pickNewest(versions, parseVersionSpec('3.14'))).toBeUndefined();
  });

  it('picks a prerelease a spec names (PEP 440)', () => {
    expect(satisfies('3.14.0rc1', parseVersionSpec('3.14.0rc1'))).toBe(true);
    expect(satisfies('3.14.0rc1', parseVersionSpec('==3.14.0rc1'))).toBe(true);
    expect(satisfies('3.14.0rc1', parseVersionSpec('>=3.14.0b1'))).toBe(true);
    expect(satisfies('3.14.0rc1', parseVersionSpec('>=3.14'), { prereleases: true })).toBe(false);
  });

  it('matches the tool cache spelling of prereleases', () => {
    expect(satisfies('3.14.0-rc.1', parseVersionSpec('3.14.0rc1'))).toBe(true);
    expect(pickNewest(['3.14.0-alpha.9', '3.14.0-alpha.10'], parseVersionSpec('>=3.14.0a1'))).toBe(
      '3.14.0-alpha.10'
    );
  });

  it('returns undefined when nothing matches', () => {
    expect(pickNewest(versions, parseVersionSpec('3.8'))).toBeUndefined();
  });

  it.each([
    'abc',
    '3.11; rm -rf /',
    '>=',
    '',
    'latest',
    '>=3.9;',
    '~=3',
    '==3.*.1',
    '>=3.10.*',
    '3.11 3.12',
    '||'
  ])('rejects %j with a message naming the spec', spec => {
    expect(() => parseVersionSpec(spec)).toThrow(/is not a Python version spec/);
  });

  it('says PyPy is not installed by this action', () => {
    expect(() => parseVersionSpec('pypy3.10')).toThrow(/PyPy/);
  });
});

describe('version helpers', () => {
  it.each([
    ['3.11', '3.11'],
    ['3.11.7', '3.11.7'],
    ['3.13.0rc1', '3.13.0rc1'],
    ['3.14.0-alpha.6', '3.14.0a6'],
    ['3.13.0-rc.2', '3.13.0rc2']
  ])('normalizes %s to %s', (input, expected) => expect(normalizeVersion(input)).toBe(expected));

  it('rejects text', () => expect(normalizeVersion('system')).toBeNull());

  it('orders prereleases numerically and before their release', () => {
    expect(['3.14.0a9', '3.14.0', '3.14.0a10', '3.13.1'].sort(newestFirst)).toEqual([
      '3.14.0',
      '3.14.0a10',
      '3.14.0a9',
      '3.13.1'
    ]);
    expect(releaseOf('3.14.0rc1')).toBe('3.14.0');
  });

  it('knows which minor series a spec can match (to probe few interpreters)', () => {
    const spec = parseVersionSpec('>=3.9,!=3.10.*,<3.12');
    expect([9, 10, 11, 12].map(minor => mayMatchSeries(spec, 3, minor))).toEqual([
      true,
      false,
      true,
      false
    ]);
    expect(mayMatchSeries(parseVersionSpec('3.14.0rc1'), 3, 14)).toBe(true);
  });

  it('sees a prerelease excluded by name', () => {
    expect(excludesExactly('3.14.0rc1', parseVersionSpec('>=3.13,!=3.14.0rc1'))).toBe(true);
    expect(excludesExactly('3.14.0rc2', parseVersionSpec('>=3.13,!=3.14.0rc1'))).toBe(false);
  });
});
