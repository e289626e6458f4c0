// The dependency-bump fallback's pure parts: the target sets, what to uninstall, what changed.
import {
  describeChanges,
  diffDistributions,
  normalizeName,
  parsePipReport,
  parseUvDryRun,
  plannedRemovals,
  supportsBump
} from '../../src/venv/bump.js';

describe('the set a cold build resolves', () => {
  it("reads pip's --report", () => {
    const report = JSON.stringify({
      version: '1',
      install: [
        { metadata: { name: 'Django', version: '5.2.17' }, download_info: { url: 'x' } },
        { metadata: { name: 'python_dotenv', version: '1.2.4' } },
        { metadata: { name: 'pip', version: '23.2.1' }, is_direct: true }
      ]
    });
    expect(parsePipReport(report)).toEqual({
      django: '5.2.17',
      'python-dotenv': '1.2.4',
      pip: '23.2.1'
    });
  });

  it("reads uv's --dry-run into an empty venv", () => {
    const output = [
      'Using Python 3.11.7 environment at: /tmp/empty-venv',
      'Resolved 4 packages in 4ms',
      'Would download 1 package',
      'Would install 4 packages',
      ' + asgiref==3.12.1',
      ' + django==5.2.17',
      ' + pip==23.2.1 (from file:///usr/lib/python3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl)',
      ' + Typing_Extensions==4.16.0'
    ].join('\n');
    expect(parseUvDryRun(output)).toEqual({
      asgiref: '3.12.1',
      django: '5.2.17',
      pip: '23.2.1',
      'typing-extensions': '4.16.0'
    });
  });

  it('normalizes names as PEP 503 does', () => {
    expect(normalizeName('Zope.Interface__x')).toBe('zope-interface-x');
  });
});

describe('bringing a venv to a set', () => {
  const installed = { django: '5.2.16', sqlparse: '0.5.3', six: '1.17.0', pip: '23.2.1' };
  const target = { django: '5.2.17', sqlparse: '0.5.3', 'dj-database-url': '3.1.2', pip: '23.2.1' };

  it('uninstalls what the new set lacks and what it holds at another version', () => {
    expect(plannedRemovals(installed, target)).toEqual(['django', 'six']);
  });

  it("keeps ensurepip's seed when the venv was made with it", () => {
    expect(
      plannedRemovals({ ...installed, setuptools: '65.5.0' }, target, ['pip', 'setuptools'])
    ).toEqual(['django', 'six']);
  });

  it('says what was added, upgraded and removed', () => {
    const changes = diffDistributions(installed, target);
    expect(changes).toEqual({
      added: ['dj-database-url 3.1.2'],
      upgraded: ['django 5.2.16 → 5.2.17'],
      removed: ['six 1.17.0']
    });
    expect(describeChanges(changes)).toBe(
      'added dj-database-url 3.1.2; upgraded django 5.2.16 → 5.2.17; removed six 1.17.0'
    );
    expect(describeChanges(diffDistributions(target, target))).toBe('no distribution changed');
  });

  it('falls back only where an exact sync is tested: pip projects and uv.lock', () => {
    expect(['pip', 'uv', 'poetry', 'pipenv'].filter(m => supportsBump(m as never))).toEqual([
      'pip',
      'uv'
    ]);
  });
});
