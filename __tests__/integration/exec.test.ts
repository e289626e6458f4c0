// The exec door with real processes: what a child's environment holds, and that a command past
// its time limit is killed with its whole process tree (even one that ignores SIGTERM).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CommandTimeoutError,
  configureCommandTimeout,
  execCommand,
  startBackground
} from '../../src/exec.js';
import { stillAliveAfterKill } from '../helpers/processes.js';

const ACTION_ONLY = {
  INPUT_TOKEN: 'ghs_inputToken',
  INPUT_PYTHON_VERSION: '3.12',
  STATE_venv: 'state',
  ACTIONS_RUNTIME_TOKEN: 'runtime-token',
  ACTIONS_RUNTIME_URL: 'http://127.0.0.1:1/runtime/',
  ACTIONS_CACHE_URL: 'http://127.0.0.1:1/cache/',
  ACTIONS_RESULTS_URL: 'http://127.0.0.1:1/results/',
  ACTIONS_CACHE_SERVICE_V2: 'true',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-token',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/oidc',
  GITHUB_STATE: '/runner/_temp/_runner_file_commands/save_state',
  GITHUB_OUTPUT: '/runner/_temp/_runner_file_commands/set_output',
  GITHUB_ENV: '/runner/_temp/_runner_file_commands/set_env',
  GITHUB_PATH: '/runner/_temp/_runner_file_commands/add_path'
};
const KEPT = {
  GITHUB_TOKEN: 'set-by-the-user-in-env',
  GITHUB_WORKSPACE: '/work/space',
  RUNNER_TEMP: os.tmpdir(),
  PIP_INDEX_URL: 'http://127.0.0.1:1/simple'
};
const DUMP_ENV = 'import json, os; print(json.dumps(dict(os.environ)))';

describe("a child's environment", () => {
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, ACTION_ONLY, KEPT));
  afterAll(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  function expectScrubbed(env: Record<string, string>): void {
    for (const key of Object.keys(ACTION_ONLY)) expect(env).not.toHaveProperty(key);
    expect(Object.keys(env).filter(key => key.startsWith('INPUT_'))).toEqual([]);
    expect(Object.values(env)).not.toContain(ACTION_ONLY.INPUT_TOKEN);
    expect(env).toMatchObject(KEPT);
  }

  it('holds no input (the token among them) and no runner service credential; the rest passes', async () => {
    const result = await execCommand('python3', ['-c', DUMP_ENV], { env: { EXTRA: 'added' } });
    const env = JSON.parse(result.stdout) as Record<string, string>;
    expectScrubbed(env);
    expect(env.EXTRA).toBe('added');
  });

  it('is the same for a background server (the smoke test)', async () => {
    const server = startBackground('python3', ['-c', DUMP_ENV]);
    await server.exited;
    await server.stop();
    expectScrubbed(JSON.parse(server.output()) as Record<string, string>);
  });
});

describe('time limits', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'exec-timeout-'));
  });
  afterEach(() => {
    configureCommandTimeout(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('kills a command past its limit with its child processes, even when they ignore SIGTERM', async () => {
    configureCommandTimeout(0.02); // 1.2 s
    const leaderFile = path.join(dir, 'leader.pid');
    const childFile = path.join(dir, 'child.pid');
    // The ignored SIGTERM is inherited by the sleeping child: only SIGKILL of the group stops both.
    const script = `trap '' TERM; echo $$ > ${leaderFile}; sleep 300 & echo $! > ${childFile}; echo waiting; wait`;
    const error = await execCommand('bash', ['-c', script], { kind: 'django' }).catch(
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(CommandTimeoutError);
    const message = (error as Error).message;
    expect(message).toContain('bash -c');
    expect(message).toContain('did not finish within 1 s');
    expect(message).toContain(
      '(the limit for the Django commands (check, migrate, collectstatic))'
    );
    expect(message).toMatch(/database locks/);
    expect(message).toContain("'command-timeout' input");
    expect(message).toContain('waiting');
    for (const file of [leaderFile, childFile]) {
      expect(await stillAliveAfterKill(Number(readFileSync(file, 'utf8')))).toBe(false);
    }
  });

  it('leaves a command within its limit alone, and 0 removes the limit', async () => {
    configureCommandTimeout(0);
    const result = await execCommand('bash', ['-c', 'sleep 0.2; echo done']);
    expect(result.stdout.trim()).toBe('done');
  });
});
