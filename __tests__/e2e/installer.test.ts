// `installer: uv` end to end: the bundled action pip-installs the real uv into its tool venv
// (from the public index), installs the example project with `uv pip install`, saves the venv
// under a `pip-uv` key through the local cache service, and a fresh checkout restores it.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { localPipEnv } from '../../scripts/e2e/local-env.mjs';
import { errors, exampleProject, machinePython, runSetupDjango } from '../helpers/e2e.js';
import { PUBLIC_INDEX } from '../helpers/uv.js';

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
    expect(cold.outputs['django-version']).toBe('5.2.17');
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
