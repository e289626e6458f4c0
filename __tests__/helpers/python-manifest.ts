// Versions-manifest entries in the real actions/python-versions format (names, URLs, fields).
import type { ManifestFile, ManifestRelease } from '../../src/python/manifest.js';

const RELEASES = 'https://github.com/actions/python-versions/releases';

/** A build the way the manifest lists it: `python-3.12.8-linux-24.04-x64.tar.gz`. */
export function manifestFile(
  version: string,
  platform: 'linux' | 'darwin' | 'win32',
  arch: string,
  platformVersion?: string
): ManifestFile {
  const name = [`python-${version}`, platform, platformVersion, arch].filter(Boolean).join('-');
  const filename = `${name}${platform === 'win32' ? '.zip' : '.tar.gz'}`;
  const tag = `${version}-13890321974`;
  return {
    filename,
    arch,
    platform,
    ...(platformVersion ? { platform_version: platformVersion } : {}),
    download_url: `${RELEASES}/download/${tag}/${filename}`
  };
}

/** Linux builds for these Ubuntu releases and arches, plus macOS and Windows ones. */
export function manifestRelease(
  version: string,
  linux: { platformVersions?: string[]; arches?: string[] } = {},
  stable = !/-(alpha|beta|rc)\./.test(version)
): ManifestRelease {
  const platformVersions = linux.platformVersions ?? ['20.04', '22.04', '24.04'];
  const arches = linux.arches ?? ['x64', 'arm64'];
  return {
    version,
    stable,
    release_url: `${RELEASES}/tag/${version}-13890321974`,
    files: [
      manifestFile(version, 'darwin', 'arm64'),
      manifestFile(version, 'darwin', 'x64'),
      ...platformVersions.flatMap(pv =>
        arches.map(arch => manifestFile(version, 'linux', arch, pv))
      ),
      manifestFile(version, 'win32', 'x64')
    ]
  };
}
