// The venv cache through the real @actions/cache client and a local cache service, both protocols.
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, runnerNode } from '../../scripts/e2e/runner.mjs';
import { packVenv, removeShards, shardDirFor } from '../../src/cache/shards.js';
import {
  closedPortUrl,
  startCacheServer,
  type CacheServer
} from '../../scripts/e2e/cache-server.mjs';
import { annotations, errors, exampleProject, runSetupDjango } from '../helpers/e2e.js';

/** Two "workflow runs" share the workspace path, as hosted runners do; each starts from a fresh checkout. */
function freshCheckout(workspace: string, project = exampleProject): void {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(project, workspace, {
    recursive: true,
    filter: source => !/(^|\/)(\.venv|staticfiles|__pycache__|db\.sqlite3)$/.test(source)
  });
}

const pipRan = (stdout: string): boolean => /::group::pip install/.test(stdout);

describe.each(['v1', 'v2'] as const)('cache protocol %s', protocol => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), `cache-e2e-${protocol}-`));
  const workspace = path.join(root, 'workspace');
  const run = (inputs: Record<string, string> = {}, env: Record<string, string | undefined> = {}) =>
    runSetupDjango(workspace, inputs, { env: { ...server.envFor(protocol), ...env } });

  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
  });

  it('misses and saves on a cold run, then hits on a fresh checkout without running pip', async () => {
    freshCheckout(workspace);
    const cold = await run();
    expect(errors(cold)).toBe('');
    expect(cold.outputs['cache-hit']).toBe('false');
    expect(pipRan(cold.stdout)).toBe(true);
    expect(cold.post?.exitCode).toBe(0);
    expect(server.entries().map(e => e.key)).toEqual([cold.outputs['cache-key']]);

    freshCheckout(workspace);
    server.requests.length = 0;
    const warm = await run();
    expect(errors(warm)).toBe('');
    expect(warm.outputs['cache-hit']).toBe('true');
    expect(pipRan(warm.stdout)).toBe(false);
    expect(server.requests.some(r => r.op === 'download')).toBe(true);
    // cache-matched-key: empty on the miss, the key itself on the exact hit.
    expect(cold.outputs['cache-matched-key']).toBe('');
    expect(warm.outputs['cache-matched-key']).toBe(cold.outputs['cache-key']);
    // The migration plan is written into each run's own RUNNER_TEMP.
    const {
      'migrations-applied': _a,
      'cache-hit': _c,
      'cache-matched-key': _e,
      'migration-plan-path': _g,
      ...warmRest
    } = warm.outputs;
    const {
      'migrations-applied': _b,
      'cache-hit': _d,
      'cache-matched-key': _f,
      'migration-plan-path': _h,
      ...coldRest
    } = cold.outputs;
    expect(warmRest).toEqual(coldRest);
    // An exact hit saves nothing.
    expect(server.requests.some(r => ['reserve', 'create'].includes(r.op))).toBe(false);
    expect(warm.summary).toMatch(/cache hit/);
    // The log says the key and what became of it, one line each run.
    const key = cold.outputs['cache-key'];
    expect(cold.stdout).toContain(
      `Cache miss: ${key} (the venv is built and saved by the post step).`
    );
    expect(warm.stdout).toMatch(
      new RegExp(`^Cache hit: ${key} \\(restored and validated in \\d+\\.\\d s\\)\\.$`, 'm')
    );
  });

  it('changes the key when a requirement changes', async () => {
    freshCheckout(workspace);
    const before = await run({ migrate: 'false', collectstatic: 'false' });
    appendFileSync(path.join(workspace, 'requirements.txt'), 'sqlparse\n');
    const after = await run({ migrate: 'false', collectstatic: 'false' });
    expect(errors(after)).toBe('');
    expect(after.outputs['cache-key']).not.toBe(before.outputs['cache-key']);
    expect(after.outputs['cache-hit']).toBe('false');
  });

  it('saves nothing when the job fails', async () => {
    freshCheckout(workspace);
    const count = server.entries().length;
    const result = await runSetupDjango(
      workspace,
      { 'cache-suffix': 'failed-job' },
      { env: server.envFor(protocol), jobFailed: true }
    );
    expect(result.exitCode).toBe(0);
    expect(result.post).toBeUndefined();
    expect(server.entries().length).toBe(count);
  });
});

describe('cache faults are warnings, and the run goes on', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'cache-faults-'));
  const workspace = path.join(root, 'workspace');
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
  });
  const run = (suffix: string) =>
    runSetupDjango(
      workspace,
      { 'cache-suffix': suffix, migrate: 'false', collectstatic: 'false' },
      { env: server.envFor('v2') }
    );

  it('an unreachable cache service', async () => {
    freshCheckout(workspace);
    const url = await closedPortUrl();
    const result = await runSetupDjango(
      workspace,
      { migrate: 'false', collectstatic: 'false' },
      { env: { ...server.envFor('v2'), ACTIONS_RESULTS_URL: `${url}/` } }
    );
    expect(errors(result)).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.outputs['cache-hit']).toBe('false');
    expect(result.post?.exitCode).toBe(0);
    expect(annotations(result.post!, 'warning').join('\n')).toMatch(
      /Saving the virtualenv to the cache failed/
    );
  });

  it('a 500 on the download-URL lookup', async () => {
    freshCheckout(workspace);
    server.setFaults({ getDownloadUrl: { status: 500 } });
    const result = await run('lookup-500');
    server.setFaults({});
    expect(result.exitCode).toBe(0);
    expect(annotations(result, 'warning').join('\n')).toMatch(/restore|cache/i);
    // The post step's save went through; only the lookup confirming it failed.
    expect(server.entries().map(e => e.key)).toContain(result.outputs['cache-key']);
    const post = [...annotations(result.post!, 'warning'), ...annotations(result.post!, 'error')];
    expect(post.join('\n')).toMatch(
      /Saved the virtualenv to the cache with key .*, but the lookup confirming the save failed/
    );
    expect(post.join('\n')).not.toMatch(/Saving the virtualenv to the cache failed/);
  });

  it('a corrupt download: the venv is rebuilt, nothing half-restored is used', async () => {
    freshCheckout(workspace);
    const first = await run('corrupt');
    expect(first.outputs['cache-hit']).toBe('false');
    freshCheckout(workspace);
    server.setFaults({ download: { corrupt: true } });
    const second = await run('corrupt');
    server.setFaults({});
    expect(errors(second)).toBe('');
    expect(second.exitCode).toBe(0);
    expect(second.outputs['cache-hit']).toBe('false');
    expect(pipRan(second.stdout)).toBe(true);
    expect(annotations(second, 'warning').length).toBeGreaterThan(0);
  });

  it('a slow cache service: the run waits for it, then hits', async () => {
    freshCheckout(workspace);
    const first = await run('slow');
    expect(first.post?.exitCode).toBe(0);
    freshCheckout(workspace);
    server.setFaults({ getDownloadUrl: { delayMs: 2000 }, download: { delayMs: 2000 } });
    const second = await run('slow');
    server.setFaults({});
    expect(errors(second)).toBe('');
    expect(second.outputs['cache-hit']).toBe('true');
    expect(pipRan(second.stdout)).toBe(false);
  });

  it('a concurrent job saved the same key first', async () => {
    freshCheckout(workspace);
    server.setFaults({ create: { conflict: true } });
    const result = await run('conflict');
    server.setFaults({});
    expect(result.exitCode).toBe(0);
    expect(result.post?.exitCode).toBe(0);
    expect(errors(result.post!)).toBe('');
  });
});

describe('a restored venv is validated, never trusted blindly', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'cache-validate-'));
  const workspace = path.join(root, 'workspace');
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
  });

  /**
   * Saves the workspace's venv under `key` in the action's format (shards) with the real client,
   * as a poisoned or stale entry would be. Asynchronous: the cache server runs in this process
   * and must keep answering.
   */
  async function saveEntry(key: string): Promise<void> {
    const venv = path.join(workspace, '.venv');
    const shardDir = shardDirFor(venv);
    const marker = path.join(venv, '.setup-django.json');
    // The format keeps the marker in its manifest; an entry without one has an empty marker.
    if (!existsSync(marker)) writeFileSync(marker, '');
    await packVenv(venv, shardDir);
    await promisify(execFile)(
      runnerNode(),
      [
        path.join(repoRoot, 'scripts', 'e2e', 'cache-client.mjs'),
        'save',
        '--path',
        shardDir,
        '--key',
        key
      ],
      {
        env: {
          ...process.env,
          ...server.envFor('v2'),
          GITHUB_WORKSPACE: workspace,
          RUNNER_TEMP: root
        } as NodeJS.ProcessEnv,
        encoding: 'utf8',
        timeout: 120000
      }
    );
    removeShards(shardDir);
  }

  it.each([
    [
      'the cached interpreter is gone',
      (venv: string) => {
        rmSync(path.join(venv, 'bin', 'python'));
        symlinkSync(path.join(root, 'no-such-python'), path.join(venv, 'bin', 'python'));
      },
      /does not resolve|failed to start/
    ],
    [
      'the cached venv was built by another interpreter',
      (venv: string) => {
        const marker = JSON.parse(readFileSync(path.join(venv, '.setup-django.json'), 'utf8'));
        writeFileSync(
          path.join(venv, '.setup-django.json'),
          JSON.stringify({ ...marker, pythonVersion: '3.9.0' })
        );
      },
      /built with Python 3.9.0/
    ],
    [
      'the cached venv lacks django (the marker and interpreter are fine)',
      (venv: string) => {
        const site = readdirSync(path.join(venv, 'lib'))
          .map(name => path.join(venv, 'lib', name, 'site-packages'))
          .find(dir => existsSync(dir))!;
        for (const name of readdirSync(site).filter(n =>
          /^(django|Django-.*\.dist-info)$/i.test(n)
        ))
          rmSync(path.join(site, name), { recursive: true, force: true });
      },
      /failed to start or import django/
    ],
    [
      'the cached venv is incomplete (no marker)',
      (venv: string) => {
        rmSync(path.join(venv, '.setup-django.json'));
      },
      /no completion marker/
    ]
  ])('rebuilds when %s', async (_name, breakVenv, reason) => {
    const suffix = `validate-${Math.random().toString(36).slice(2, 8)}`;
    freshCheckout(workspace);
    const inputs = { migrate: 'false', collectstatic: 'false', 'cache-suffix': suffix };
    const first = await runSetupDjango(workspace, inputs, {
      env: server.envFor('v2'),
      post: false
    });
    expect(errors(first)).toBe('');
    breakVenv(path.join(workspace, '.venv'));
    await saveEntry(first.outputs['cache-key']);
    freshCheckout(workspace);
    const second = await runSetupDjango(workspace, inputs, { env: server.envFor('v2') });
    expect(errors(second)).toBe('');
    expect(second.outputs['cache-hit']).toBe('false');
    expect(annotations(second, 'warning').join('\n')).toMatch(
      /restored from the cache is not usable/
    );
    expect(annotations(second, 'warning').join('\n')).toMatch(reason);
    expect(pipRan(second.stdout)).toBe(true);
    // Really rebuilt, in this run: the venv now holds django again.
    expect(second.outputs['django-version']).toMatch(/^\d+\.\d+/);
  });
});
