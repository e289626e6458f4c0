// The bundled action downloads Python when nothing installed matches: a local server plays the
// `python-mirror` (a versions manifest in actions/python-versions' format and an archive that
// wraps the machine's interpreter), and the run goes on to a migrated project.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAKE_GITHUB_TOKEN } from '../../scripts/e2e/runner.mjs';
import { detectPlatform } from '../../src/platform.js';
import {
  errors,
  exampleProject,
  machinePython,
  makeWorkspace,
  runnerPath,
  runSetupDjango
} from '../helpers/e2e.js';
import { startFileServer, type FileServer } from '../helpers/file-server.js';
import { buildPythonArchive, manifestFile, manifestRelease } from '../helpers/python-manifest.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'python-download-e2e-'));
const { version, prefix } = machinePython();
const executable = execFileSync(
  'python3',
  ['-c', 'import os, sys; print(os.path.realpath(sys.executable))'],
  { encoding: 'utf8' }
).trim();
const arch = os.arch() === 'arm64' ? 'arm64' : 'x64';

/** The OS release as the action reads it: the manifest must offer a build for it. */
const { distroVersion } = detectPlatform();

/**
 * A PATH holding only the tools the run needs (bash, tar, coreutils), none of them Python: the
 * machine's own interpreters must not satisfy the spec, so the download path is the one taken.
 */
function pathWithoutPython(): string {
  const bin = path.join(root, 'tools');
  mkdirSync(bin, { recursive: true });
  const dirs = runnerPath().split(path.delimiter);
  for (const tool of ['bash', 'sh', 'tar', 'gzip', 'zstd', 'cp', 'rm', 'mkdir', 'ln', 'cut'].concat(
    ['touch', 'cat', 'uname', 'dirname', 'env', 'ldconfig', 'id']
  )) {
    const found = dirs.map(d => path.join(d, tool)).find(p => existsSync(p));
    if (found) symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

let server: FileServer;
let toolsPath: string;

beforeAll(async () => {
  const archive = buildPythonArchive(root, 'python', { version, executable });
  const file = manifestFile(version, 'linux', arch, distroVersion);
  const manifest = [
    manifestRelease('3.99.1', { platformVersions: [distroVersion] }),
    { ...manifestRelease(version), files: [file] }
  ];
  server = await startFileServer({
    '/mirror/versions-manifest.json': { body: JSON.stringify(manifest) },
    [`/mirror/${file.filename}`]: { file: archive }
  });
  toolsPath = pathWithoutPython();
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('Python from the versions manifest', () => {
  it('downloads and installs a Python that is not on the runner, then reuses it', async () => {
    expect(prefix).toBeTruthy();
    const toolCache = path.join(root, 'toolcache');
    const workspace = makeWorkspace(exampleProject);
    const inputs = {
      'python-version': version,
      'python-mirror': `${server.url}/mirror/`,
      cache: 'false'
    };
    const first = await runSetupDjango(workspace, inputs, {
      toolCache,
      env: { PATH: toolsPath }
    });
    expect(errors(first)).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.outputs['python-version']).toBe(version);
    expect(existsSync(path.join(toolCache, 'Python', version, `${arch}.complete`))).toBe(true);
    expect(first.summary).toMatch(/downloaded/);
    expect(Number(first.outputs['migrations-applied'])).toBeGreaterThan(0);
    // The token goes to GitHub hosts only, never to a mirror.
    const fromMirror = server.requests.filter(r => r.path.startsWith('/mirror/'));
    expect(fromMirror.map(r => r.path)).toContain('/mirror/versions-manifest.json');
    expect(fromMirror.every(r => r.headers.authorization === undefined)).toBe(true);
    // Registered as a secret (the runner masks it), and printed nowhere else.
    expect(first.stdout).toContain(`::add-mask::${FAKE_GITHUB_TOKEN}`);
    const printed = `${first.stdout}${first.stderr}${first.summary}`.replace(
      /^::add-mask::.*$/gm,
      ''
    );
    expect(printed).not.toContain(FAKE_GITHUB_TOKEN);

    const before = server.requests.length;
    const second = await runSetupDjango(makeWorkspace(exampleProject), inputs, {
      toolCache,
      env: { PATH: toolsPath }
    });
    expect(second.exitCode).toBe(0);
    expect(second.summary).toMatch(/tool cache/);
    expect(server.requests.length).toBe(before);
  });

  it('says what is installed and what the manifest offers when nothing matches', async () => {
    const toolCache = path.join(root, 'toolcache-empty');
    const workspace = makeWorkspace(exampleProject);
    const result = await runSetupDjango(
      workspace,
      { 'python-version': '3.98', 'python-mirror': `${server.url}/mirror` },
      { toolCache, env: { PATH: toolsPath } }
    );
    expect(result.exitCode).toBe(1);
    const message = errors(result);
    expect(message).toMatch(
      /No Python matching '3\.98' \(from input 'python-version'\) was found\. Found in the tool cache .*: none; on PATH: none\./
    );
    expect(message).toMatch(
      /Downloading it failed too: No Python matching '3\.98'.* it offers 3\.99\.1/
    );
    expect(message).toContain(`${server.url}/mirror/versions-manifest.json`);
    expect(existsSync(path.join(toolCache, 'Python', '3.98'))).toBe(false);
    expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
  });

  it('a version that cannot exist, with the manifest unreachable: says both, without "re-run later"', async () => {
    const toolCache = path.join(root, 'toolcache-empty');
    const workspace = makeWorkspace(exampleProject);
    const result = await runSetupDjango(
      workspace,
      // Port 9 (discard) on the loopback: nothing listens, the connection is refused at once.
      { 'python-version': '3.40', 'python-mirror': 'http://127.0.0.1:9/mirror' },
      { toolCache, env: { PATH: toolsPath } }
    );
    expect(result.exitCode).toBe(1);
    const message = errors(result);
    expect(message).toMatch(/No Python matching '3\.40' \(from input 'python-version'\) was found/);
    expect(message).toMatch(
      /Python 3\.40 does not exist \(the newest CPython is 3\.\d+\): check the version you asked for\. The versions manifest could not be fetched either: Could not fetch the Python versions manifest from http:\/\/127\.0\.0\.1:9\/mirror\/versions-manifest\.json \(connection error/
    );
    expect(message).not.toMatch(/re-run/i);
    expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
  });

  it('fails cleanly, leaving no tool-cache entry, when the archive is missing', async () => {
    const toolCache = path.join(root, 'toolcache-404');
    server.setRoute('/broken/versions-manifest.json', {
      body: JSON.stringify([
        {
          ...manifestRelease(version),
          files: [manifestFile(version, 'linux', arch, distroVersion)]
        }
      ])
    });
    const result = await runSetupDjango(
      makeWorkspace(exampleProject),
      { 'python-version': version, 'python-mirror': `${server.url}/broken` },
      { toolCache, env: { PATH: toolsPath } }
    );
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/404/);
    expect(existsSync(path.join(toolCache, 'Python', version))).toBe(false);
  });
});
