// The exec door's pure parts: which variables children never get, and the time limits per kind.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  COMMAND_KINDS,
  COMMAND_TIMEOUT_INPUT,
  commandTimeoutMs,
  configureCommandTimeout,
  isActionOnlyVariable,
  KILL_GRACE_MS
} from '../../src/exec.js';
import { Inputs } from '../../src/constants.js';

describe('variables only the action needs', () => {
  it.each([
    'INPUT_TOKEN',
    'INPUT_PYTHON-VERSION',
    'STATE_cache-primary-key',
    'ACTIONS_RUNTIME_TOKEN',
    'ACTIONS_RUNTIME_URL',
    'ACTIONS_CACHE_URL',
    'ACTIONS_RESULTS_URL',
    'ACTIONS_CACHE_SERVICE_V2',
    'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
    'ACTIONS_ID_TOKEN_REQUEST_URL',
    'GITHUB_STATE',
    'GITHUB_OUTPUT',
    'GITHUB_ENV',
    'GITHUB_PATH',
    'GITHUB_STEP_SUMMARY'
  ])('%s never reaches a child', name => expect(isActionOnlyVariable(name)).toBe(true));

  it.each([
    'GITHUB_TOKEN',
    'GITHUB_WORKSPACE',
    'GITHUB_SHA',
    'GITHUB_ACTIONS',
    'CI',
    'RUNNER_TEMP',
    'RUNNER_TOOL_CACHE',
    'ACTIONS_STEP_DEBUG',
    'PIP_INDEX_URL',
    'DATABASE_URL',
    'PATH'
  ])('%s passes', name => expect(isActionOnlyVariable(name)).toBe(false));
});

describe('time limits', () => {
  afterEach(() => configureCommandTimeout(undefined));

  it('has the per-kind defaults action.yml documents', () => {
    expect(commandTimeoutMs('install')).toBe(30 * 60_000);
    expect(commandTimeoutMs('django')).toBe(60 * 60_000);
    expect(commandTimeoutMs('archive')).toBe(20 * 60_000);
    expect(commandTimeoutMs('probe')).toBe(5 * 60_000);
    expect(commandTimeoutMs('command')).toBe(30 * 60_000);
    const action = parse(readFileSync(path.join(process.cwd(), 'action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string }>;
    };
    const description = action.inputs[Inputs.CommandTimeout].description;
    expect(COMMAND_TIMEOUT_INPUT).toBe(Inputs.CommandTimeout);
    expect(description).toContain(
      `${COMMAND_KINDS.install.minutes} for installs (pip, package managers, apt, Python), ${COMMAND_KINDS.django.minutes} for the Django commands (check, migrate, collectstatic), ${COMMAND_KINDS.archive.minutes} for archives, ${COMMAND_KINDS.probe.minutes} for version probes`
    );
  });

  it('gives a stopped command the 2 s between SIGTERM and SIGKILL that README and SECURITY.md state', () => {
    // Shorter than the runner's own 2.5 s between its SIGTERM and SIGKILL of the action.
    expect(KILL_GRACE_MS).toBe(2000);
    for (const doc of ['README.md', 'SECURITY.md'])
      expect(readFileSync(path.join(process.cwd(), doc), 'utf8')).toMatch(
        /group,? 2 s (after SIGTERM|later)/
      );
  });

  it('replaces every default with command-timeout, and 0 removes the limits', () => {
    configureCommandTimeout(0.5);
    expect(commandTimeoutMs('django')).toBe(30_000);
    expect(commandTimeoutMs('probe')).toBe(30_000);
    configureCommandTimeout(0);
    expect(commandTimeoutMs('install')).toBe(0);
  });
});

describe('one door', () => {
  it('only src/exec.ts starts processes (pip, managers, Django, the smoke-test server go through it)', () => {
    const src = path.join(process.cwd(), 'src');
    const starters = readdirSync(src, { recursive: true, withFileTypes: true })
      .filter(entry => entry.isFile() && /\.(ts|mts|js)$/.test(entry.name))
      .map(entry => path.join(entry.parentPath, entry.name))
      .filter(file =>
        /child_process|@actions\/exec|\bexecFile(Sync)?\(|\bspawn(Sync)?\(/.test(
          readFileSync(file, 'utf8')
        )
      )
      .map(file => path.relative(process.cwd(), file));
    expect(starters).toEqual(['src/exec.ts']);
  });
});
