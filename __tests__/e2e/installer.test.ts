// `installer: uv` end to end: the bundled action pip-installs the real uv into its tool venv
// (from the public index), installs the example project with `uv pip install`, saves the venv
// under a `pip-uv` key through the local cache service, and a fresh checkout restores it.
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { localPipEnv } from '../../scripts/e2e/local-env.mjs';
import { errors, exampleProject, machinePython, runSetupDjango } from '../helpers/e2e.js';
import { PUBLIC_INDEX } from '../helpers/uv.js';
import { buildWheels } from '../helpers/wheels.js';

/** Two "workflow runs" share the workspace path, as hosted runners do; each starts from a fresh checkout. */
function freshCheckout(workspace: string, project = exampleProject): void {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(project, workspace, {
    recursive: true,
    filter: source => !/(^|\/)(\.venv|staticfiles|__pycache__|db\.sqlite3)$/.test(source)
  });
}

/** A runner tool cache of its own holding the machine's Python: no uv tool venv in it yet. */
function freshToolCache(dir: string): string {
  const { prefix, version } = machinePython();
  const entry = path.join(dir, 'Python', version);
  mkdirSync(entry, { recursive: true });
  symlinkSync(prefix, path.join(entry, os.arch()));
  writeFileSync(path.join(entry, `${os.arch()}.complete`), '');
  return dir;
}

describe('installer: uv, end to end with the venv cache', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'installer-e2e-'));
  const workspace = path.join(root, 'workspace');
  const toolCache = freshToolCache(path.join(root, 'toolcache'));
  // The tool venv's pip needs the public index for uv; uv is then handed the same indexes.
  const pipEnv = localPipEnv();
  const env = () => ({
    ...server.envFor('v2'),
    PIP_EXTRA_INDEX_URL: [pipEnv.PIP_EXTRA_INDEX_URL, PUBLIC_INDEX].filter(Boolean).join(' ')
  });
  const run = (inputs: Record<string, string> = {}) =>
    runSetupDjango(workspace, { installer: 'uv', ...inputs }, { toolCache, env: env() });

  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  let coldKey = '';
  it('cold: installs uv into its tool venv, installs with uv pip install, saves a pip-uv key', async () => {
    freshCheckout(workspace);
    const cold = await run();
    expect(errors(cold)).toBe('');
    expect(cold.outputs['cache-hit']).toBe('false');
    expect(cold.outputs['cache-matched-key']).toBe('');
    expect(cold.outputs['package-manager']).toBe('pip');
    coldKey = cold.outputs['cache-key'];
    expect(coldKey).toMatch(/-pip-uv-[0-9a-f]{32}$/);
    expect(cold.stdout).toMatch(/Installer: uv/);
    expect(cold.stdout).toMatch(
      /uv is not on PATH: installing uv with pip into its own virtualenv/
    );
    expect(cold.stdout).toMatch(
      /translated from pip's settings[\s\S]*UV_INDEX_STRATEGY=unsafe-best-match/
    );
    expect(cold.stdout).toMatch(/::group::uv pip install -r requirements\.txt/);
    expect(cold.stdout).not.toMatch(/::group::pip install/);
    expect(cold.summary).toMatch(/pip \(installer: uv\), cache miss/);
    expect(cold.outputs['django-version']).toMatch(/^5\.2\.\d+$/);
    expect(cold.post?.exitCode).toBe(0);
    expect(server.entries().map(e => e.key)).toEqual([coldKey]);
  });

  it('warm: a fresh checkout restores the exact key and runs no installer', async () => {
    freshCheckout(workspace);
    server.requests.length = 0;
    const warm = await run();
    expect(errors(warm)).toBe('');
    expect(warm.outputs['cache-hit']).toBe('true');
    expect(warm.outputs['cache-key']).toBe(coldKey);
    expect(warm.outputs['cache-matched-key']).toBe(coldKey);
    expect(warm.stdout).not.toMatch(/::group::uv pip install/);
    expect(warm.summary).toMatch(/pip \(installer: uv\), cache hit/);
    expect(server.requests.some(r => ['reserve', 'create'].includes(r.op))).toBe(false);
  });

  it('a pip run of the same project does not restore the uv entry', async () => {
    freshCheckout(workspace);
    const pip = await run({ installer: 'pip', migrate: 'false', collectstatic: 'false' });
    expect(errors(pip)).toBe('');
    expect(pip.outputs['cache-key']).toBe(coldKey.replace('-pip-uv-', '-pip-pip-'));
    expect(pip.outputs['cache-hit']).toBe('false');
    expect(pip.stdout).toMatch(/::group::pip install -r requirements\.txt/);
  });
});

/** `name==version` of every distribution in the venv. */
function distributions(venv: string): string[] {
  const script =
    'import importlib.metadata as m; print("\\n".join(sorted("%s==%s" % (d.metadata["Name"].lower(), d.version) for d in m.distributions())))';
  return execFileSync(path.join(venv, 'bin', 'python'), ['-c', script], { encoding: 'utf8' })
    .trim()
    .split('\n');
}

describe('a dependency bump restores the previous venv and brings it to the new requirements', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'bump-e2e-'));
  const workspace = path.join(root, 'workspace');
  const wheels = buildWheels(path.join(root, 'wheels'), [
    { name: 'bump-probe', version: '1.0' },
    { name: 'bump-probe', version: '1.1', requires: ['bump-probe-dep>=1'] },
    { name: 'bump-probe-dep', version: '1.0' },
    { name: 'bump-probe-gone', version: '1.0' }
  ]);
  const checkout = (extra: string) => {
    freshCheckout(workspace);
    appendFileSync(path.join(workspace, 'requirements.txt'), extra);
  };
  const run = (inputs: Record<string, string> = {}) =>
    runSetupDjango(
      workspace,
      { migrate: 'false', collectstatic: 'false', ...inputs },
      { env: { ...server.envFor('v2'), PIP_FIND_LINKS: wheels } }
    );

  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('cache-hit false, cache-matched-key the first key, the set of a cold build, saved under the new key', async () => {
    checkout('bump-probe==1.0\nbump-probe-gone\n');
    const first = await run();
    expect(errors(first)).toBe('');
    expect(first.post?.exitCode).toBe(0);
    const firstKey = first.outputs['cache-key'];
    expect(server.entries().map(e => e.key)).toEqual([firstKey]);

    // The pull request: bump-probe 1.0 → 1.1 (which needs bump-probe-dep), bump-probe-gone dropped.
    checkout('bump-probe==1.1\n');
    const bumped = await run();
    expect(errors(bumped)).toBe('');
    expect(bumped.outputs['cache-hit']).toBe('false');
    expect(bumped.outputs['cache-matched-key']).toBe(firstKey);
    const bumpedKey = bumped.outputs['cache-key'];
    expect(bumpedKey).not.toBe(firstKey);
    expect(bumped.stdout).toMatch(/Restored \S+, the newest venv of the same platform/);
    const changes =
      'added bump-probe-dep 1.0; upgraded bump-probe 1.0 → 1.1; removed bump-probe-gone 1.0';
    expect(bumped.stdout).toContain(`Dependency update from the restored venv: ${changes}.`);
    expect(bumped.summary).toContain('restore-key match');
    expect(bumped.summary).toContain(changes);
    const bumpedSet = distributions(path.join(workspace, '.venv'));
    expect(bumped.post?.exitCode).toBe(0);
    expect(server.entries().map(e => e.key)).toEqual(expect.arrayContaining([firstKey, bumpedKey]));

    // A cold build of the same requirements (another suffix: nothing to fall back on).
    checkout('bump-probe==1.1\n');
    const cold = await run({ 'cache-suffix': 'cold' });
    expect(errors(cold)).toBe('');
    expect(cold.outputs['cache-matched-key']).toBe('');
    expect(cold.stdout).not.toMatch(/Restored \S+, the newest venv/);
    expect(distributions(path.join(workspace, '.venv'))).toEqual(bumpedSet);
    expect(bumpedSet).toEqual(expect.arrayContaining(['bump-probe==1.1', 'bump-probe-dep==1.0']));
    expect(bumpedSet.some(d => d.startsWith('bump-probe-gone'))).toBe(false);

    // The next run of the bumped requirements is an exact hit on what the bump saved.
    checkout('bump-probe==1.1\n');
    const warm = await run();
    expect(warm.outputs['cache-hit']).toBe('true');
    expect(warm.outputs['cache-matched-key']).toBe(bumpedKey);
    expect(distributions(path.join(workspace, '.venv'))).toEqual(bumpedSet);
  });
});
