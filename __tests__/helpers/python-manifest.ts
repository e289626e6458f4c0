// Versions-manifest entries in the real actions/python-versions format (names, URLs, fields).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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

/**
 * An archive laid out like python-versions' (the prefix's files and setup.sh at the top),
 * whose bin/python3.X links to the machine's interpreter. `failure` is shell run just before
 * the marker would be written.
 */
export function buildPythonArchive(
  root: string,
  name: string,
  options: { version: string; executable: string; failure?: string; skipMarker?: boolean }
): string {
  const VERSION = options.version;
  const MINOR = VERSION.split('.').slice(0, 2).join('.');
  const dir = path.join(root, 'build', name);
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'lib'), { recursive: true });
  symlinkSync(options.executable, path.join(dir, 'bin', `python${MINOR}`));
  symlinkSync(`python${MINOR}`, path.join(dir, 'bin', 'python3'));
  // Incompressible bulk, so that a download cut short really is cut short.
  writeFileSync(path.join(dir, 'lib', 'padding.bin'), randomBytes(64 * 1024));
  writeFileSync(
    path.join(dir, 'setup.sh'),
    [
      'set -e',
      '',
      `PYTHON_FULL_VERSION="${VERSION}"`,
      'ARCH="x64"',
      "MAJOR_VERSION=$(echo $PYTHON_FULL_VERSION | cut -d '.' -f 1)",
      "MINOR_VERSION=$(echo $PYTHON_FULL_VERSION | cut -d '.' -f 2)",
      'PYTHON_MAJOR_DOT_MINOR=python$MAJOR_VERSION.$MINOR_VERSION',
      'PYTHON_MAJORMINOR=python$MAJOR_VERSION$MINOR_VERSION',
      '',
      'if [ -z ${AGENT_TOOLSDIRECTORY+x} ]; then',
      '    TOOLCACHE_ROOT=$RUNNER_TOOL_CACHE',
      'else',
      '    TOOLCACHE_ROOT=$AGENT_TOOLSDIRECTORY',
      'fi',
      'PYTHON_TOOLCACHE_PATH=$TOOLCACHE_ROOT/Python',
      'PYTHON_TOOLCACHE_VERSION_PATH=$PYTHON_TOOLCACHE_PATH/$PYTHON_FULL_VERSION',
      'PYTHON_TOOLCACHE_VERSION_ARCH_PATH=$PYTHON_TOOLCACHE_VERSION_PATH/$ARCH',
      '',
      'if [ ! -d $PYTHON_TOOLCACHE_PATH ]; then',
      '    mkdir -p $PYTHON_TOOLCACHE_PATH',
      'elif [ -d $PYTHON_TOOLCACHE_VERSION_PATH ]; then',
      '    rm -rf $PYTHON_TOOLCACHE_VERSION_PATH',
      'fi',
      'mkdir -p $PYTHON_TOOLCACHE_VERSION_ARCH_PATH',
      'cp -R ./* $PYTHON_TOOLCACHE_VERSION_ARCH_PATH',
      'rm $PYTHON_TOOLCACHE_VERSION_ARCH_PATH/setup.sh',
      'cd $PYTHON_TOOLCACHE_VERSION_ARCH_PATH',
      'ln -s ./bin/$PYTHON_MAJOR_DOT_MINOR python',
      'cd bin/',
      'ln -s $PYTHON_MAJOR_DOT_MINOR $PYTHON_MAJORMINOR',
      'if [ ! -f python ]; then',
      '    ln -s $PYTHON_MAJOR_DOT_MINOR python',
      'fi',
      // The real installer runs ensurepip and upgrades pip here.
      'echo "installer env: LD_LIBRARY_PATH=$LD_LIBRARY_PATH"',
      options.failure ?? '',
      options.skipMarker ? 'exit 0' : '',
      'touch $PYTHON_TOOLCACHE_VERSION_PATH/$ARCH.complete',
      ''
    ].join('\n')
  );
  const archive = path.join(root, 'archives', `${name}.tar.gz`);
  mkdirSync(path.dirname(archive), { recursive: true });
  execFileSync('tar', ['-czf', archive, '-C', dir, '.']);
  return archive;
}
