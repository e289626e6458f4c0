// End-to-end helpers: fresh workspaces from example/fixture projects, a tool cache holding
// the machine's Python, and the action run through the runner emulation with the local index.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAction, type RunOptions, type RunResult } from '../../scripts/e2e/runner.mjs';
import { fixturesRoot, localPipEnv, repoRoot } from './python-fixtures.js';

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
  return workspace;
}

/** The real prefix and version of the machine's python3 (pyenv, Debian, ...). */
export function machinePython(): { prefix: string; version: string } {
  const out = execFileSync(
    'python3',
    ['-c', 'import sys; print(sys.base_prefix); print("%d.%d.%d" % sys.version_info[:3])'],
    {
      encoding: 'utf8'
    }
  ).trim();
  const [prefix, version] = out.split('\n');
  return { prefix, version };
}

/**
 * A runner tool cache (`Python/<version>/<arch>` + `<arch>.complete`) whose one entry is the
 * machine's Python, as actions/setup-python leaves it on a hosted runner.
 */
export function toolCacheWithMachinePython(): string {
  const { prefix, version } = machinePython();
  const toolCache = path.join(fixturesRoot, 'toolcache');
  const entry = path.join(toolCache, 'Python', version);
  const arch = os.arch();
  if (!existsSync(path.join(entry, `${arch}.complete`))) {
    mkdirSync(entry, { recursive: true });
    try {
      symlinkSync(prefix, path.join(entry, arch));
    } catch {
      /* another worker made it */
    }
    writeFileSync(path.join(entry, `${arch}.complete`), '');
  }
  return toolCache;
}

/**
 * PATH as a hosted runner has it: without pyenv's shims (each probe of a shim costs most of a
 * second; hosted runners keep their Pythons in the tool cache instead).
 */
export function runnerPath(base = process.env.PATH ?? ''): string {
  return base
    .split(path.delimiter)
    .filter(dir => !/\/shims$/.test(dir))
    .join(path.delimiter);
}

/** Runs the bundled action like the runner, pip pointed at the local package index. */
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
