// The Oracle Instant Client version table and its resolution: URLs, checksums, pins, mirrors,
// components; and the zip entry checks that guard extraction.
import { ActionError } from '../../src/errors.js';
import { oracleCacheKey, oracleEnvironment } from '../../src/oslibs/oracle/install.js';
import {
  ORACLE_RELEASES,
  knownVersions,
  parseOracleComponents,
  parseOracleSha256,
  resolveOracleRelease
} from '../../src/oslibs/oracle/versions.js';
import { checkInstantClientEntries, type ZipEntry } from '../../src/oslibs/oracle/zip.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('the version table', () => {
  it('has well-formed entries, newest first, with lower-case SHA-256 values', () => {
    const numeric = (v: string) => v.split('.').map(Number);
    for (const entry of ORACLE_RELEASES) {
      expect(entry.version).toMatch(/^\d+\.\d+\.\d+\.\d+\.\d+$/);
      expect(entry.directory).toMatch(/^\d+$/);
      for (const byComponent of Object.values(entry.sha256)) {
        for (const sha of Object.values(byComponent ?? {})) expect(sha).toMatch(/^[0-9a-f]{64}$/);
      }
      for (const arch of Object.keys(entry.sha256)) expect(entry.arches).toContain(arch);
    }
    const versions = ORACLE_RELEASES.map(e => numeric(e.version));
    for (let i = 1; i < versions.length; i++) {
      const [a, b] = [versions[i - 1], versions[i]];
      const order = a.findIndex((part, j) => part !== b[j]);
      expect(a[order]).toBeGreaterThan(b[order]);
    }
  });

  it('covers current 23, 21 and 19 releases for x64, and 23 and 19 for arm64', () => {
    expect(knownVersions('x64')).toEqual(
      expect.arrayContaining(['23.26.3.0.0', '21.20.0.0.0', '19.30.0.0.0'])
    );
    expect(knownVersions('arm64')).toEqual(expect.arrayContaining(['23.26.3.0.0', '19.30.0.0.0']));
    expect(knownVersions('arm64').some(v => v.startsWith('21.'))).toBe(false);
  });
});

describe('resolveOracleRelease', () => {
  it("builds Oracle's URL and file name for a 23ai version", () => {
    const [basic] = resolveOracleRelease('23.8', ['basic'], 'x64');
    expect(basic).toEqual({
      component: 'basic',
      url: 'https://download.oracle.com/otn_software/linux/instantclient/2380000/instantclient-basic-linux.x64-23.8.0.25.04.zip',
      fileName: 'instantclient-basic-linux.x64-23.8.0.25.04.zip',
      version: '23.8.0.25.04',
      dirName: 'instantclient_23_8'
    });
  });

  it('uses the dbru suffix of 19c and 21c, and arm64 names', () => {
    const [basic, sdk] = resolveOracleRelease('19.30', ['basic', 'sdk'], 'arm64');
    expect(basic.fileName).toBe('instantclient-basic-linux.arm64-19.30.0.0.0dbru.zip');
    expect(sdk.url).toBe(
      'https://download.oracle.com/otn_software/linux/instantclient/1930000/instantclient-sdk-linux.arm64-19.30.0.0.0dbru.zip'
    );
    expect(basic.dirName).toBe('instantclient_19_30');
  });

  it('carries the published checksum and marks its source', () => {
    const [basiclite] = resolveOracleRelease('23.8', ['basiclite'], 'arm64');
    expect(basiclite.sha256).toBe(
      '1d27641f16df1b1384f5d61cdcbd95a5ca57ba5d25ed881edde56543f8c6d135'
    );
    expect(basiclite.sha256Source).toBe('table');
    const [sdk] = resolveOracleRelease('23.26.1', ['sdk'], 'x64');
    expect(sdk.sha256).toBe('2d7ef8ec14c3e0240221620c12ce94d047092c9065171db17778cce7b1fdd5db');
  });

  it('leaves the checksum undefined where none was published, unless pinned', () => {
    expect(resolveOracleRelease('19.30', ['basic'], 'x64')[0].sha256).toBeUndefined();
    const [pinned] = resolveOracleRelease('19.30', ['basic'], 'x64', {
      sha256Overrides: { basic: SHA_A }
    });
    expect(pinned).toMatchObject({ sha256: SHA_A, sha256Source: 'input' });
  });

  it('lets a pin win over the table', () => {
    const [pinned] = resolveOracleRelease('23.8', ['basiclite'], 'x64', {
      sha256Overrides: { basiclite: SHA_B }
    });
    expect(pinned.sha256).toBe(SHA_B);
  });

  it('picks the newest release matching a prefix', () => {
    expect(resolveOracleRelease('23', ['basic'], 'x64')[0].version).toBe(
      ORACLE_RELEASES[0].version
    );
    expect(resolveOracleRelease('23.26', ['basic'], 'x64')[0].version).toBe('23.26.3.0.0');
    expect(resolveOracleRelease('21', ['basic'], 'x64')[0].version).toBe('21.20.0.0.0');
    expect(resolveOracleRelease('23.8.0.25.04', ['basic'], 'x64')[0].version).toBe('23.8.0.25.04');
  });

  it('does not mistake 23.2 for 23.26', () => {
    expect(() => resolveOracleRelease('23.2', ['basic'], 'x64')).toThrow(
      /not in the version table/
    );
  });

  it('replaces the base URL with a mirror and keeps the file name', () => {
    const [basic] = resolveOracleRelease('23.8', ['basic'], 'x64', {
      mirror: 'https://mirror.example.com/oracle/'
    });
    expect(basic.url).toBe(
      'https://mirror.example.com/oracle/instantclient-basic-linux.x64-23.8.0.25.04.zip'
    );
  });

  it('accepts a full version the table lacks only with a mirror', () => {
    const [basic] = resolveOracleRelease('23.5.0.24.07', ['basic'], 'x64', {
      mirror: 'http://127.0.0.1:1'
    });
    expect(basic.url).toBe('http://127.0.0.1:1/instantclient-basic-linux.x64-23.5.0.24.07.zip');
    expect(basic.dirName).toBe('instantclient_23_5');
    expect(
      resolveOracleRelease('19.9.0.0.0', ['basic'], 'x64', { mirror: 'http://m' })[0].fileName
    ).toBe('instantclient-basic-linux.x64-19.9.0.0.0dbru.zip');
    expect(() => resolveOracleRelease('23.5.0.24.07', ['basic'], 'x64')).toThrow(ActionError);
  });

  it('lists the known versions for an unknown one', () => {
    expect(() => resolveOracleRelease('18.5', ['basic'], 'x64')).toThrow(
      /'oracle-instant-client' is '18.5'.*Known versions for Linux x64: 23\.26\.3\.0\.0, .*19\.10\.0\.0\.0/s
    );
    expect(() => resolveOracleRelease('twenty', ['basic'], 'x64')).toThrow(
      /neither 'latest' nor a version/
    );
  });

  it('says when Oracle does not publish a version for the arch', () => {
    expect(() => resolveOracleRelease('21.18', ['basic'], 'arm64')).toThrow(
      /does not publish for Linux arm64/
    );
  });

  it("uses Oracle's permalinks for latest, without a checksum", () => {
    const [basic, sqlplus] = resolveOracleRelease('latest', ['basic', 'sqlplus'], 'x64');
    expect(basic.url).toBe(
      'https://download.oracle.com/otn_software/linux/instantclient/instantclient-basic-linuxx64.zip'
    );
    expect(sqlplus.fileName).toBe('instantclient-sqlplus-linuxx64.zip');
    expect(basic.sha256).toBeUndefined();
    expect(basic.dirName).toBeUndefined();
    expect(resolveOracleRelease('latest', ['basiclite'], 'arm64')[0].fileName).toBe(
      'instantclient-basiclite-linux-arm64.zip'
    );
  });

  it('refuses other architectures and non-http mirrors', () => {
    expect(() => resolveOracleRelease('23.8', ['basic'], 'ppc64')).toThrow(
      /x64 and arm64 only; this runner is ppc64/
    );
    expect(() => resolveOracleRelease('23.8', ['basic'], 'x64', { mirror: 'file:///etc' })).toThrow(
      /'oracle-instant-client-url' must be an http\(s\) base URL/
    );
  });
});

describe('parseOracleComponents', () => {
  it('defaults to basic and puts the base first', () => {
    expect(parseOracleComponents('')).toEqual(['basic']);
    expect(parseOracleComponents('sqlplus sdk basiclite')).toEqual(['basiclite', 'sdk', 'sqlplus']);
    expect(parseOracleComponents('basic,\nsdk')).toEqual(['basic', 'sdk']);
  });
  it('needs exactly one of basic and basiclite', () => {
    expect(() => parseOracleComponents('sdk')).toThrow(
      /exactly one of 'basic' or 'basiclite' \(got neither\)/
    );
    expect(() => parseOracleComponents('basic basiclite')).toThrow(/got both/);
  });
  it('names unknown components', () => {
    expect(() => parseOracleComponents('basic odbc tools')).toThrow(
      /unknown components 'odbc', 'tools'/
    );
  });
});

describe('parseOracleSha256', () => {
  it('reads component=sha256 pairs and a lone checksum for the base zip', () => {
    expect(
      parseOracleSha256(`basic=${SHA_A}\nsdk:${SHA_B.toUpperCase()}`, ['basic', 'sdk'])
    ).toEqual({
      basic: SHA_A,
      sdk: SHA_B
    });
    expect(parseOracleSha256(SHA_A, ['basiclite'])).toEqual({ basiclite: SHA_A });
    expect(parseOracleSha256('', ['basic'])).toEqual({});
  });
  it('rejects malformed values, naming the input', () => {
    expect(() => parseOracleSha256('basic=1234', ['basic'])).toThrow(
      /'oracle-instant-client-sha256' has 'basic=1234'/
    );
    expect(() => parseOracleSha256(`sqlplus=${SHA_A}`, ['basic'])).toThrow(
      /not among the components/
    );
    expect(() => parseOracleSha256(`${SHA_A} ${SHA_B}`, ['basic', 'sdk'])).toThrow(
      /bare checksum among several/
    );
    expect(() => parseOracleSha256('$(id)', ['basic'])).toThrow(ActionError);
  });
});

describe('oracleCacheKey', () => {
  it('changes with the checksum and names version, arch and components', () => {
    const plain = resolveOracleRelease('23.8', ['basic', 'sdk'], 'x64');
    const pinned = resolveOracleRelease('23.8', ['basic', 'sdk'], 'x64', {
      sha256Overrides: { basic: SHA_A }
    });
    expect(oracleCacheKey(plain, 'x64')).toMatch(
      /^setup-django-oracle-23\.8\.0\.25\.04-x64-basic\+sdk-[0-9a-f]{16}$/
    );
    expect(oracleCacheKey(plain, 'x64')).not.toBe(oracleCacheKey(pinned, 'x64'));
  });
});

describe('oracleEnvironment', () => {
  it('puts the client first in LD_LIBRARY_PATH, keeping what was there once', () => {
    expect(oracleEnvironment('/tc/ic', {})).toEqual({ LD_LIBRARY_PATH: '/tc/ic' });
    expect(oracleEnvironment('/tc/ic', { LD_LIBRARY_PATH: '/a::/tc/ic:/b' })).toEqual({
      LD_LIBRARY_PATH: '/tc/ic:/a:/b'
    });
  });
});

describe('checkInstantClientEntries', () => {
  const file = (name: string): ZipEntry => ({
    name,
    isDirectory: name.endsWith('/'),
    isSymlink: false
  });
  const link = (name: string, linkTarget: string): ZipEntry => ({
    name,
    isDirectory: false,
    isSymlink: true,
    linkTarget
  });
  const good = [
    file('META-INF/MANIFEST.MF'),
    file('instantclient_23_8/'),
    file('instantclient_23_8/libclntsh.so.23.1'),
    link('instantclient_23_8/libclntsh.so', 'libclntsh.so.23.1'),
    file('instantclient_23_8/network/admin/README')
  ];

  it("returns the client directory of Oracle's layout", () => {
    expect(checkInstantClientEntries(good, 'z.zip')).toBe('instantclient_23_8');
  });

  it.each([
    'instantclient_23_8/../../evil.txt',
    '../evil.txt',
    '/etc/cron.d/evil',
    'instantclient_23_8\\..\\..\\evil.txt',
    'C:/evil.txt',
    'META-INF/../../evil'
  ])('refuses %j, naming it', name => {
    expect(() => checkInstantClientEntries([...good, file(name)], 'z.zip')).toThrow(
      new RegExp(
        `would be written outside the target directory: '${name.replace(/[\\.]/g, m => `\\${m}`)}'`
      )
    );
  });

  it('refuses entries outside the single client directory', () => {
    expect(() => checkInstantClientEntries([...good, file('bin/evil')], 'z.zip')).toThrow(
      /outside an instantclient_/
    );
    expect(() =>
      checkInstantClientEntries([...good, file('instantclient_19_3/x')], 'z.zip')
    ).toThrow(/outside instantclient_23_8\//);
  });

  it('refuses symlinks pointing outside the client directory', () => {
    expect(() =>
      checkInstantClientEntries(
        [...good, link('instantclient_23_8/x', '../../etc/passwd')],
        'z.zip'
      )
    ).toThrow(/symlink pointing outside/);
    expect(() =>
      checkInstantClientEntries([...good, link('instantclient_23_8/x', '/etc/passwd')], 'z.zip')
    ).toThrow(/symlink pointing outside/);
    expect(
      checkInstantClientEntries(
        [...good, link('instantclient_23_8/sdk/x', '../libclntsh.so')],
        'z.zip'
      )
    ).toBe('instantclient_23_8');
  });
});
