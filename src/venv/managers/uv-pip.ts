// `installer: uv`: installs a pip project's requirements (requirements files, or pyproject.toml's
// dependencies) with `uv pip install` into the venv the action created, from the indexes pip
// would use (pip-index.ts). Same venv, same pip seed, same marker: only the installer differs.
import path from 'node:path';
import { rmSync } from 'node:fs';
import type { PythonInstall } from '../../python/find.js';
import { venvPython } from '../inspect.js';
import { uvIndexSettings, type UvIndexSettings } from './pip-index.js';
import { defaultToolsDir, locateTool, runManager, type ManagerTool } from './tool.js';
import { explainUvFailure, uvEnv } from './uv.js';
import type { ManagerCommand } from './types.js';

export interface UvPipInstall {
  venvPath: string;
  /** Requirements files, installed with -r. */
  files: string[];
  /** Requirement specifiers or `.[extras]` (pyproject.toml projects). */
  specs: string[];
  /** Local wheels installed in the same run (pip's seed wheel). */
  extra: string[];
  cwd: string;
}

/** `uv pip install --python <venv>/bin/python [--no-index] [-r file]... [specs]... [wheels]...`. */
export function uvPipInstallCommand(
  tool: Pick<ManagerTool, 'executable'>,
  install: UvPipInstall,
  index: Pick<UvIndexSettings, 'env' | 'args'>
): ManagerCommand {
  const args = ['pip', 'install', '--python', venvPython(install.venvPath), ...index.args];
  for (const file of install.files) args.push('-r', file);
  args.push(...install.specs, ...install.extra);
  return { command: tool.executable, args, env: { ...uvEnv(install.venvPath), ...index.env } };
}

/** Reads uv's output for the reason `uv pip install` failed. */
function explainUvPipFailure(output: string): string | undefined {
  const missing =
    /Because ([^\s]+) was not found in the package registry/.exec(output) ??
    /No solution found when resolving dependencies:[\s\S]*?╰─▶ Because ([^\s]+?)(?:[<>=!~].*?)? was not found/.exec(
      output
    );
  if (missing) {
    return `no release of '${missing[1]}' was found on the package index. uv got the indexes pip would use (see the translated settings above): check the name and version, and PIP_INDEX_URL / PIP_EXTRA_INDEX_URL if you use a private index.`;
  }
  if (/No solution found when resolving dependencies/.test(output))
    return 'the requirements conflict with each other (uv could not resolve a consistent set).';
  if (/File not found: `([^`]+)`/.test(output))
    return `the requirements file '${/File not found: `([^`]+)`/.exec(output)![1]}' could not be opened.`;
  if (/Hash mismatch/i.test(output))
    return 'a downloaded package did not match the hash pinned in the requirements file.';
  return explainUvFailure(output);
}

export interface UvPipOptions {
  python: PythonInstall;
  toolsDir?: string;
  toolVersion?: string;
  cacheTools?: boolean;
}

/** uv (PATH, else its tool venv) and pip's index settings translated for it, found side by side. */
export async function prepareUv(
  options: UvPipOptions,
  cwd: string
): Promise<{ tool: ManagerTool; index: UvIndexSettings }> {
  const [tool, index] = await Promise.all([
    locateTool('uv', {
      python: options.python,
      toolsDir: options.toolsDir || defaultToolsDir(),
      version: options.toolVersion,
      cache: options.cacheTools
    }),
    uvIndexSettings(options.python.executable, cwd)
  ]);
  return { tool, index };
}

/** Installs with uv, and removes uv's lock file from the venv. */
export async function uvPipInstall(
  install: UvPipInstall,
  options: UvPipOptions,
  prepared?: { tool: ManagerTool; index: UvIndexSettings }
): Promise<ManagerTool> {
  const { tool, index } = prepared ?? (await prepareUv(options, install.cwd));
  const names =
    install.files.map(f => path.relative(install.cwd, f)).join(', ') ||
    (install.specs.length ? 'pyproject.toml' : 'pip');
  await runManager(
    `uv pip install${install.files.length ? ` -r ${names}` : ` (${names})`}`,
    uvPipInstallCommand(tool, install, index),
    install.cwd,
    explainUvPipFailure,
    `Installing the requirements from ${names} with uv failed`
  );
  // uv leaves an empty lock file in the environment; pip-built venvs have none.
  rmSync(path.join(install.venvPath, '.lock'), { force: true });
  return tool;
}
