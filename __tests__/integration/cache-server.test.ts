// The REAL @actions/cache 6.x (unmocked) saving and restoring through the local cache server
// (scripts/e2e/cache-server.mjs), with both protocols, and what the library does when the
// service misbehaves. @actions/cache reads its configuration from process.env when called, so
// every operation runs in its own process (scripts/e2e/cache-client.mjs), which prints one JSON
// line: the return value, whether it threw, and what it logged at each @actions/core level.
//
// Every test has its own server (faults are per server), so the tests run concurrently.
//
// What the library does, measured here (the action's warnings should be designed from this):
// - It never throws for service trouble. saveCache throws for invalid input (paths that match
//   nothing: "Path Validation Error: Path(s) specified in the action for caching do(es) not
//   exist"; a key with a comma or > 512 chars) and, with protocol v2, when ACTIONS_RUNTIME_TOKEN
//   is unset ("Unable to get the ACTIONS_RUNTIME_TOKEN env variable"). restoreCache throws only
//   for invalid keys; it returns undefined on any other failure.
// - The log level of a failure depends on where it happened, not on its gravity:
//   * save, reservation refused or failed (v1 409; v2 409, 5xx after 5 tries, connection
//     refused/reset): core.info "Failed to save: Unable to reserve cache with key K, another
//     job may be creating this cache." (v1 adds " More details: <service message>").
//   * save, v1 reserve 500 (not retried), upload/commit 500, unreachable: core.warning
//     "Failed to save: …". v2 blob upload failure: two warnings ("uploadCacheArchiveSDK:
//     internal error uploading cache archive: …" then "Failed to save: …"). v2 finalize
//     failure: core.warning "Failed to save: Failed to FinalizeCacheEntryUpload: …".
//   * restore, any failure (lookup 5xx, reset, refused, download 5xx, truncated or corrupt
//     archive, timeout): core.warning "Failed to restore: …". core.error is used only for an
//     HttpClientError with a 5xx status, which the code paths exercised here never produce.
// - v1 saveCache returns the reserved cache id even when the upload or commit then failed:
//   a positive id is not proof of success. -1 means nothing was reserved.
// - Retries (not tunable by env or options: the twirp client is built without options, the v1
//   constants are fixed): v2 twirp calls retry 5xx 5 times with 3 s × 1.5^n backoff (≈25-35 s);
//   a refused/reset connection is not retried. v1 REST calls retry only 502/503/504 and network
//   errors, once, after 5 s, and sleep 5 s more after the second failure (10 s in all); a 500
//   fails at once. The Azure SDK (v2 upload) retries 5xx 3 times
//   (4 s, 8 s, … ≈ 20-30 s in all).
// - Downloads: on a non-Azure host (anything but *.blob.core.windows.net) the library does one
//   plain GET, ignoring `timeoutInMs` and `segmentTimeoutInMs`; the only timeout is a fixed 5 s
//   of socket inactivity after the response headers (a slow server before the headers is waited
//   for indefinitely). Only on an Azure host do those options apply (the server's `azure` mode).
// - A corrupt archive is detected by tar/zstd ("unsupported format"), after the download:
//   nothing is extracted and restore returns undefined with a warning.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  closedPortUrl,
  startCacheServer,
  type CacheEnv,
  type CacheProtocol,
  type CacheServer,
  type StartCacheServerOptions
} from '../../scripts/e2e/cache-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = path.join(ROOT, 'scripts/e2e/cache-client.mjs');

interface ClientResult {
  command: 'save' | 'restore';
  /** save: the cache id (-1 when nothing was reserved); restore: the matched key or null. */
  result: number | string | null;
  error: { name: string; message: string } | null;
  elapsedMs: number;
  logs: { info: string[]; warning: string[]; error: string[]; notice: string[]; debug: string[] };
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-it-'));
  tempDirs.push(dir);
  return dir;
}

/** One "runner": a workspace and a RUNNER_TEMP. */
function runner(root = tempDir(), name = 'ws') {
  const workspace = path.join(root, name);
  fs.mkdirSync(workspace, { recursive: true });
  fs.mkdirSync(path.join(root, 'runner-temp'), { recursive: true });
  return { workspace, runnerTemp: path.join(root, 'runner-temp') };
}

/** A small tree: text, incompressible binary, an executable, a symlink, a nested dir. */
function writePayload(workspace: string, dir = 'payload', size = 512 * 1024): string {
  const base = path.join(workspace, dir);
  fs.mkdirSync(path.join(base, 'sub', 'deeper'), { recursive: true });
  fs.writeFileSync(path.join(base, 'a.txt'), 'hello cache\n');
  fs.writeFileSync(path.join(base, 'sub', 'random.bin'), crypto.randomBytes(size));
  fs.writeFileSync(path.join(base, 'sub', 'deeper', 'run.sh'), '#!/bin/sh\necho hi\n', {
    mode: 0o755
  });
  fs.symlinkSync('a.txt', path.join(base, 'link'));
  return dir;
}

/** Path → description (type, mode, content hash or link target) of every entry under dir. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const relPath = path.join(rel, name);
      const full = path.join(dir, relPath);
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) out[relPath] = `link:${fs.readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[relPath] = 'dir';
        walk(relPath);
      } else {
        const hash = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
        out[relPath] = `file:${(stat.mode & 0o777).toString(8)}:${hash}`;
      }
    }
  };
  walk('');
  return out;
}

interface RunOptions {
  env: CacheEnv;
  workspace: string;
  runnerTemp: string;
  paths?: string[];
  restoreKeys?: string[];
  options?: Record<string, unknown>;
  extraEnv?: CacheEnv;
}

function runClient(
  command: 'save' | 'restore',
  key: string,
  opts: RunOptions
): Promise<ClientResult> {
  const args = [CLIENT, command, '--key', key];
  for (const p of opts.paths ?? ['payload']) args.push('--path', p);
  for (const r of opts.restoreKeys ?? []) args.push('--restore-key', r);
  if (opts.options) args.push('--options', JSON.stringify(opts.options));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: undefined, // jest's --experimental-vm-modules is not for the child
    RUNNER_DEBUG: undefined, // debug mode adds a diagnostic `list` request to v1 misses
    ...opts.env, // undefined values = must be absent; spawn drops them
    RUNNER_TEMP: opts.runnerTemp,
    GITHUB_WORKSPACE: opts.workspace,
    ...opts.extraEnv
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env, cwd: opts.workspace, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as ClientResult);
        } catch {
          reject(new Error(`cache-client failed (${error?.message}):\n${stdout}\n${stderr}`));
        }
      }
    );
  });
}

/**
 * Storage holding one entry, key 'k', for the 'payload' tree, saved once per protocol by the
 * real client (memoized: concurrent tests share the one save) and copied for each test.
 */
const seeds = new Map<CacheProtocol, Promise<string>>();
function seedDir(protocol: CacheProtocol): Promise<string> {
  let seed = seeds.get(protocol);
  if (!seed) {
    seed = (async () => {
      const dir = tempDir();
      const server = await startCacheServer({ dir });
      try {
        const r = runner();
        writePayload(r.workspace);
        const saved = await runClient('save', 'k', { env: server.envFor(protocol), ...r });
        if (saved.result !== 1 || saved.logs.warning.length > 0) {
          throw new Error(`seeding failed: ${JSON.stringify(saved)}`);
        }
      } finally {
        await server.close();
      }
      return dir;
    })();
    seeds.set(protocol, seed);
  }
  return seed;
}

/**
 * A server (with a copy of the seed storage when `seeded`: entry 'k' exists) and two runners
 * sharing a RUNNER_TEMP: `a` with a payload written, `b` empty.
 */
async function setup(
  protocol: CacheProtocol,
  serverOptions: StartCacheServerOptions = {},
  { seeded = false } = {}
) {
  let dir: string | undefined;
  if (seeded) {
    dir = tempDir();
    fs.cpSync(await seedDir(protocol), dir, { recursive: true });
  }
  const server = await startCacheServer({ ...serverOptions, dir });
  const root = tempDir();
  const a = runner(root, 'ws-a');
  writePayload(a.workspace);
  const b = runner(root, 'ws-b');
  const env = server.envFor(protocol);
  return { server, env, a, b, base: { env, runnerTemp: a.runnerTemp } };
}

/** Adds a committed entry with raw v1 calls (storage is shared by both protocols). */
async function putEntry(server: CacheServer, key: string, version: string): Promise<number> {
  const api = `${server.url}/_apis/artifactcache/caches`;
  const auth = { Authorization: 'Bearer test-token' };
  const json = { ...auth, 'Content-Type': 'application/json' };
  const body = Buffer.from(`bytes of ${key}`);
  const reserved = await fetch(api, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ key, version, cacheSize: body.length })
  });
  expect(reserved.status).toBe(201);
  const { cacheId } = (await reserved.json()) as { cacheId: number };
  const patched = await fetch(`${api}/${cacheId}`, {
    method: 'PATCH',
    headers: { ...auth, 'Content-Range': `bytes 0-${body.length - 1}/*` },
    body
  });
  expect(patched.status).toBe(204);
  const committed = await fetch(`${api}/${cacheId}`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ size: body.length })
  });
  expect(committed.status).toBe(204);
  return cacheId;
}

const ops = (server: CacheServer) => server.requests.map(r => r.op);
const protocols: CacheProtocol[] = ['v1', 'v2'];
const saveOps = { v1: ['reserve', 'upload', 'commit'], v2: ['create', 'upload', 'finalize'] };
const lookupOp = { v1: 'lookup', v2: 'getDownloadUrl' } as const;
const reserveOp = { v1: 'reserve', v2: 'create' } as const;

// ---- scenarios: each one against its own server, so they can run in parallel ----------

async function saveThenRestoreThenSecondRun(protocol: CacheProtocol) {
  const dir = tempDir();
  const first = await startCacheServer({ dir });
  const root = tempDir();
  const a = runner(root, 'ws-a');
  writePayload(a.workspace);
  const env = first.envFor(protocol);
  try {
    const saved = await runClient('save', 'venv-1', { env, ...a });
    expect(saved.error).toBeNull();
    expect(saved.result).toBe(1);
    expect(saved.logs.warning).toEqual([]);
    expect(ops(first)).toEqual(saveOps[protocol]);
    expect(first.entries()).toMatchObject([{ key: 'venv-1', protocol, id: 1 }]);

    const b = runner(root, 'ws-b');
    const restored = await runClient('restore', 'venv-1', { env, ...b });
    expect(restored).toMatchObject({ result: 'venv-1', error: null });
    expect(restored.logs.info).toContain('Cache restored successfully');
    expect(snapshot(path.join(b.workspace, 'payload'))).toEqual(
      snapshot(path.join(a.workspace, 'payload'))
    );
    expect(ops(first).slice(3)).toEqual([lookupOp[protocol], 'download']);
  } finally {
    await first.close();
  }
  expect(fs.existsSync(path.join(dir, 'index.json'))).toBe(true);

  // A second "workflow run": another server process on the same storage dir.
  const second = await startCacheServer({ dir });
  try {
    expect(second.entries().map(e => e.key)).toEqual(['venv-1']);
    const c = runner(root, 'ws-c');
    const again = await runClient('restore', 'venv-1', { env: second.envFor(protocol), ...c });
    expect(again.result).toBe('venv-1');
    expect(snapshot(path.join(c.workspace, 'payload'))).toEqual(
      snapshot(path.join(a.workspace, 'payload'))
    );
    // New entries keep counting from the persisted id (no blob is overwritten).
    expect(await putEntry(second, 'venv-2', 'some-version')).toBe(2);
  } finally {
    await second.close();
  }
}

/** A lookup with raw protocol calls: the matched key, or null on a miss. */
async function rawLookup(
  server: CacheServer,
  protocol: CacheProtocol,
  keys: string[],
  version: string
): Promise<string | null> {
  const auth = { Authorization: 'Bearer test-token' };
  if (protocol === 'v1') {
    const query = `keys=${encodeURIComponent(keys.join(','))}&version=${version}`;
    const res = await fetch(`${server.url}/_apis/artifactcache/cache?${query}`, { headers: auth });
    if (res.status === 204) return null;
    return ((await res.json()) as { cacheKey: string }).cacheKey;
  }
  const res = await fetch(
    `${server.url}/twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL`,
    {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: keys[0], restore_keys: keys.slice(1), version })
    }
  );
  const body = (await res.json()) as { ok: boolean; matched_key: string };
  return body.ok ? body.matched_key : null;
}

async function lookups(protocol: CacheProtocol) {
  const { server, base, b } = await setup(protocol, {}, { seeded: true });
  try {
    // Same version as the seed entry 'k' (same paths): older deps-aaa, newer deps-bbb.
    const version = server.entries()[0].version;
    await putEntry(server, 'deps-aaa', version);
    await putEntry(server, 'deps-bbb', version);
    await putEntry(server, 'deps-ccc', 'another-version');
    server.requests.length = 0;

    // The real client: a miss, and a restore-key hit (lookupOnly: no download).
    const lookup = (key: string, restoreKeys: string[] = [], paths?: string[]) =>
      runClient('restore', key, {
        ...base,
        workspace: b.workspace,
        restoreKeys,
        paths,
        options: { lookupOnly: true }
      });
    const [miss, otherPaths, hit] = await Promise.all([
      lookup('other-key'),
      lookup('k', [], ['elsewhere']), // same key, other paths → other version → miss
      lookup('nope', ['nope-either', 'deps-'])
    ]);
    // A miss: undefined, nothing logged above debug.
    expect(miss).toMatchObject({ result: null, error: null });
    expect([...miss.logs.warning, ...miss.logs.error]).toEqual([]);
    expect(otherPaths).toMatchObject({ result: null, error: null });
    expect(hit).toMatchObject({ result: 'deps-bbb', error: null });
    expect(ops(server)).toEqual(Array(3).fill(lookupOp[protocol]));

    // The matching rules, with raw protocol calls.
    const find = (...keys: string[]) => rawLookup(server, protocol, keys, version);
    expect(await find('deps-zzz', 'deps-')).toBe('deps-bbb'); // newest prefix match
    expect(await find('deps-aaa', 'deps-')).toBe('deps-aaa'); // exact beats a newer prefix
    expect(await find('deps')).toBe('deps-bbb'); // the primary key is prefix-matched too
    expect(await find('nope', 'nope-either', 'deps-a')).toBe('deps-aaa'); // keys in order
    expect(await find('deps-ccc')).toBeNull(); // other version
    expect(await rawLookup(server, protocol, ['deps-c'], 'another-version')).toBe('deps-ccc');
  } finally {
    await server.close();
  }
}

const reserveFailed = (key: string) =>
  `Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`;

async function saveExistingKey(protocol: CacheProtocol) {
  const { server, base, a } = await setup(protocol, {}, { seeded: true });
  try {
    const again = await runClient('save', 'k', { ...base, workspace: a.workspace });
    expect(again).toMatchObject({ result: -1, error: null });
    expect(again.logs.warning).toEqual([]);
    // v1 appends the service's message.
    const suffix =
      protocol === 'v1'
        ? ` More details: Cache already exists. Scope: refs/heads/main, Key: k, Version: ${server.entries()[0].version}`
        : '';
    expect(again.logs.info).toContain(reserveFailed('k') + suffix);
    expect(server.requests.map(r => `${r.op}:${r.status}`)).toEqual([`${reserveOp[protocol]}:409`]);
  } finally {
    await server.close();
  }
}

async function saveRacedByAnotherJob(protocol: CacheProtocol) {
  const { server, base, a } = await setup(protocol, {
    faults: { [reserveOp[protocol]]: { conflict: true } }
  });
  try {
    const raced = await runClient('save', 'fresh', { ...base, workspace: a.workspace });
    expect(raced).toMatchObject({ result: -1, error: null });
    expect(raced.logs.warning).toEqual([]);
    expect(raced.logs.info.join('\n')).toContain(reserveFailed('fresh'));
    expect(server.entries()).toEqual([]);
  } finally {
    await server.close();
  }
}

async function corruptDownload(protocol: CacheProtocol) {
  const { server, base, b } = await setup(
    protocol,
    { faults: { download: { corrupt: true } } },
    { seeded: true }
  );
  try {
    const restored = await runClient('restore', 'k', { ...base, workspace: b.workspace });
    expect(restored).toMatchObject({ result: null, error: null });
    expect(restored.logs.warning).toEqual([
      `Failed to restore: "/usr/bin/tar" failed with error: The process '/usr/bin/tar' failed with exit code 2`
    ]);
    expect(restored.logs.info.join('\n')).toContain('unsupported format'); // zstd, via tar
    expect(fs.existsSync(path.join(b.workspace, 'payload'))).toBe(false);
  } finally {
    await server.close();
  }
}

async function truncatedDownload(protocol: CacheProtocol) {
  const { server, base, b } = await setup(
    protocol,
    { faults: { download: { truncate: true } } },
    { seeded: true }
  );
  try {
    const restored = await runClient('restore', 'k', { ...base, workspace: b.workspace });
    expect(restored).toMatchObject({ result: null, error: null });
    expect(restored.logs.warning).toEqual(['Failed to restore: aborted']);
    expect(fs.existsSync(path.join(b.workspace, 'payload'))).toBe(false);
    expect(ops(server)).toEqual([lookupOp[protocol], 'download']); // not retried
  } finally {
    await server.close();
  }
}

async function slowDownloadIgnoresTimeoutOptions(protocol: CacheProtocol) {
  const { server, base, b } = await setup(
    protocol,
    { faults: { download: { delayMs: 3000 } } },
    { seeded: true }
  );
  try {
    const restored = await runClient('restore', 'k', {
      ...base,
      workspace: b.workspace,
      options: { timeoutInMs: 500, segmentTimeoutInMs: 500 }
    });
    expect(restored).toMatchObject({ result: 'k', error: null });
    expect(restored.elapsedMs).toBeGreaterThanOrEqual(3000);
  } finally {
    await server.close();
  }
}

async function stalledDownload(protocol: CacheProtocol) {
  const { server, base, b } = await setup(
    protocol,
    { faults: { download: { stallMs: 30_000 } } },
    { seeded: true }
  );
  try {
    const restored = await runClient('restore', 'k', { ...base, workspace: b.workspace });
    expect(restored).toMatchObject({ result: null, error: null });
    expect(restored.logs.warning).toEqual(['Failed to restore: Premature close']);
    expect(restored.elapsedMs).toBeLessThan(25_000); // gave up long before the stall ended
  } finally {
    await server.close();
  }
}

async function unreachableService(protocol: CacheProtocol) {
  const server = await startCacheServer();
  const dead = await closedPortUrl();
  const { workspace, runnerTemp } = runner();
  writePayload(workspace);
  // The same env, pointed at a port where nothing listens.
  const env = Object.fromEntries(
    Object.entries(server.envFor(protocol)).map(([k, v]) => [
      k,
      v === `${server.url}/` ? `${dead}/` : v
    ])
  );
  await server.close();
  const [restored, saved] = await Promise.all([
    runClient('restore', 'k', { env, workspace, runnerTemp }),
    runClient('save', 'k', { env, workspace, runnerTemp })
  ]);
  expect(restored).toMatchObject({ result: null, error: null });
  expect(saved).toMatchObject({ result: -1, error: null });
  if (protocol === 'v1') {
    expect(restored.logs.warning).toEqual([
      expect.stringMatching(/^Failed to restore: getCacheEntry failed: connect ECONNREFUSED/)
    ]);
    expect(saved.logs.warning).toEqual([
      expect.stringMatching(/^Failed to save: reserveCache failed: connect ECONNREFUSED/)
    ]);
    // Two attempts, 5 s apart, and 5 s more before giving up.
    expect(restored.elapsedMs).toBeGreaterThanOrEqual(10_000);
  } else {
    expect(restored.logs.warning).toEqual([
      expect.stringMatching(
        /^Failed to restore: Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNREFUSED/
      )
    ]);
    // A refused CreateCacheEntry is a ReserveCacheError: info, not a warning.
    expect(saved.logs.warning).toEqual([]);
    expect(saved.logs.info).toContain(reserveFailed('k'));
    expect(restored.elapsedMs).toBeLessThan(5000); // network errors are not retried
  }
}

async function resetOnLookup(protocol: CacheProtocol) {
  const { server, base, b } = await setup(
    protocol,
    { faults: { [lookupOp[protocol]]: { close: true, times: 1 } } },
    { seeded: true }
  );
  try {
    const restored = await runClient('restore', 'k', { ...base, workspace: b.workspace });
    expect(restored.error).toBeNull();
    if (protocol === 'v1') {
      // Retried after 5 s, and the retry succeeded.
      expect(restored.result).toBe('k');
      expect(ops(server)).toEqual(['lookup', 'lookup', 'download']);
      expect(restored.elapsedMs).toBeGreaterThanOrEqual(5000);
    } else {
      // Not retried: a warning, a miss.
      expect(restored.result).toBeNull();
      expect(restored.logs.warning).toEqual([
        expect.stringMatching(
          /^Failed to restore: Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNRESET/
        )
      ]);
      expect(ops(server)).toEqual(['getDownloadUrl']);
    }
  } finally {
    await server.close();
  }
}

async function uploadFailsOnce(protocol: CacheProtocol) {
  const { server, base, a } = await setup(protocol, {
    faults: { upload: { status: 500, times: 1 } }
  });
  try {
    const saved = await runClient('save', 'k', { ...base, workspace: a.workspace });
    expect(saved.error).toBeNull();
    if (protocol === 'v1') {
      expect(saved.logs.warning).toEqual([
        expect.stringMatching(
          /^Failed to save: uploadChunk \(start: 0, end: \d+\) failed: Cache service responded with 500$/
        )
      ]);
      expect(saved.result).toBe(1); // the reserved id, though nothing was saved
      expect(server.entries()).toEqual([]);
    } else {
      // The SDK retried the PUT after ~4 s and the save succeeded.
      expect(saved.logs.warning).toEqual([]);
      expect(saved.result).toBe(1);
      expect(server.requests.map(r => `${r.op}:${r.status}`)).toEqual([
        'create:200',
        'upload:500',
        'upload:201',
        'finalize:200'
      ]);
      expect(server.entries()).toMatchObject([{ key: 'k' }]);
    }
  } finally {
    await server.close();
  }
}

async function missingToken(protocol: CacheProtocol) {
  const { server, base, a } = await setup(protocol);
  try {
    const run = (command: 'save' | 'restore') =>
      runClient(command, 'k', {
        ...base,
        workspace: a.workspace,
        extraEnv: { ACTIONS_RUNTIME_TOKEN: undefined }
      });
    const [saved, restored] = await Promise.all([run('save'), run('restore')]);
    expect(restored).toMatchObject({ result: null, error: null });
    if (protocol === 'v1') {
      // Sent as "Bearer " → 401; the save reports it like a taken key.
      expect(saved).toMatchObject({ result: -1, error: null });
      expect(saved.logs.info).toContain(
        `${reserveFailed('k')} More details: Unauthorized: missing or wrong bearer token.`
      );
      expect(restored.logs.warning).toEqual([
        'Failed to restore: Cache service responded with 401'
      ]);
    } else {
      // saveCacheV2 builds its twirp client (which needs the token) outside its try block.
      expect(saved.error).toEqual({
        name: 'Error',
        message: 'Unable to get the ACTIONS_RUNTIME_TOKEN env variable'
      });
      expect(restored.logs.warning).toEqual([
        'Failed to restore: Unable to get the ACTIONS_RUNTIME_TOKEN env variable'
      ]);
    }
  } finally {
    await server.close();
  }
}

async function reserveFails500(protocol: CacheProtocol) {
  const { server, base, a } = await setup(protocol, {
    faults: { [reserveOp[protocol]]: { status: 500 } }
  });
  try {
    const saved = await runClient('save', 'k', { ...base, workspace: a.workspace });
    expect(saved).toMatchObject({ result: -1, error: null });
    if (protocol === 'v1') {
      expect(saved.logs.warning).toEqual([
        'Failed to save: reserveCache failed: Cache service responded with 500'
      ]);
      expect(ops(server)).toEqual(['reserve']); // a 500 is not retried by v1
    } else {
      expect(saved.logs.warning).toEqual([]);
      expect(saved.logs.info.filter(l => /^Attempt \d of 5 failed/.test(l))).toHaveLength(4);
      expect(saved.logs.info).toContain(reserveFailed('k'));
      expect(ops(server)).toEqual(Array(5).fill('create'));
      expect(saved.elapsedMs).toBeGreaterThan(20_000);
    }
    expect(server.entries()).toEqual([]);
  } finally {
    await server.close();
  }
}

// ---- tests ----------------------------------------------------------------------------
// One describe block: jest runs `test.concurrent` tests concurrently only within a block.
describe('@actions/cache through the local cache server', () => {
  // First, so that the slowest test (v2: ~30 s of retries) starts at once.
  for (const protocol of ['v2', 'v1'] as const) {
    test.concurrent(
      `${protocol}: a 500 on reserve/create: save does not throw; v1 warns at once, v2 retries 5 times (~30 s) and logs with core.info`,
      () => reserveFails500(protocol),
      90_000
    );
  }

  for (const protocol of protocols) {
    test.concurrent(
      `${protocol}: saves, then restores identical files into a fresh workspace, also from a second server run on the same dir`,
      () => saveThenRestoreThenSecondRun(protocol),
      60_000
    );

    test.concurrent(
      `${protocol}: lookups: a miss is silent and downloads nothing; the version scopes hits; exact key first, else the newest prefix match (primary key included)`,
      () => lookups(protocol),
      60_000
    );

    test.concurrent(
      `${protocol}: saving a key that exists, or that a concurrent job just took: core.info, returns -1, no throw`,
      () => Promise.all([saveExistingKey(protocol), saveRacedByAnotherJob(protocol)]),
      60_000
    );

    test.concurrent(
      `${protocol}: download faults: corrupt and truncated archives fail restore with a warning; timeout options are ignored on a non-Azure host; a stall > 5 s is aborted`,
      () =>
        Promise.all([
          corruptDownload(protocol),
          truncatedDownload(protocol),
          slowDownloadIgnoresTimeoutOptions(protocol),
          stalledDownload(protocol)
        ]),
      60_000
    );

    test.concurrent(
      `${protocol}: no ACTIONS_RUNTIME_TOKEN: v1 gets 401s (save: info, restore: warning); v2 restore warns but v2 save THROWS`,
      () => missingToken(protocol),
      60_000
    );

    test.concurrent(
      `${protocol}: connection faults: an unreachable service (v1: 10 s of retries), a reset lookup, a failed upload`,
      () =>
        Promise.all([
          unreachableService(protocol),
          resetOnLookup(protocol),
          uploadFailsOnce(protocol)
        ]),
      60_000
    );
  }

  test.concurrent(
    'v1: a multi-chunk upload (CACHE_UPLOAD_CHUNK_SIZE=1 MiB, concurrent PATCHes) restores identical files',
    async () => {
      const server = await startCacheServer();
      const root = tempDir();
      const a = runner(root, 'ws-a');
      writePayload(a.workspace, 'payload', 5 * 1024 * 1024);
      const env = server.envFor('v1');
      try {
        const saved = await runClient('save', 'chunky', {
          env,
          ...a,
          extraEnv: { CACHE_UPLOAD_CHUNK_SIZE: '1' }
        });
        expect(saved.logs.warning).toEqual([]);
        const patches = server.requests.filter(r => r.op === 'upload');
        expect(patches.length).toBeGreaterThanOrEqual(5);
        const b = runner(root, 'ws-b');
        const restored = await runClient('restore', 'chunky', { env, ...b });
        expect(restored.result).toBe('chunky');
        expect(snapshot(path.join(b.workspace, 'payload'))).toEqual(
          snapshot(path.join(a.workspace, 'payload'))
        );
      } finally {
        await server.close();
      }
    },
    60_000
  );

  test.concurrent(
    'v2: Put Block + Put Block List (what the SDK does above 128 MiB) and ranged SDK downloads',
    async () => {
      // @actions/cache only switches to blocks above 128 MiB; drive the same SDK call directly
      // with a small maxSingleShotSize instead of packing a 129 MiB archive.
      const server = await startCacheServer();
      const dir = tempDir();
      const file = path.join(dir, 'blob.bin');
      const data = crypto.randomBytes(3 * 1024 * 1024 + 17);
      fs.writeFileSync(file, data);
      try {
        const twirp = (method: string, body: object) =>
          fetch(`${server.url}/twirp/github.actions.results.api.v1.CacheService/${method}`, {
            method: 'POST',
            headers: { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' },
            body: JSON.stringify(body)
          }).then(r => r.json());
        const created = await twirp('CreateCacheEntry', { key: 'blocks', version: 'v' });
        const script = `
          import { BlockBlobClient } from '@azure/storage-blob';
          const client = new BlockBlobClient(process.argv[1]);
          const res = await client.uploadFile(process.argv[2],
            { blockSize: 1024 * 1024, concurrency: 4, maxSingleShotSize: 1024 * 1024 });
          const props = await client.getProperties();
          const buf = await client.downloadToBuffer(0, undefined, { blockSize: 1024 * 1024 });
          console.log(JSON.stringify({ status: res._response.status, length: props.contentLength,
            sha: (await import('node:crypto')).createHash('sha256').update(buf).digest('hex') }));`;
        const out = await new Promise<string>((resolve, reject) =>
          execFile(
            process.execPath,
            ['--input-type=module', '-e', script, created.signed_upload_url, file],
            { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: undefined }, timeout: 60_000 },
            (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))
          )
        );
        expect(JSON.parse(out)).toEqual({
          status: 201,
          length: data.length,
          sha: crypto.createHash('sha256').update(data).digest('hex')
        });
        const details = server.requests.filter(r => r.op === 'upload').map(r => r.detail);
        expect(details.filter(d => d === 'block')).toHaveLength(4);
        expect(details.at(-1)).toBe('blocklist');
        const finalized = await twirp('FinalizeCacheEntryUpload', {
          key: 'blocks',
          version: 'v',
          size_bytes: String(data.length)
        });
        expect(finalized).toEqual({ ok: true, entry_id: '1' });
        expect(server.entries()).toMatchObject([{ key: 'blocks', size: data.length }]);
      } finally {
        await server.close();
      }
    },
    60_000
  );

  test.concurrent(
    'azure mode, v2: the SDK download honours segmentTimeoutInMs and gives up on a slow blob',
    async () => {
      const { server, base, b } = await setup('v2', { azure: true }, { seeded: true });
      try {
        // Without faults, the SDK path (HEAD + ranged GETs through the proxy) restores.
        const ok = await runClient('restore', 'k', { ...base, workspace: b.workspace });
        expect(ok.result).toBe('k');
        expect(ops(server)).toEqual(['getDownloadUrl', 'properties', 'download']);

        server.setFaults({ download: { delayMs: 5000 } });
        const c = runner(tempDir());
        const slow = await runClient('restore', 'k', {
          ...base,
          workspace: c.workspace,
          options: { segmentTimeoutInMs: 1000 }
        });
        expect(slow).toMatchObject({ result: null, error: null });
        expect(slow.logs.warning).toEqual([
          'Failed to restore: Aborting cache download as the download time exceeded the timeout.'
        ]);
        expect(slow.elapsedMs).toBeLessThan(5000);
      } finally {
        await server.close();
      }
    },
    60_000
  );

  test.concurrent(
    'azure mode, v1: ranged concurrent download; timeoutInMs times out a slow range, retried after 5 s',
    async () => {
      const { server, base, b } = await setup(
        'v1',
        { azure: true, faults: { download: { delayMs: 3000, times: 1 } } },
        { seeded: true }
      );
      try {
        const restored = await runClient('restore', 'k', {
          ...base,
          workspace: b.workspace,
          options: { timeoutInMs: 1000 }
        });
        expect(restored).toMatchObject({ result: 'k', error: null });
        expect(ops(server)).toEqual(['lookup', 'properties', 'download', 'download']);
        expect(server.requests[2].aborted).toBe(true); // the client hung up on the slow one
        expect(restored.elapsedMs).toBeGreaterThanOrEqual(5000);
      } finally {
        await server.close();
      }
    },
    60_000
  );
});
