// One helper strips credentials from every URL the action logs, stores or caches.
import { displayUrl, requestFor, urlSecrets } from '../../src/url.js';
import { ActionError } from '../../src/errors.js';
import { readInputs } from '../../src/inputs.js';
import { oracleCacheKey } from '../../src/oslibs/oracle/install.js';
import { resolveOracleRelease } from '../../src/oslibs/oracle/versions.js';

describe('displayUrl', () => {
  it.each([
    [
      'https://user:s3cret@mirror.example.com/oracle/x.zip',
      'https://mirror.example.com/oracle/x.zip'
    ],
    ['https://user:p@ss@mirror.example.com/x.zip', 'https://mirror.example.com/x.zip'],
    ['https://mirror.example.com/x.zip?sig=s3cret&se=2026', 'https://mirror.example.com/x.zip'],
    ['https://tok@mirror.example.com/x.zip#frag', 'https://mirror.example.com/x.zip'],
    ['http://127.0.0.1:8080/x.zip', 'http://127.0.0.1:8080/x.zip'],
    ['https://mirror.example.com/a@b/x.zip', 'https://mirror.example.com/a@b/x.zip']
  ])('%s → %s', (url, shown) => {
    expect(displayUrl(url)).toBe(shown);
  });
});

describe('urlSecrets', () => {
  it('names the password (as written and decoded) and the query string', () => {
    expect(urlSecrets('https://user:s%40cret@mirror.example.com/x?sig=abc')).toEqual([
      's%40cret',
      's@cret',
      'sig=abc'
    ]);
    expect(urlSecrets('https://mirror.example.com/x.zip')).toEqual([]);
    expect(urlSecrets('')).toEqual([]);
  });
});

describe('requestFor', () => {
  it('moves user:password into a Basic Authorization value, keeping the query', () => {
    expect(requestFor('https://deploy:p%40ss@mirror.example.com/x.zip?sig=1')).toEqual({
      url: 'https://mirror.example.com/x.zip?sig=1',
      authorization: `Basic ${Buffer.from('deploy:p@ss').toString('base64')}`
    });
    expect(requestFor('https://mirror.example.com/x.zip')).toEqual({
      url: 'https://mirror.example.com/x.zip'
    });
  });
});

describe('mirror credentials', () => {
  it('are not echoed by the input error', () => {
    let error: unknown;
    try {
      readInputs({
        GITHUB_WORKSPACE: '/work',
        'INPUT_ORACLE-INSTANT-CLIENT-URL': 'ftp://user:hunter2@mirror.example.com/oracle?sig=tok3n'
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toContain("'oracle-instant-client-url'");
    expect((error as Error).message).toContain('ftp://mirror.example.com/oracle');
    expect((error as Error).message).not.toMatch(/hunter2|tok3n/);
  });

  it('do not change the Oracle cache key (a rotated password keeps the entry)', () => {
    const key = (mirror: string): string =>
      oracleCacheKey(resolveOracleRelease('23.8', ['basic'], 'x64', { mirror }), 'x64');
    expect(key('https://u:one@mirror.example.com/oracle')).toBe(
      key('https://u:two@mirror.example.com/oracle')
    );
  });
});
