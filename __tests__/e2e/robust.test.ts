// The exec door and input validation seen from a workflow: children (manage.py, settings,
// migrations, the smoke-test server) never see the action's inputs or the runner's service
// credentials; a cancelled or timed-out Django command dies with its whole process tree even
// when it ignores SIGTERM; a bad version spec fails before apt or a download starts.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { FAKE_GITHUB_TOKEN } from '../../scripts/e2e/runner.mjs';
import { errors, exampleProject, makeWorkspace, runSetupDjango } from '../helpers/e2e.js';
import { startFileServer, type FileServer } from '../helpers/file-server.js';
import { stillAliveAfterKill } from '../helpers/processes.js';

// Appended to the project's settings: records the environment of every process that loads the
// settings and, on request, hangs with a child, both ignoring SIGTERM, as a stuck migrate would.
const SETTINGS_PROBE = `
import json as _json, os as _os, signal as _signal, subprocess as _subprocess, time as _time
_dump = _os.environ.get('SETUP_DJANGO_TEST_DUMP')
if _dump:
    with open(_os.path.join(_dump, 'env-%d.json' % _os.getpid()), 'w') as _f:
        import sys as _sys
        _json.dump({'env': dict(_os.environ), 'argv': _sys.argv}, _f)
_hang = _os.environ.get('SETUP_DJANGO_TEST_HANG')
if _hang:
    _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
    _child = _subprocess.Popen(['sleep', '300'])
    with open(_os.path.join(_hang, 'pids.tmp'), 'w') as _f:
        _f.write('%d %d' % (_os.getpid(), _child.pid))
    _os.rename(_os.path.join(_hang, 'pids.tmp'), _os.path.join(_hang, 'pids'))
    _time.sleep(300)
`;

describe('the exec door, end to end', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'robust-'));
  let workspace: string;
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
    workspace = makeWorkspace(exampleProject, root);
    appendFileSync(path.join(workspace, 'mysite', 'settings.py'), SETTINGS_PROBE);
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives manage.py, the settings and the smoke-test server no input, token or runner credential', async () => {
    const dumps = path.join(root, 'dumps');
    mkdirSync(dumps);
    const result = await runSetupDjango(
      workspace,
      { 'python-version': '>=3.9,!=3.10.*', server: 'gunicorn', 'smoke-test': 'true' },
      {
        env: {
          ...server.envFor('v2'),
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request-token',
          ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/oidc',
          GITHUB_TOKEN: 'set-by-the-workflow-in-env',
          SETUP_DJANGO_TEST_DUMP: dumps
        }
      }
    );
    expect(errors(result)).toBe('');
    const loaded = readdirSync(dumps).map(
      file =>
        JSON.parse(readFileSync(path.join(dumps, file), 'utf8')) as {
          env: Record<string, string>;
          argv: string[];
        }
    );
    // The Django driver (running manage.py) and the smoke-test server loaded the settings.
    const argvs = loaded.map(process => process.argv.join(' '));
    expect(argvs.some(argv => /manage\.py|driver\.py/.test(argv))).toBe(true);
    expect(argvs.some(argv => /gunicorn/.test(argv))).toBe(true);
    for (const { env } of loaded) {
      expect(Object.keys(env).filter(key => /^(INPUT_|STATE_)/.test(key))).toEqual([]);
      for (const key of [
        'ACTIONS_RUNTIME_TOKEN',
        'ACTIONS_RESULTS_URL',
        'ACTIONS_CACHE_URL',
        'ACTIONS_CACHE_SERVICE_V2',
        'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
        'ACTIONS_ID_TOKEN_REQUEST_URL',
        'GITHUB_STATE',
        'GITHUB_OUTPUT',
        'GITHUB_ENV',
        'GITHUB_PATH'
      ])
        expect(env).not.toHaveProperty(key);
      expect(JSON.stringify(env)).not.toContain(FAKE_GITHUB_TOKEN);
      // What the workflow itself put in env: is the user's choice and stays.
      expect(env.GITHUB_TOKEN).toBe('set-by-the-workflow-in-env');
      expect(env.GITHUB_WORKSPACE).toBe(workspace);
    }
  });

  function pidsIn(dir: string): number[] {
    return readFileSync(path.join(dir, 'pids'), 'utf8').split(' ').map(Number);
  }

  it('kills a cancelled migrate and its child, both ignoring SIGTERM (SIGKILL of the group after a grace)', async () => {
    const hang = path.join(root, 'hang-cancel');
    mkdirSync(hang);
    const cancelled = await runSetupDjango(
      workspace,
      {},
      {
        env: { SETUP_DJANGO_TEST_HANG: hang },
        cancelWhen: () => existsSync(path.join(hang, 'pids'))
      }
    );
    expect(cancelled.exitCode).not.toBe(0);
    expect(errors(cancelled)).toMatch(/cancelled \(SIGTERM\); stopping 1 running command/);
    for (const pid of pidsIn(hang)) expect(await stillAliveAfterKill(pid)).toBe(false);
  });

  it('stops a migrate that outlives command-timeout, names the command, the limit and the input', async () => {
    const hang = path.join(root, 'hang-timeout');
    mkdirSync(hang);
    const result = await runSetupDjango(
      workspace,
      { 'command-timeout': '0.2' },
      { env: { SETUP_DJANGO_TEST_HANG: hang } }
    );
    expect(result.exitCode).not.toBe(0);
    const message = errors(result);
    expect(message).toMatch(
      /driver\.py .*did not finish within 12 s \(the limit for the Django commands/
    );
    expect(message).toMatch(/database locks/);
    expect(message).toContain("'command-timeout' input");
    for (const pid of pidsIn(hang)) expect(await stillAliveAfterKill(pid)).toBe(false);
  });
});

describe('inputs are checked before any work', () => {
  let files: FileServer;
  beforeAll(async () => {
    files = await startFileServer({});
  });
  afterAll(async () => {
    await files.close();
  });

  it.each([
    [
      'python-version',
      { 'python-version': '>=3.9;' },
      '',
      /^Input 'python-version': '>=3.9;' is not a Python version spec/
    ],
    [
      'a .python-version file',
      {},
      'three-eleven\n',
      /'three-eleven' is not a Python version spec.*\(read from file \.python-version\)/
    ]
  ])(
    'a bad spec in %s fails before apt or the Oracle download start',
    async (_, inputs, versionFile, expected) => {
      const workspace = makeWorkspace(exampleProject);
      try {
        if (versionFile) writeFileSync(path.join(workspace, '.python-version'), versionFile);
        const result = await runSetupDjango(workspace, {
          ...inputs,
          'apt-packages': 'coreutils',
          'oracle-instant-client': '23.8',
          'oracle-instant-client-url': files.url
        });
        expect(result.exitCode).not.toBe(0);
        expect(errors(result)).toMatch(expected);
        expect(files.requests).toEqual([]);
        expect(result.stdout).not.toMatch(/Already installed: coreutils|apt-get/);
        expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
      } finally {
        rmSync(workspace, { recursive: true, force: true });
      }
    }
  );
});
