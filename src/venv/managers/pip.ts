// pip: installs requirements files into the venv and turns its failures into readable errors.
import * as core from '@actions/core';
import path from 'node:path';
import { execCommand, ExecError } from '../../exec.js';
import { ActionError, tail } from '../../errors.js';
import { venvPython } from '../inspect.js';

/** Reads pip's output for the reason an install failed; undefined when it says nothing known. */
export function explainPipFailure(output: string): string | undefined {
  const notFound = /No matching distribution found for ([^\s]+)/.exec(output);
  if (notFound) {
    return `no release of '${notFound[1]}' was found on the package index. Check the name and version, and PIP_INDEX_URL / PIP_EXTRA_INDEX_URL if you use a private index.`;
  }
  const cannotOpen = /Could not open requirements file: .*?'([^']+)'/.exec(output);
  if (cannotOpen) return `the requirements file '${cannotOpen[1]}' could not be opened.`;
  const invalid = /Invalid requirement: '?([^'\n]+)'?(?:.*\(from line (\d+) of ([^)]+)\))?/.exec(
    output
  );
  if (invalid) {
    const where = invalid[2] ? ` (line ${invalid[2]} of ${invalid[3]})` : '';
    return `'${invalid[1].trim()}'${where} is not a valid requirement.`;
  }
  const build = /Failed (?:to build|building wheel for) ([^\s]+)/.exec(output);
  if (build) {
    return `building '${build[1]}' from source failed. It may need OS headers or a compiler: install them with 'apt-packages' (for example libpq-dev), or pin a version that ships a wheel.`;
  }
  const conflict = /ResolutionImpossible|conflicting dependencies/.exec(output);
  if (conflict)
    return 'the requirements conflict with each other (pip could not resolve a consistent set).';
  const hashes = /THESE PACKAGES DO NOT MATCH THE HASHES/.exec(output);
  if (hashes) return 'a downloaded package did not match the hash pinned in the requirements file.';
  const space = /No space left on device/.exec(output);
  if (space) return 'the disk is full.';
  return undefined;
}

export interface PipInstall {
  venvPath: string;
  files: string[];
  cwd: string;
  /** Run the base interpreter's pip with --python instead of the venv's own pip. */
  basePython?: string;
  /** Extra local wheels or requirement specifiers installed in the same run (pip's seed). */
  extra?: string[];
}

export function pipInstallCommand(install: PipInstall): { command: string; args: string[] } {
  const args = ['-m', 'pip'];
  if (install.basePython) args.push('--python', venvPython(install.venvPath));
  args.push('install', '--disable-pip-version-check');
  args.push(...(install.extra ?? []));
  for (const file of install.files) args.push('-r', file);
  return { command: install.basePython ?? venvPython(install.venvPath), args };
}

export async function pipInstallRequirements(install: PipInstall): Promise<void> {
  const { command, args } = pipInstallCommand(install);
  const names = install.files.map(f => path.relative(install.cwd, f)).join(', ');
  try {
    const result = await execCommand(command, args, { cwd: install.cwd });
    core.startGroup(`pip install${install.files.length ? ` -r ${names}` : ' pip'}`);
    core.info(result.stdout.trimEnd());
    if (result.stderr.trim()) core.info(result.stderr.trimEnd());
    core.endGroup();
  } catch (error) {
    if (!(error instanceof ExecError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    const reason = explainPipFailure(output) ?? `pip exited with code ${error.result.exitCode}.`;
    throw new ActionError(
      `Installing the requirements from ${names || 'the project'} failed: ${reason}\n--- pip output (last lines) ---\n${tail(output, 25)}`
    );
  }
}
