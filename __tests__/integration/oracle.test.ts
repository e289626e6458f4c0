// installOracleClient for real: a fake Instant Client zip in Oracle's layout (gcc-built
// libclntsh exporting OCIClientVersion, linked against libaio) served by a local file server
// through the mirror input, the real @actions/tool-cache download, unzip, the real
// @actions/cache against the local cache service, and python3 loading the result with ctypes.
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { applyEnv, startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { startFileServer, type FileServer } from '../helpers/file-server.js';
import {
  buildFakeInstantClient,
  expectedClientVersionOutput,
  loadClientVersionScript,
  type FakeInstantClient
} from '../helpers/oracle-fake.js';
import { ActionError } from '../../src/errors.js';
import {
  LOADER_CONF,
  installOracleClient,
  oracleEnvironment,
  saveOracleClient,
  type OracleInstallOptions,
  type OracleInstallResult
} from '../../src/oslibs/oracle/install.js';
import { detectPlatform } from '../../src/platform.js';
import { requireAdministration } from '../helpers/privileges.js';

const execFileAsync = promisify(execFile);

const VERSION = '23.8.0.25.04';
const ZIP = `instantclient-basic-linux.x64-${VERSION}.zip`;
const platform = { ...detectPlatform(), arch: 'x64' };

// @actions/tool-cache sleeps 10-20 s between download attempts; these globals shorten that.
const globals = globalThis as Record<string, unknown>;
globals.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS = 0;
globals.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS = 0;

// Created at load: describe blocks build their runners' directories while being collected.
const root = mkdtempSync(path.join(os.tmpdir(), 'oracle-it-'));
let fake: FakeInstantClient;
let evil: FakeInstantClient;
let server: FileServer;

beforeAll(async () => {
  [fake, evil] = await Promise.all([
    buildFakeInstantClient({ version: VERSION, outDir: path.join(root, 'zips') }),
    buildFakeInstantClient({ version: VERSION, outDir: path.join(root, 'zips'), evilEntry: true })
  ]);
  server = await startFileServer({
    [`/ok/${ZIP}`]: { file: fake.zipPath },
    [`/latest/instantclient-basic-linuxx64.zip`]: { file: fake.zipPath },
    [`/evil/${ZIP}`]: { file: evil.zipPath },
    [`/broken/${ZIP}`]: { status: 500 },
    [`/truncated/${ZIP}`]: { file: fake.zipPath, truncateAt: 4096 }
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh runner: tool cache and temp dir of its own. */
function runner(name: string): { toolCacheDir: string; tempDir: string } {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'toolcache'), { recursive: true });
  mkdirSync(path.join(dir, 'temp'), { recursive: true });
  return { toolCacheDir: path.join(dir, 'toolcache'), tempDir: path.join(dir, 'temp') };
}

function options(
  dirs: { toolCacheDir: string; tempDir: string },
  extra: Partial<OracleInstallOptions> = {}
): OracleInstallOptions {
  return {
    spec: '23.8',
    platform,
    mirror: `${server.url}/ok`,
    sha256Overrides: { basic: fake.sha256 },
    actionsCache: false,
    installLibaio: false,
    configureLoader: false,
    ...dirs,
    ...extra
  };
}

/** Runs the helper's ctypes script the way a later step would, with the given environment. */
async function loadClient(env: Record<string, string | undefined>): Promise<string> {
  const childEnv = { ...process.env, ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  const { stdout } = await execFileAsync('python3', ['-c', loadClientVersionScript()], {
    env: childEnv
  });
  return stdout.trim();
}

function requestsFor(prefix: string): number {
  return server.requests.filter(r => r.path.startsWith(prefix)).length;
}

describe('installOracleClient', () => {
  const dirs = runner('main');
  let first: OracleInstallResult;

  it('installs from a mirror with the checksum pinned, and Python loads it through LD_LIBRARY_PATH', async () => {
    first = await installOracleClient(options(dirs, { installLibaio: true }));
    expect(first).toMatchObject({
      path: path.join(dirs.toolCacheDir, 'oracle-instantclient', VERSION, 'x64'),
      version: VERSION,
      source: 'download',
      verified: true,
      loaderConfigured: false,
      libaio: 'libaio1'
    });
    // actionsCache: false (the `cache: false` input): nothing for the post step to save.
    expect(first.cacheSave).toBeUndefined();
    expect(existsSync(`${first.path}.complete`)).toBe(true);
    expect(lstatSync(path.join(first.path, 'libclntsh.so')).isSymbolicLink()).toBe(true);
    expect(existsSync(path.join(first.path, 'network', 'admin'))).toBe(true);
    expect(readdirSync(dirs.tempDir)).toEqual([]);
    const output = await loadClient({ ...oracleEnvironment(first.path, {}) });
    expect(output).toBe(expectedClientVersionOutput(VERSION));
  });

  it('serves a second install from the tool cache without a request', async () => {
    const before = requestsFor('/ok/');
    const second = await installOracleClient(options(dirs));
    expect(second).toMatchObject({ path: first.path, source: 'tool-cache', verified: true });
    expect(second.cacheSave).toBeUndefined();
    expect(requestsFor('/ok/')).toBe(before);
  });

  it('reinstalls when the tool cache holds a different checksum than the one pinned', async () => {
    const manifestFile = path.join(first.path, '.setup-django-oracle.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    manifest.zips.basic.sha256 = '0'.repeat(64);
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const before = requestsFor('/ok/');
    const again = await installOracleClient(options(dirs));
    expect(again.source).toBe('download');
    expect(requestsFor('/ok/')).toBe(before + 1);
  });

  it('links libaio.so.1 to libaio.so.1t64 where only the t64 library exists (Ubuntu 24.04), and unlinks elsewhere', async () => {
    const libDir = path.join(root, 'noble-lib');
    mkdirSync(libDir, { recursive: true });
    copyFileSync(
      ['/usr/lib/x86_64-linux-gnu/libaio.so.1', '/lib/x86_64-linux-gnu/libaio.so.1'].find(
        existsSync
      ) as string,
      path.join(libDir, 'libaio.so.1t64')
    );
    const linked = await installOracleClient(options(dirs, { libDirs: [libDir] }));
    expect(linked.libaioLink).toBe(path.join(linked.path, 'libaio.so.1'));
    expect(readlinkSync(linked.libaioLink as string)).toBe(path.join(libDir, 'libaio.so.1t64'));
    expect(await loadClient(oracleEnvironment(linked.path, {}))).toBe(
      expectedClientVersionOutput(VERSION)
    );

    const plain = await installOracleClient(options(dirs));
    expect(plain.libaioLink).toBeUndefined();
    expect(existsSync(path.join(plain.path, 'libaio.so.1'))).toBe(false);
  });

  it('installs an unverified release and says so', async () => {
    const other = runner('unverified');
    const result = await installOracleClient(options(other, { sha256Overrides: {} }));
    expect(result).toMatchObject({ source: 'download', verified: false });
  });

  it("installs 'latest' from the permalink name, unverified and never reused", async () => {
    const latest = runner('latest');
    const opts = options(latest, {
      spec: 'latest',
      mirror: `${server.url}/latest`,
      sha256Overrides: {}
    });
    const result = await installOracleClient(opts);
    expect(result).toMatchObject({
      path: path.join(latest.toolCacheDir, 'oracle-instantclient', 'latest', 'x64'),
      source: 'download',
      verified: false
    });
    expect(result.cacheSave).toBeUndefined();
    expect((await installOracleClient(opts)).source).toBe('download');
  });
});

describe('installOracleClient with the actions cache', () => {
  let cacheServer: CacheServer;
  let restoreEnv: () => void;
  const base = path.join(os.tmpdir(), `oracle-cache-it-${process.pid}`);

  beforeAll(async () => {
    cacheServer = await startCacheServer();
    mkdirSync(path.join(base, 'workspace'), { recursive: true });
    mkdirSync(path.join(base, 'runner-temp'), { recursive: true });
    restoreEnv = applyEnv({
      ...cacheServer.envFor('v2'),
      GITHUB_WORKSPACE: path.join(base, 'workspace'),
      RUNNER_TEMP: path.join(base, 'runner-temp')
    });
  });

  afterAll(async () => {
    restoreEnv?.();
    await cacheServer?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('restores a saved client into a fresh tool cache without downloading it', async () => {
    // The cache entry's version hashes the absolute path: both "runs" use the same tool cache path.
    const dirs = { toolCacheDir: path.join(base, 'toolcache'), tempDir: path.join(base, 'temp') };
    // A mirror URL with credentials, as GHES mirrors are often given: they are never stored.
    const mirror = `${server.url.replace('://', '://mirror-user:hunter2@')}/ok`;
    const first = await installOracleClient(options(dirs, { actionsCache: true, mirror }));
    expect(first.source).toBe('download');
    expect(first.cacheSave?.key).toMatch(/^setup-django-oracle-23\.8\.0\.25\.04-x64-basic-/);
    const stored = readFileSync(path.join(first.path, '.setup-django-oracle.json'), 'utf8');
    expect(stored).toContain(`${server.url}/ok/${ZIP}`);
    expect(stored).not.toMatch(/hunter2|mirror-user/);
    expect(await saveOracleClient(first.cacheSave!)).toBe('saved');
    expect(cacheServer.entries()).toHaveLength(1);

    rmSync(dirs.toolCacheDir, { recursive: true, force: true });
    const before = requestsFor('/ok/');
    const second = await installOracleClient(options(dirs, { actionsCache: true }));
    expect(second).toMatchObject({ path: first.path, source: 'actions-cache', verified: true });
    expect(requestsFor('/ok/')).toBe(before);
    expect(existsSync(`${second.path}.complete`)).toBe(true);
    expect(await loadClient(oracleEnvironment(second.path, {}))).toBe(
      expectedClientVersionOutput(VERSION)
    );
  });

  const faults: [string, Partial<OracleInstallOptions>, RegExp][] = [
    [
      'a 404',
      { mirror: '/missing' },
      /HTTP 404\b.*Check that the mirror .* holds instantclient-basic/s
    ],
    ['a 500', { mirror: '/broken' }, /HTTP 500\b.*failed 3 times in a row/s],
    [
      'a truncated download',
      { mirror: '/truncated' },
      /zip from http:\/\/127\.0\.0\.1:\d+\/truncated\/\S+ failed \(connection error: (Error: )?aborted\).*truncated download\); re-run/s
    ],
    [
      'a SHA-256 mismatch',
      { sha256Overrides: { basic: 'f'.repeat(64) } },
      new RegExp(
        `SHA-256 mismatch for ${ZIP.replace(/\./g, '\\.')} downloaded from http://127\\.0\\.0\\.1:\\d+/ok/${ZIP.replace(/\./g, '\\.')}: expected f{64} \\('oracle-instant-client-sha256'\\), got [0-9a-f]{64}`
      )
    ],
    [
      'an entry escaping the target',
      { mirror: '/evil' },
      /contains an entry that would be written outside the target directory: 'instantclient_23_8\/\.\.\/\.\.\/evil\.txt'/
    ]
  ];

  it.each(faults)(
    'fails clearly on %s, leaving nothing in the tool cache or the actions cache',
    async (name, extra, message) => {
      const dirs = runner(`fault-${name.replace(/\W+/g, '-')}`);
      const mirror = extra.mirror?.startsWith('/') ? `${server.url}${extra.mirror}` : extra.mirror;
      const sha256Overrides = name.includes('escaping')
        ? { basic: evil.sha256 }
        : (extra.sha256Overrides ?? { basic: fake.sha256 });
      const entriesBefore = cacheServer.entries().length;
      let error: unknown;
      try {
        await installOracleClient(
          options(dirs, {
            ...extra,
            mirror: mirror ?? `${server.url}/ok`,
            sha256Overrides,
            actionsCache: true
          })
        );
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ActionError);
      expect((error as Error).message).toMatch(message);
      expect(readdirSync(dirs.toolCacheDir)).toEqual([]);
      expect(readdirSync(dirs.tempDir)).toEqual([]);
      expect(cacheServer.entries()).toHaveLength(entriesBefore);
      expect(existsSync(path.join(root, 'evil.txt'))).toBe(false);
    }
  );
});

describe('installOracleClient loader configuration', () => {
  let previous: string | undefined;

  beforeAll(() => {
    requireAdministration('installOracleClient loader configuration');
    previous = existsSync(LOADER_CONF) ? readFileSync(LOADER_CONF, 'utf8') : undefined;
  });

  afterAll(async () => {
    if (previous === undefined) rmSync(LOADER_CONF, { force: true });
    else writeFileSync(LOADER_CONF, previous);
    await execFileAsync('ldconfig', []);
  });

  it('registers the client with ldconfig so Python loads it without LD_LIBRARY_PATH', async () => {
    const dirs = runner('loader');
    const result = await installOracleClient(options(dirs, { configureLoader: true }));
    expect(result.loaderConfigured).toBe(true);
    expect(readFileSync(LOADER_CONF, 'utf8')).toBe(`${result.path}\n`);
    expect(await loadClient({ LD_LIBRARY_PATH: undefined })).toBe(
      expectedClientVersionOutput(VERSION)
    );
  });
});
