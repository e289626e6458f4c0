import {
  DEFAULT_MANIFEST_URL,
  archiveUrl,
  authorizationFor,
  describeNoRelease,
  manifestUrl,
  newestPerMinor,
  offerFor,
  parseManifest,
  pickRelease,
  toPythonVersion,
  type Manifest,
  type ReleaseTarget
} from '../../src/python/manifest.js';
import { normalizeVersion, parseVersionSpec } from '../../src/vocabulary/python-spec.js';
import { manifestFile, manifestRelease } from '../helpers/python-manifest.js';

const noble: ReleaseTarget = { platform: 'linux', platformVersion: '24.04', arch: 'x64' };

const manifest: Manifest = [
  manifestRelease('3.14.0-alpha.10'),
  manifestRelease('3.14.0-alpha.9'),
  manifestRelease('3.13.0-rc.2'),
  manifestRelease('3.12.10'),
  manifestRelease('3.12.9'),
  manifestRelease('3.12.2', { arches: ['x64', 'arm64', 'x64-freethreaded'] }),
  // Only for older Ubuntu releases, as old patch releases are.
  manifestRelease('3.11.99', { platformVersions: ['20.04', '22.04'] }),
  manifestRelease('3.11.7'),
  manifestRelease('3.10.16', { arches: ['arm64'] })
];

function pick(spec: string, target: Partial<ReleaseTarget> = {}, from = manifest) {
  const picked = pickRelease(from, parseVersionSpec(spec), { ...noble, ...target });
  return picked && { version: picked.release.version, file: picked.file.filename };
}

describe('pickRelease', () => {
  it('picks the newest stable release matching the spec, with the build for the runner', () => {
    expect(pick('3.12')).toEqual({
      version: '3.12.10',
      file: 'python-3.12.10-linux-24.04-x64.tar.gz'
    });
    expect(pick('3.x')?.version).toBe('3.12.10');
    expect(pick('>=3.10,<3.12')?.version).toBe('3.11.7');
    expect(pick('3.12, !=3.12.10')?.version).toBe('3.12.9');
    expect(pick('~=3.12.3')?.version).toBe('3.12.10');
  });

  it('orders versions numerically, not as text', () => {
    const shuffled = [
      manifestRelease('3.12.9'),
      manifestRelease('3.12.10'),
      manifestRelease('3.12.2')
    ];
    expect(pick('3.12', {}, shuffled)?.version).toBe('3.12.10');
    const alphas = [manifestRelease('3.14.0-alpha.9'), manifestRelease('3.14.0-alpha.10')];
    expect(pick('3.14', { allowPrereleases: true }, alphas)?.version).toBe('3.14.0-alpha.10');
  });

  it('skips prereleases unless allowed', () => {
    expect(pick('3.14')).toBeUndefined();
    expect(pick('3.13')).toBeUndefined();
    expect(pick('3.14', { allowPrereleases: true })?.version).toBe('3.14.0-alpha.10');
    expect(pick('3.13', { allowPrereleases: true })?.version).toBe('3.13.0-rc.2');
    // A prerelease stands for the release it precedes: 3.13.0rc2 is not "below 3.13".
    expect(pick('>=3.12,<3.13', { allowPrereleases: true })?.version).toBe('3.12.10');
    // With prereleases allowed, a newer prerelease wins over an older stable release.
    expect(pick('>=3.12', { allowPrereleases: true })?.version).toBe('3.14.0-alpha.10');
    expect(pick('>=3.12')?.version).toBe('3.12.10');
  });

  it('takes a prerelease named exactly, in either spelling', () => {
    expect(pick('3.13.0rc2')?.version).toBe('3.13.0-rc.2');
    expect(pick('3.14.0a9')?.version).toBe('3.14.0-alpha.9');
    expect(pick('3.13.0rc1')).toBeUndefined();
  });

  it('honours a stable: false flag even without a prerelease tag', () => {
    const flagged = [manifestRelease('3.12.11', {}, false), manifestRelease('3.12.10')];
    expect(pick('3.12', {}, flagged)?.version).toBe('3.12.10');
    expect(pick('3.12', { allowPrereleases: true }, flagged)?.version).toBe('3.12.11');
  });

  it('matches platform_version against the Ubuntu release', () => {
    expect(pick('3.11')?.version).toBe('3.11.7');
    expect(pick('3.11', { platformVersion: '22.04' })).toEqual({
      version: '3.11.99',
      file: 'python-3.11.99-linux-22.04-x64.tar.gz'
    });
    expect(pick('3.11', { platformVersion: '12' })).toBeUndefined();
    // A build without platform_version fits every release of the platform.
    const any = [
      { ...manifestRelease('3.12.1'), files: [{ ...manifestFile('3.12.1', 'linux', 'x64') }] }
    ];
    expect(pick('3.12', { platformVersion: '12' }, any)?.file).toBe(
      'python-3.12.1-linux-x64.tar.gz'
    );
  });

  it('matches the arch exactly (x64 is not x64-freethreaded)', () => {
    expect(pick('3.10')).toBeUndefined();
    expect(pick('3.10', { arch: 'arm64' })?.file).toBe('python-3.10.16-linux-24.04-arm64.tar.gz');
    expect(pick('3.12.2', { arch: 'x64-freethreaded' })?.file).toBe(
      'python-3.12.2-linux-24.04-x64-freethreaded.tar.gz'
    );
    expect(pick('3.12', { platform: 'darwin', platformVersion: '14' })?.file).toBe(
      'python-3.12.10-darwin-x64.tar.gz'
    );
  });

  it('returns undefined when nothing matches', () => {
    expect(pick('3.9')).toBeUndefined();
    expect(pick('3.12', {}, [])).toBeUndefined();
  });
});

describe('what the manifest offers', () => {
  it('lists stable versions and prereleases with a build for the target', () => {
    expect(offerFor(manifest, noble)).toEqual({
      stable: ['3.12.10', '3.12.9', '3.12.2', '3.11.7'],
      prereleases: ['3.14.0-alpha.10', '3.14.0-alpha.9', '3.13.0-rc.2'],
      platformVersions: ['20.04', '22.04', '24.04'],
      arches: ['arm64', 'x64', 'x64-freethreaded']
    });
    expect(newestPerMinor(['3.11.7', '3.12.9', '3.12.10'])).toEqual(['3.12.10', '3.11.7']);
  });

  it('names the offered versions and how to get prereleases', () => {
    const message = describeNoRelease(manifest, parseVersionSpec('3.9'), noble);
    expect(message).toContain('For linux 24.04 x64 it offers 3.12.10, 3.12.9, 3.12.2, 3.11.7;');
    expect(message).toContain(
      "prereleases: 3.14.0-alpha.10, 3.14.0-alpha.9, 3.13.0-rc.2 (set 'allow-prereleases: true'"
    );
    expect(message).toContain('Change the version spec to one of those');
    expect(
      describeNoRelease(manifest, parseVersionSpec('3.14'), { ...noble, allowPrereleases: true })
    ).not.toContain('allow-prereleases');
  });

  it('summarises a long list: the newest of each minor, and every patch of the minor asked for', () => {
    const many = [10, 11, 12, 13].flatMap(minor =>
      Array.from({ length: 5 }, (_, patch) => manifestRelease(`3.${minor}.${patch}`))
    );
    const message = describeNoRelease(many, parseVersionSpec('3.12.7'), noble);
    expect(message).toContain(
      'it offers 3.13.4, 3.12.4, 3.11.4, 3.10.4 (the newest of each minor version; 20 stable releases in all); of 3.12: 3.12.4, 3.12.3, 3.12.2, 3.12.1, 3.12.0.'
    );
  });

  it('says when the OS version has no builds at all, and why on another distribution', () => {
    const message = describeNoRelease(manifest, parseVersionSpec('3.12'), {
      ...noble,
      platformVersion: '12',
      distro: 'debian'
    });
    expect(message).toContain('no build for linux 12 x64');
    expect(message).toContain('builds are for 20.04, 22.04, 24.04');
    const unordered = [
      manifestRelease('3.12.1', { platformVersions: ['22.04', '20.04', '24.04'] })
    ];
    expect(offerFor(unordered, noble).platformVersions).toEqual(['20.04', '22.04', '24.04']);
    expect(message).toContain('This runner is debian 12');
    expect(
      describeNoRelease(manifest, parseVersionSpec('3.12'), { ...noble, arch: 's390x' })
    ).toContain('arches it has: arm64, x64, x64-freethreaded');
  });
});

describe('version spellings', () => {
  it.each([
    ['3.14.0-alpha.6', '3.14.0a6'],
    ['3.13.0-beta.1', '3.13.0b1'],
    ['3.13.0-rc.2', '3.13.0rc2'],
    ['3.12.8', '3.12.8']
  ])('%s is Python %s', (manifestVersion, python) => {
    expect(toPythonVersion(manifestVersion)).toBe(python);
    expect(normalizeVersion(manifestVersion)).toBe(normalizeVersion(python));
  });
});

describe('URLs', () => {
  it('reads python-mirror as a base URL or as the manifest itself', () => {
    expect(manifestUrl(undefined)).toBe(DEFAULT_MANIFEST_URL);
    expect(manifestUrl('  ')).toBe(DEFAULT_MANIFEST_URL);
    expect(manifestUrl('https://mirror.example/python')).toBe(
      'https://mirror.example/python/versions-manifest.json'
    );
    expect(manifestUrl('https://mirror.example/python/')).toBe(
      'https://mirror.example/python/versions-manifest.json'
    );
    expect(manifestUrl('https://mirror.example/py/manifest.json')).toBe(
      'https://mirror.example/py/manifest.json'
    );
    expect(() => manifestUrl('mirror.example/python')).toThrow(/must be an http\(s\) URL/);
    expect(() => manifestUrl('ftp://mirror.example/python')).toThrow(/must be an http\(s\) URL/);
  });

  it('downloads from the manifest URL, or from beside a mirror that copied the upstream manifest', () => {
    const file = manifestFile('3.12.8', 'linux', 'x64', '24.04');
    expect(archiveUrl(file, DEFAULT_MANIFEST_URL)).toBe(file.download_url);
    expect(archiveUrl(file, 'https://mirror.example/py/versions-manifest.json')).toBe(
      'https://mirror.example/py/python-3.12.8-linux-24.04-x64.tar.gz'
    );
    const own = { ...file, download_url: 'https://cdn.example/a/python.tar.gz' };
    expect(archiveUrl(own, 'https://mirror.example/py/versions-manifest.json')).toBe(
      'https://cdn.example/a/python.tar.gz'
    );
    const relative = { ...file, download_url: 'archives/python.tar.gz' };
    expect(archiveUrl(relative, 'https://mirror.example/py/versions-manifest.json')).toBe(
      'https://mirror.example/py/archives/python.tar.gz'
    );
  });

  it('sends the token to GitHub hosts only', () => {
    expect(authorizationFor(DEFAULT_MANIFEST_URL, 'tok')).toBe('token tok');
    expect(authorizationFor('https://github.com/actions/python-versions/releases/x', 'tok')).toBe(
      'token tok'
    );
    expect(
      authorizationFor('https://mirror.example/versions-manifest.json', 'tok')
    ).toBeUndefined();
    expect(authorizationFor('https://github.com.evil.example/x', 'tok')).toBeUndefined();
    expect(authorizationFor('https://notgithub.com/x', 'tok')).toBeUndefined();
    expect(authorizationFor(DEFAULT_MANIFEST_URL, '')).toBeUndefined();
  });
});

describe('parseManifest', () => {
  const url = 'https://mirror.example/versions-manifest.json';

  it('accepts the real format', () => {
    const text = JSON.stringify(manifest, null, 2);
    expect(parseManifest(`\uFEFF${text}`, url)).toEqual(manifest);
  });

  it('rejects invalid JSON and other shapes, naming the URL', () => {
    expect(() => parseManifest('<html>login</html>', url)).toThrow(
      /manifest from https:\/\/mirror.example\/versions-manifest.json is not valid JSON/
    );
    expect(() => parseManifest('{"versions": []}', url)).toThrow(
      /not a versions manifest: it is object/
    );
    expect(() => parseManifest('[{"version": "3.12.1", "stable": true}]', url)).toThrow(
      /entry 0 \(3.12.1\) has no 'files' list/
    );
    const noUrl = [
      { ...manifestRelease('3.12.1'), files: [{ filename: 'x', arch: 'x64', platform: 'linux' }] }
    ];
    expect(() => parseManifest(JSON.stringify(noUrl), url)).toThrow(
      /file 0 of entry 0 \(3.12.1\) has no 'download_url'/
    );
  });
});
