// `installer: pip | uv`: the input, pip's index settings translated for uv, and the key segment.
import { jest } from '@jest/globals';
import { buildCacheKey, cacheKeyPrefix, matchesKeyPrefix } from '../../src/cache/key.js';
import { chooseInstaller } from '../../src/venv/provision.js';
import type { DependencySource } from '../../src/venv/managers/types.js';
import { inputVariable, readInputs } from '../../src/inputs.js';
import {
  effectiveSetting,
  hideCredentials,
  parsePipConfigList,
  parsePythonRepr,
  pipConfigFromEnv,
  translatePipSettings
} from '../../src/venv/managers/pip-index.js';
import { uvPipInstallCommand } from '../../src/venv/managers/uv-pip.js';
import type { Platform } from '../../src/platform.js';

const workspace = '/home/runner/work/app/app';
const inputsWith = (installer?: string) =>
  readInputs({
    GITHUB_WORKSPACE: workspace,
    ...(installer === undefined ? {} : { [inputVariable('installer')]: installer })
  });

describe('the installer input', () => {
  it('defaults to pip', () => {
    expect(inputsWith().installer).toBe('pip');
    expect(inputsWith('').installer).toBe('pip');
  });

  it.each([
    ['uv', 'uv'],
    ['UV', 'uv'],
    ['pip', 'pip']
  ])('accepts %s', (raw, expected) => {
    expect(inputsWith(raw).installer).toBe(expected);
  });

  it('rejects anything else, naming the input and the accepted values', () => {
    expect(() => inputsWith('poetry')).toThrow(
      "Input 'installer' must be one of pip, uv (got 'poetry')."
    );
  });
});

// What `pip config list` printed on the machine this was written on (pip 23.2, Debian 12).
const MACHINE_CONFIG = [
  ":env:.cert='/etc/ssl/certs/ca-certificates.crt'",
  ":env:.default-timeout='180'",
  ":env:.disable-pip-version-check='1'",
  ":env:.find-links='/opt/wheels'",
  "global.cert='/etc/ssl/certs/ca-certificates.crt'",
  "global.constraint='/etc/xdg/pip/constraints.txt'",
  "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'",
  "global.find-links='/opt/wheels'"
].join('\n');

describe("reading pip's configuration", () => {
  it('reads the values pip prints with %r', () => {
    expect(parsePythonRepr("'a b'")).toBe('a b');
    expect(parsePythonRepr('"it\'s"')).toBe("it's");
    expect(parsePythonRepr("'line\\nnext \\\\ \\''")).toBe("line\nnext \\ '");
    expect(parsePythonRepr("'caf\\xe9'")).toBe('café');
    expect(parsePythonRepr('unquoted')).toBeUndefined();
    expect(parsePythonRepr("'open")).toBeUndefined();
  });

  it('parses `pip config list`', () => {
    const config = parsePipConfigList(MACHINE_CONFIG);
    expect(config['global.extra-index-url']).toBe(
      'file:///opt/pypi/simple file:///opt/pypi-more/simple'
    );
    expect(config[':env:.find-links']).toBe('/opt/wheels');
    expect(Object.keys(config)).toHaveLength(8);
  });

  it("follows pip's precedence: PIP_* variables, then [install], then [global]", () => {
    const config = {
      'global.index-url': 'https://global/simple',
      'install.index-url': 'https://install/simple'
    };
    expect(effectiveSetting(config, 'index-url')).toBe('https://install/simple');
    expect(
      effectiveSetting({ ...config, ':env:.index-url': 'https://env/simple' }, 'index-url')
    ).toBe('https://env/simple');
    expect(effectiveSetting(config, 'find-links')).toBeUndefined();
  });

  it('reads the PIP_* variables like pip does when pip itself cannot be asked', () => {
    expect(
      pipConfigFromEnv({ PIP_INDEX_URL: 'https://mirror/simple', PIP_FIND_LINKS: '/w', HOME: '/' })
    ).toEqual({ ':env:.index-url': 'https://mirror/simple', ':env:.find-links': '/w' });
  });
});

describe("translating pip's index settings for uv", () => {
  it("translates this machine's pip.conf: extra indexes, find-links, constraints, certificate", () => {
    const settings = translatePipSettings(parsePipConfigList(MACHINE_CONFIG));
    expect(settings.env).toEqual({
      UV_EXTRA_INDEX_URL: 'file:///opt/pypi/simple file:///opt/pypi-more/simple',
      UV_FIND_LINKS: '/opt/wheels',
      UV_INDEX_STRATEGY: 'unsafe-best-match',
      UV_CONSTRAINT: '/etc/xdg/pip/constraints.txt',
      SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt'
    });
    expect(settings.args).toEqual([]);
    expect(settings.ignored).toEqual([]);
    expect(settings.translated).toContain(
      'extra-index-url → UV_EXTRA_INDEX_URL=file:///opt/pypi/simple file:///opt/pypi-more/simple'
    );
  });

  it('lets PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_FIND_LINKS win over the files', () => {
    const settings = translatePipSettings({
      'global.index-url': 'https://files/simple',
      'global.extra-index-url': 'https://files-extra/simple',
      ':env:.index-url': 'https://env/simple',
      ':env:.extra-index-url': 'https://a/simple\nhttps://b/simple',
      ':env:.find-links': '/one /two'
    });
    expect(settings.env).toMatchObject({
      UV_INDEX_URL: 'https://env/simple',
      UV_EXTRA_INDEX_URL: 'https://a/simple https://b/simple',
      UV_FIND_LINKS: '/one,/two',
      UV_INDEX_STRATEGY: 'unsafe-best-match'
    });
  });

  it("keeps uv's default first-index strategy out when pip has a single index", () => {
    const settings = translatePipSettings({ ':env:.index-url': 'https://mirror/simple' });
    expect(settings.env).toEqual({ UV_INDEX_URL: 'https://mirror/simple' });
  });

  it('translates no-index, trusted-host and pre', () => {
    const settings = translatePipSettings({
      'global.no-index': 'true',
      ':env:.find-links': '/wheels',
      'global.trusted-host': 'mirror.local other.local',
      'install.pre': 'yes'
    });
    expect(settings.args).toEqual(['--no-index']);
    expect(settings.env).toMatchObject({
      UV_FIND_LINKS: '/wheels',
      UV_INSECURE_HOST: 'mirror.local other.local',
      UV_PRERELEASE: 'allow'
    });
  });

  it("leaves uv's own index settings alone, and says so", () => {
    const settings = translatePipSettings(
      { ':env:.index-url': 'https://pip/simple', 'global.constraint': '/c.txt' },
      { UV_DEFAULT_INDEX: 'https://uv/simple' }
    );
    expect(settings.env).toEqual({ UV_CONSTRAINT: '/c.txt' });
    expect(settings.translated.join('\n')).toMatch(
      /not translated, uv's own UV_DEFAULT_INDEX is set/
    );
  });

  it('leaves a variable the user set for uv alone (cert → SSL_CERT_FILE)', () => {
    const settings = translatePipSettings(
      { 'global.cert': '/pip/ca.pem', 'global.constraint': '/c.txt' },
      { SSL_CERT_FILE: '/mine/ca.pem' }
    );
    expect(settings.env).toEqual({ UV_CONSTRAINT: '/c.txt' });
    expect(settings.translated).toContain(
      'cert: not translated, SSL_CERT_FILE is already set for uv'
    );
  });

  it('hides credentials in what it logs, never in what uv gets', () => {
    const settings = translatePipSettings({
      ':env:.index-url': 'https://user:s3cret@mirror.example/simple'
    });
    expect(settings.env.UV_INDEX_URL).toBe('https://user:s3cret@mirror.example/simple');
    expect(settings.translated.join('\n')).not.toMatch(/s3cret/);
    expect(hideCredentials('https://token@host/simple')).toBe('https://***@host/simple');
    expect(hideCredentials('file:///opt/pypi/simple')).toBe('file:///opt/pypi/simple');
  });

  it("names the pip settings uv does not get, but not pip's own behaviour knobs", () => {
    const settings = translatePipSettings({
      'global.only-binary': ':all:',
      'global.timeout': '60',
      ':env:.disable-pip-version-check': '1'
    });
    expect(settings.ignored).toEqual(['only-binary']);
  });

  it('passes URLs through the environment, never the command line', () => {
    const settings = translatePipSettings({ ':env:.index-url': 'https://u:p@mirror/simple' });
    const command = uvPipInstallCommand(
      { executable: '/tools/uv' },
      {
        venvPath: '/app/.venv',
        files: ['/app/requirements.txt'],
        specs: [],
        extra: ['/py/pip.whl'],
        cwd: '/app'
      },
      settings
    );
    expect(command.args).toEqual([
      'pip',
      'install',
      '--python',
      '/app/.venv/bin/python',
      '-r',
      '/app/requirements.txt',
      '/py/pip.whl'
    ]);
    expect(command.args.join(' ')).not.toMatch(/mirror/);
    expect(command.env).toMatchObject({
      UV_INDEX_URL: 'https://u:p@mirror/simple',
      UV_PYTHON_DOWNLOADS: 'never',
      VIRTUAL_ENV: '/app/.venv'
    });
  });
});

describe('the installer in the cache key', () => {
  const platform: Platform = {
    os: 'linux',
    distro: 'ubuntu',
    distroVersion: '24.04',
    arch: 'x64'
  } as Platform;
  const parts = {
    platform,
    pythonVersion: '3.12.3',
    pythonExecutable: '/opt/hostedtoolcache/Python/3.12.3/x64/bin/python3.12',
    venvPath: '/home/runner/work/app/app/.venv',
    packageManager: 'pip',
    dependencyHash: 'a'.repeat(64),
    suffix: ''
  };

  it('is a segment after the manager: pip and uv builds never share an entry', () => {
    const pip = buildCacheKey({ ...parts, installer: 'pip' });
    const uv = buildCacheKey({ ...parts, installer: 'uv' });
    expect(pip).toMatch(/-pip-pip-a{32}$/);
    expect(uv).toMatch(/-pip-uv-a{32}$/);
    expect(uv.replace('-pip-uv-', '-pip-pip-')).toBe(pip);
  });

  it('is absent for lock-file managers, which install their own', () => {
    expect(buildCacheKey({ ...parts, packageManager: 'poetry' })).toMatch(/-poetry-a{32}$/);
  });

  it('keeps the suffix in the prefix, before the dependency hash', () => {
    const key = buildCacheKey({ ...parts, installer: 'uv', suffix: 'libpq16' });
    expect(key).toMatch(/-pip-uv-libpq16-a{32}$/);
    expect(key.startsWith(cacheKeyPrefix({ ...parts, installer: 'uv', suffix: 'libpq16' }))).toBe(
      true
    );
  });

  it('matches a prefix only with a dependency hash right after it', () => {
    const prefix = cacheKeyPrefix({ ...parts, installer: 'uv', suffix: 'dev' });
    expect(matchesKeyPrefix(`${prefix}${'b'.repeat(32)}`, prefix)).toBe(true);
    // Another suffix that starts like ours, another installer: not ours.
    expect(matchesKeyPrefix(`${prefix}x-${'b'.repeat(32)}`, prefix)).toBe(false);
    const pipPrefix = cacheKeyPrefix({ ...parts, installer: 'pip', suffix: 'dev' });
    expect(matchesKeyPrefix(`${pipPrefix}${'b'.repeat(32)}`, prefix)).toBe(false);
    const bare = cacheKeyPrefix({ ...parts, installer: 'uv' });
    expect(matchesKeyPrefix(`${prefix}${'b'.repeat(32)}`, bare)).toBe(false);
  });
});

describe('which installer runs', () => {
  const source = (manager: DependencySource['manager']): DependencySource => ({
    manager,
    projectDir: '/app',
    dependencyFiles: [],
    requirementFiles: [],
    groups: [],
    reason: manager === 'pip' ? 'requirements.txt found' : `${manager}.lock found`
  });
  const logged = (fn: () => string): { value: string; out: string } => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      written.push(String(chunk));
      return true;
    });
    try {
      return { value: fn(), out: written.join('') };
    } finally {
      spy.mockRestore();
    }
  };

  it('is the input for pip projects, and the log says so', () => {
    const uv = logged(() => chooseInstaller('uv', source('pip')));
    expect(uv.value).toBe('uv');
    expect(uv.out).toMatch(/Installer: uv \('installer: uv'\)/);
    expect(logged(() => chooseInstaller('pip', source('pip'))).out).toMatch(/Installer: pip\./);
  });

  it('is the lock-file manager otherwise, with a notice when installer: uv asked for uv', () => {
    const poetry = logged(() => chooseInstaller('uv', source('poetry')));
    expect(poetry.value).toBe('poetry');
    expect(poetry.out).toMatch(
      /::notice::'installer: uv' applies to pip requirements and pyproject.toml projects; poetry.lock found, so poetry installs the dependencies\./
    );
    expect(logged(() => chooseInstaller('uv', source('uv'))).out).not.toMatch(/::notice::/);
    expect(logged(() => chooseInstaller('pip', source('pipenv'))).out).not.toMatch(/::notice::/);
  });
});
