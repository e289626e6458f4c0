// What the action may touch and what it may trust, through the bundled dist/: hostile paths leave
// every file outside the workspace, RUNNER_TEMP and the tool cache (and every project file) as it
// was; the project's own code is never a stale copy from the cache; the post step saves only the
// venv the main step built; a hash-pinned requirements file installs.
import { createHash } from 'node:crypto';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { localPipEnv } from '../../scripts/e2e/local-env.mjs';
import { laterStepEnv, repoRoot } from '../../scripts/e2e/runner.mjs';
import {
  annotations,
  errors,
  exampleProject,
  fixtureProject,
  laterStep,
  runSetupDjango
} from '../helpers/e2e.js';

/** Every entry under `root` with its type, mode, mtime and content hash (links: their target). */
function snapshotTree(root: string, skip: string[] = []): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (skip.includes(full)) continue;
      const stat = lstatSync(full);
      const id = `${stat.mode}:${stat.mtimeMs}`;
      if (stat.isSymbolicLink()) entries.set(full, `link ${id} ${readlinkSync(full)}`);
      else if (stat.isDirectory()) {
        entries.set(full, `dir ${stat.mode}`);
        walk(full);
      } else {
        const hash = createHash('sha256').update(readFileSync(full)).digest('hex');
        entries.set(full, `file ${id} ${hash}`);
      }
    }
  };
  walk(root);
  return entries;
}

/** What differs between two snapshots: added, removed and changed paths. */
function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [entry, value] of before) {
    if (!after.has(entry)) changes.push(`removed ${entry}`);
    else if (after.get(entry) !== value) changes.push(`changed ${entry}`);
  }
  for (const entry of after.keys()) if (!before.has(entry)) changes.push(`added ${entry}`);
  return changes;
}

describe('hostile paths touch nothing outside the workspace, RUNNER_TEMP and the tool cache', () => {
  // sandbox/{home, outside, workspace, runner-temp}: HOME is the sandbox's, so `$HOME` is too.
  const sandbox = mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
  const home = path.join(sandbox, 'home');
  const workspace = path.join(sandbox, 'workspace');
  const runnerTemp = path.join(sandbox, 'runner-temp');
  beforeAll(() => {
    mkdirSync(path.join(home, '.config'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'settings.ini'), 'keep me\n');
    writeFileSync(path.join(home, 'notes.txt'), 'keep me too\n');
    mkdirSync(path.join(sandbox, 'outside', 'x'), { recursive: true });
    writeFileSync(path.join(sandbox, 'outside', 'x', 'data.txt'), 'outside\n');
    mkdirSync(workspace);
    cpSync(exampleProject, workspace, {
      recursive: true,
      filter: source => !/(^|\/)(\.venv|staticfiles|__pycache__|db\.sqlite3)$/.test(source)
    });
  });
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  const cases: [Record<string, string>, RegExp][] = [
    [{ 'venv-path': '..' }, /'venv-path'.*outside the workspace/],
    // `/` itself is refused by the same rule (__tests__/unit/inputs.test.ts); an e2e run of a
    // regressed bundle with `/` would delete the test machine, so the sandbox stands in for it.
    [{ 'venv-path': sandbox }, /'venv-path' is .*, which contains the working directory/],
    [{ 'venv-path': home }, /'venv-path' is .*\/home, which holds 2 entries .*no pyvenv.cfg/],
    [{ 'venv-path': '../../x' }, /'venv-path'.*outside the workspace/],
    [
      { 'venv-path': 'polls' },
      /'venv-path' is .*\/polls, which holds .*choose another 'venv-path'/
    ],
    [{ 'venv-path': '.' }, /'venv-path' is .*, which is the working directory/],
    [{ 'venv-path': 'manage.py' }, /'venv-path' is .*manage.py, which is a file/],
    [{ 'working-directory': '..' }, /'working-directory'.*outside the workspace/],
    [{ 'working-directory': '/' }, /'working-directory'.*outside the workspace/],
    [{ 'working-directory': '../../x' }, /'working-directory'.*outside the workspace/],
    [{ artifact: 'true', 'artifact-name': '..' }, /'artifact-name'/],
    [{ artifact: 'true', 'artifact-name': '/' }, /'artifact-name'/],
    [{ artifact: 'true', 'artifact-name': '../../x' }, /'artifact-name'/],
    [{ 'requirements-file': '..' }, /'requirements-file'.*outside the workspace/],
    [{ 'requirements-file': '/' }, /'requirements-file'.*outside the workspace/],
    [{ 'requirements-file': '../../x' }, /'requirements-file'.*outside the workspace/],
    [{ 'requirements-file': '.' }, /'requirements-file' names .*, which is a folder/],
    [{ 'requirements-file': 'polls' }, /'requirements-file' names polls, which is a folder/]
  ];

  it('each run fails naming the input, and no file outside (nor any project file) changed', async () => {
    const before = snapshotTree(sandbox, [runnerTemp]);
    const failures: string[] = [];
    for (const [inputs, message] of cases) {
      const result = await runSetupDjango(
        workspace,
        { migrate: 'false', collectstatic: 'false', ...inputs },
        { runnerTemp, env: { HOME: home } }
      );
      const error = errors(result);
      if (
        result.exitCode !== 1 ||
        !message.test(error) ||
        annotations(result, 'error').length !== 1
      )
        failures.push(`${JSON.stringify(inputs)}: exit ${result.exitCode}, ${error}`);
    }
    expect(failures).toEqual([]);
    // The workspace may gain the action's own files; nothing that was there may change.
    const after = snapshotTree(sandbox, [runnerTemp]);
    expect(treeChanges(before, after).filter(change => !change.startsWith('added '))).toEqual([]);
    expect(
      treeChanges(before, after).filter(change => !change.startsWith(`added ${workspace}/`))
    ).toEqual([]);
  });
});

describe("the project's own code is never a stale copy from the cache", () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'stale-code-'));
  const workspace = path.join(root, 'workspace');
  const checkout = (release: string): void => {
    rmSync(workspace, { recursive: true, force: true });
    cpSync(fixtureProject('installable'), workspace, { recursive: true });
    writeFileSync(
      path.join(workspace, 'src', 'bookshop', 'release.py'),
      `RELEASE = "${release}"\n`
    );
  };
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a pyproject project changed by one line: the warm run (cache hit) runs the new line', async () => {
    const inputs = { migrate: 'false', check: 'none' };
    checkout('one');
    const cold = await runSetupDjango(workspace, inputs, { env: server.envFor('v2') });
    expect(errors(cold)).toBe('');
    expect(cold.outputs['static-root']).toBe(path.join(workspace, 'collected-one'));
    expect(server.entries().map(e => e.key)).toEqual([cold.outputs['cache-key']]);

    checkout('two');
    const warm = await runSetupDjango(workspace, inputs, { env: server.envFor('v2') });
    expect(errors(warm)).toBe('');
    expect(warm.outputs['cache-hit']).toBe('true');
    // Django (manage.py imports bookshop from the venv) and a later step, run from elsewhere.
    expect(warm.outputs['static-root']).toBe(path.join(workspace, 'collected-two'));
    const later = laterStep(
      'python',
      ['-c', 'import bookshop.release as r; print(r.RELEASE)'],
      laterStepEnv(warm),
      root
    );
    expect(later.trim()).toBe('two');
  });
});

describe('the post step saves only the venv the main step built', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'post-verify-'));
  const workspace = path.join(root, 'workspace');
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
    mkdirSync(workspace);
    cpSync(exampleProject, workspace, {
      recursive: true,
      filter: source => !/(^|\/)(\.venv|staticfiles|__pycache__|db\.sqlite3)$/.test(source)
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a later step pip-installs a package: nothing is saved, and a notice says why', async () => {
    const result = await runSetupDjango(
      workspace,
      { migrate: 'false', collectstatic: 'false' },
      {
        env: server.envFor('v2'),
        betweenSteps: main =>
          void laterStep(
            'python',
            ['-m', 'pip', 'install', '--disable-pip-version-check', 'six'],
            { ...laterStepEnv(main), ...localPipEnv() },
            workspace
          )
      }
    );
    expect(errors(result)).toBe('');
    expect(result.post?.exitCode).toBe(0);
    expect(annotations(result.post!, 'notice').join('\n')).toMatch(
      /Not saving the cache: the virtualenv at .* changed after setup-django installed it \(added six-[\d.]+\)/
    );
    expect(server.entries()).toEqual([]);
  });
});

describe('hash-pinned requirements', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hashed-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('install from a pip-compile --generate-hashes file (pip is seeded in a run of its own)', async () => {
    const workspace = path.join(root, 'workspace');
    cpSync(exampleProject, workspace, {
      recursive: true,
      filter: source => !/(^|\/)(\.venv|staticfiles|__pycache__|db\.sqlite3)$/.test(source)
    });
    cpSync(
      path.join(repoRoot, '__tests__', 'fixtures', 'hashed-requirements', 'requirements.txt'),
      path.join(workspace, 'requirements-hashed.txt')
    );
    const result = await runSetupDjango(workspace, {
      'requirements-file': 'requirements-hashed.txt',
      migrate: 'false',
      collectstatic: 'false'
    });
    expect(errors(result)).toBe('');
    expect(result.outputs['django-version']).toBe('5.2.17');
    expect(result.stdout).toMatch(/Seeded the virtualenv with pip-[\d.]+-py3-none-any.whl/);
  });
});
