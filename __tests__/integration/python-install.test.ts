// installPython for real: a local server plays actions/python-versions (a manifest in the real
// format, archives built here), and the real code downloads (@actions/tool-cache), unpacks
// (tar), runs the archive's setup.sh into a fresh tool cache and probes the result. The
// archives wrap the machine's own interpreter: their setup.sh does what the real one does
// (installers/nix-setup-template.sh) except upgrading pip, which needs PyPI.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionError } from '../../src/errors.js';
import { findPython } from '../../src/python/find.js';
import { installPython, type InstallPythonOptions } from '../../src/python/install.js';
import type { Manifest } from '../../src/python/manifest.js';
import { parseVersionSpec } from '../../src/vocabulary/python-spec.js';
import type { Platform } from '../../src/platform.js';
import { startFileServer, type FileRoute, type FileServer } from '../helpers/file-server.js';
import { buildPythonArchive, manifestFile, manifestRelease } from '../helpers/python-manifest.js';

// @actions/tool-cache sleeps 10-20 s between download attempts; these globals shorten that.
const globals = globalThis as Record<string, unknown>;
globals.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS = 0;
globals.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS = 0;

/** The interpreter the archives wrap: python3 on PATH, resolved (e.g. pyenv's 3.11.7). */
const machine = JSON.parse(
  execFileSync(
    'python3',
    [
      '-c',
      'import sys, os, json; print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "final": sys.version_info[3] == "final", "executable": os.path.realpath(sys.executable)}))'
    ],
    { encoding: 'utf8' }
  )
) as { version: string; final: boolean; executable: string };
const VERSION = machine.version;
const MINOR = VERSION.split('.').slice(0, 2).join('.');
const FILENAME = `python-${VERSION}-linux-24.04-x64.tar.gz`;

const platform: Platform = { os: 'linux', distro: 'ubuntu', distroVersion: '24.04', arch: 'x64' };
const source = { spec: MINOR, source: 'file .python-version' };

const root = mkdtempSync(path.join(os.tmpdir(), 'python-install-it-'));
let server: FileServer;

function buildArchive(
  name: string,
  options: { failure?: string; skipMarker?: boolean } = {}
): string {
  return buildPythonArchive(root, name, {
    version: VERSION,
    executable: machine.executable,
    ...options
  });
}

/** The machine's version on Ubuntu 24.04 x64 among other releases, builds and prereleases. */
const manifest: Manifest = [
  manifestRelease(`${MINOR}.99`, { platformVersions: ['22.04'] }),
  manifestRelease(VERSION),
  manifestRelease(`${MINOR}.0`),
  manifestRelease('3.99.0-rc.1'),
  manifestRelease('3.98.5', { arches: ['arm64'] }),
  { ...manifestRelease('3.97.1'), files: [manifestFile('3.97.1', 'win32', 'x64')] }
];
const manifestJson = JSON.stringify(manifest, null, 2);

beforeAll(async () => {
  expect(machine.final).toBe(true);
  const good = buildArchive('good');
  const failing = buildArchive('failing', { failure: 'echo "simulated failure" >&2; exit 1' });
  const noMarker = buildArchive('no-marker', { skipMarker: true });
  // A good build plus one member that climbs out of the unpack folder.
  const escaping = path.join(root, 'archives', 'escaping.tar.gz');
  execFileSync('python3', [
    '-c',
    [
      'import io, sys, tarfile',
      'src, out = sys.argv[1:3]',
      'with tarfile.open(src) as good, tarfile.open(out, "w:gz") as tar:',
      '    for member in good.getmembers():',
      '        tar.addfile(member, good.extractfile(member) if member.isfile() else None)',
      '    evil = tarfile.TarInfo("../../escaped-python.txt"); evil.size = 5',
      '    tar.addfile(evil, io.BytesIO(b"pwned"))'
    ].join('\n'),
    good,
    escaping
  ]);
  const routes: Record<string, FileRoute> = {
    '/invalid-json/versions-manifest.json': { body: '[{"version": "3.12.8", "stable": tr' }
  };
  for (const [scenario, archive] of Object.entries({
    ok: { file: good },
    'archive-404': undefined,
    truncated: { file: good, truncateAt: 16 * 1024 },
    damaged: { body: 'this is not a gzip file' },
    'installer-fails': { file: failing },
    'archive-500': { status: 500 },
    escaping: { file: escaping },
    'no-marker': { file: noMarker }
  })) {
    routes[`/${scenario}/versions-manifest.json`] = { body: manifestJson };
    if (archive) routes[`/${scenario}/${FILENAME}`] = archive;
  }
  server = await startFileServer(routes);
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

let runnerCount = 0;
/** A fresh runner: its own tool cache and temp dir; `scenario` is the mirror's path. */
function runner(
  scenario: string,
  overrides: Partial<InstallPythonOptions> = {}
): InstallPythonOptions & { toolCacheDir: string } {
  const dir = path.join(root, 'runners', `${++runnerCount}-${scenario}`);
  mkdirSync(path.join(dir, 'temp'), { recursive: true });
  return {
    spec: parseVersionSpec(source.spec),
    source,
    platform,
    toolCacheDir: path.join(dir, 'toolcache'),
    tempDir: path.join(dir, 'temp'),
    mirror: `${server.url}/${scenario}`,
    ...overrides
  } as InstallPythonOptions & { toolCacheDir: string };
}

function toolCacheEntries(toolCacheDir: string): string[] {
  const python = path.join(toolCacheDir, 'Python');
  if (!existsSync(python)) return [];
  return readdirSync(python).flatMap(version =>
    readdirSync(path.join(python, version)).map(entry => `${version}/${entry}`)
  );
}

async function failure(options: InstallPythonOptions): Promise<ActionError> {
  const error = await installPython(options).then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(ActionError);
  return error as ActionError;
}

function requestsSince(start: number): string[] {
  return server.requests.slice(start).map(r => r.path);
}

describe('installPython', () => {
  it('downloads the newest matching build, installs it into the tool cache, then reuses it', async () => {
    const options = runner('ok', { token: 'secret-token' });
    const agentDir = path.join(root, 'agent-tools');
    process.env.AGENT_TOOLSDIRECTORY = agentDir;
    const start = server.requests.length;
    let install;
    try {
      install = await installPython(options);
    } finally {
      delete process.env.AGENT_TOOLSDIRECTORY;
    }
    expect(install).toEqual({
      version: VERSION,
      executable: machine.executable,
      origin: 'download',
      libraryPath: path.join(options.toolCacheDir, 'Python', VERSION, 'x64', 'lib')
    });
    expect(requestsSince(start)).toEqual([
      '/ok/versions-manifest.json',
      // The manifest points at github.com; a mirror serves the archive from beside itself.
      `/ok/${FILENAME}`
    ]);
    // The token is for GitHub only, never for a mirror.
    expect(server.requests.slice(start).map(r => r.headers.authorization)).toEqual([
      undefined,
      undefined
    ]);
    // setup.sh ran in the unpacked archive, with RUNNER_TOOL_CACHE, not AGENT_TOOLSDIRECTORY.
    expect(existsSync(agentDir)).toBe(false);
    expect(toolCacheEntries(options.toolCacheDir).sort()).toEqual([
      `${VERSION}/x64`,
      `${VERSION}/x64.complete`
    ]);
    const prefix = path.join(options.toolCacheDir, 'Python', VERSION, 'x64');
    for (const file of ['python', `bin/python${MINOR}`, 'bin/python3', 'bin/python']) {
      expect(existsSync(path.join(prefix, file))).toBe(true);
    }
    expect(existsSync(path.join(prefix, 'setup.sh'))).toBe(false);
    expect(readdirSync(options.tempDir)).toEqual([]);

    // Again: the tool cache has it, nothing is fetched.
    const again = server.requests.length;
    await expect(installPython(options)).resolves.toMatchObject({
      version: VERSION,
      origin: 'tool-cache'
    });
    await expect(
      findPython(source, { toolCacheDir: options.toolCacheDir, arch: 'x64', envPath: '' })
    ).resolves.toMatchObject({ version: VERSION, origin: 'tool-cache' });
    expect(requestsSince(again)).toEqual([]);

    // check-latest asks the manifest, whose newest match is already installed.
    await expect(installPython({ ...options, checkLatest: true })).resolves.toMatchObject({
      version: VERSION,
      origin: 'tool-cache'
    });
    expect(requestsSince(again)).toEqual(['/ok/versions-manifest.json']);
  });

  it('fails naming the URL when the manifest is missing', async () => {
    const options = runner('nowhere');
    const error = await failure(options);
    expect(error.message).toContain(
      `Could not fetch the Python versions manifest from ${server.url}/nowhere/versions-manifest.json (HTTP 404)`
    );
    expect(error.message).toContain("Check 'python-mirror'");
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
  });

  it('fails naming the URL when the manifest is not JSON', async () => {
    const error = await failure(runner('invalid-json'));
    expect(error.message).toContain(
      `The Python versions manifest from ${server.url}/invalid-json/versions-manifest.json is not valid JSON`
    );
  });

  it('lists what the manifest offers for this OS version and arch when nothing matches', async () => {
    const options = runner('ok', { spec: parseVersionSpec('3.98') });
    const error = await failure(options);
    expect(error.message).toContain(
      `No Python matching '3.98' (from file .python-version) is in the versions manifest ${server.url}/ok/versions-manifest.json for ubuntu 24.04 x64.`
    );
    expect(error.message).toContain(`For linux 24.04 x64 it offers ${VERSION}, ${MINOR}.0;`);
    expect(error.message).toContain(`prereleases: 3.99.0-rc.1 (set 'allow-prereleases: true'`);

    const debian = await failure(
      runner('ok', { platform: { ...platform, distro: 'debian', distroVersion: '12' } })
    );
    expect(debian.message).toContain('no build for linux 12 x64');
    expect(debian.message).toContain('This runner is debian 12');
  });

  it('fails clearly when the archive is missing, and installs nothing', async () => {
    const options = runner('archive-404');
    const error = await failure(options);
    expect(error.message).toContain(
      `Downloading Python from ${server.url}/archive-404/${FILENAME} failed (HTTP 404). Nothing was installed.`
    );
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
    expect(readdirSync(options.tempDir)).toEqual([]);
  });

  it('fails clearly when the archive server answers 500, and installs nothing', async () => {
    const options = runner('archive-500');
    const error = await failure(options);
    expect(error.message).toContain(
      `Downloading Python from ${server.url}/archive-500/${FILENAME} failed (HTTP 500). Nothing was installed.`
    );
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
    expect(readdirSync(options.tempDir)).toEqual([]);
  });

  it('refuses an archive with an entry escaping its folder, writing nothing', async () => {
    const options = runner('escaping');
    const error = await failure(options);
    expect(error.message).toContain(
      "contains an entry that would be written outside the folder it is unpacked into: '../../escaped-python.txt'"
    );
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
    expect(readdirSync(options.tempDir)).toEqual([]);
    expect(existsSync(path.join(options.tempDir, '..', '..', 'escaped-python.txt'))).toBe(false);
  });

  it('fails clearly on a truncated download, and installs nothing', async () => {
    const options = runner('truncated');
    const start = server.requests.length;
    const error = await failure(options);
    expect(error.message).toMatch(/Downloading Python from .* failed \(connection error: /);
    expect(error.message).toContain('broke off 3 times in a row');
    expect(requestsSince(start).filter(p => p.endsWith('.tar.gz'))).toHaveLength(3);
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
  });

  it('fails clearly on an archive that does not unpack, and installs nothing', async () => {
    const options = runner('damaged');
    const error = await failure(options);
    expect(error.message).toContain('could not be unpacked');
    expect(error.message).toContain('damaged or not a .tar.gz');
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
  });

  it('removes the partial install when the installer fails', async () => {
    const options = runner('installer-fails');
    const error = await failure(options);
    expect(error.message).toContain(
      `The installer of Python ${VERSION} (setup.sh from ${FILENAME}) failed; nothing was left in the tool cache.`
    );
    expect(error.message).toContain('exit code 1');
    expect(error.message).toContain('simulated failure');
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
    expect(readdirSync(options.tempDir)).toEqual([]);
  });

  it('removes the install when the installer does not write the marker', async () => {
    const options = runner('no-marker');
    const error = await failure(options);
    expect(error.message).toContain(`finished without writing ${options.toolCacheDir}`);
    expect(toolCacheEntries(options.toolCacheDir)).toEqual([]);
  });

  it('says where it looked when RUNNER_TOOL_CACHE is unset or unusual', async () => {
    const start = server.requests.length;
    const unset = await failure(runner('ok', { toolCacheDir: undefined }));
    expect(unset.message).toContain(
      `Python '${MINOR}' (from file .python-version) is not installed and cannot be downloaded: RUNNER_TOOL_CACHE is not set`
    );
    const relative = await failure(runner('ok', { toolCacheDir: 'hostedtoolcache' }));
    expect(relative.message).toContain("RUNNER_TOOL_CACHE is 'hostedtoolcache', a relative path");
    const file = path.join(root, 'not-a-dir');
    writeFileSync(file, '');
    const notDir = await failure(runner('ok', { toolCacheDir: file }));
    expect(notDir.message).toContain(`RUNNER_TOOL_CACHE is ${file}, which is not a directory`);
    expect(requestsSince(start)).toEqual([]);
  });
});
