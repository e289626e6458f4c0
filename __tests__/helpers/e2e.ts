// End-to-end helpers: fresh workspaces from example/fixture projects, a tool cache holding
// the machine's Python, and the action run through the runner emulation on the machine's index.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAction, type RunOptions, type RunResult } from '../../scripts/e2e/runner.mjs';
import {
  localPipEnv,
  machinePython,
  repoRoot,
  runnerPath,
  toolCacheWithMachinePython
} from '../../scripts/e2e/local-env.mjs';

export { machinePython, runnerPath, toolCacheWithMachinePython };

export const exampleProject = path.join(repoRoot, 'examples', 'django-project');
export const fixtureProject = (name: string): string =>
  path.join(repoRoot, '__tests__', 'fixtures', 'projects', name);

/** A fresh workspace holding a copy of `project` (as actions/checkout would leave it). */
export function makeWorkspace(project: string, parent?: string): string {
  const workspace = mkdtempSync(path.join(parent ?? os.tmpdir(), 'workspace-'));
  cpSync(project, workspace, {
    recursive: true,
    filter: source => !/(^|\/)(\.venv|staticfiles|__pycache__|db\.sqlite3)$/.test(source)
  });
  commitAll(workspace);
  return workspace;
}

/** Makes `dir` a git checkout with everything in it committed, as actions/checkout leaves it. */
export function commitAll(dir: string): void {
  const git = (...args: string[]): void => {
    execFileSync(
      'git',
      [
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@example.com',
        '-c',
        'commit.gpgsign=false',
        ...args
      ],
      { cwd: dir, stdio: 'ignore' }
    );
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'checkout');
}

/** Runs the bundled action like the runner, with pip's shared download cache (localPipEnv). */
export function runSetupDjango(
  workspace: string,
  inputs: Record<string, string> = {},
  options: Partial<RunOptions> = {}
): Promise<RunResult> {
  return runAction({
    workspace,
    inputs,
    toolCache: options.toolCache ?? toolCacheWithMachinePython(),
    ...options,
    env: { PATH: runnerPath(), ...localPipEnv(), ...options.env }
  });
}

/** The ::error:: messages a run printed, joined. */
export function errors(result: { commands: { command: string; message: string }[] }): string {
  return result.commands
    .filter(c => c.command === 'error')
    .map(c => c.message)
    .join('\n');
}

export function annotations(
  result: { commands: { command: string; message: string }[] },
  kind: string
): string[] {
  return result.commands.filter(c => c.command === kind).map(c => c.message);
}

/** Runs a command the way a later workflow step would. */
export function laterStep(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string
): string {
  return execFileSync(command, args, { env, cwd, encoding: 'utf8' });
}
