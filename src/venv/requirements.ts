// Which requirements files a project uses (following -r / -c includes) and their content hash.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Inputs } from '../constants.js';
import { ActionError } from '../errors.js';

type Env = Record<string, string | undefined>;

/**
 * pip's expansion of `${NAME}` in requirements files: capitals, digits and `_` only; a variable
 * that is unset or empty stays as written (pip then fails to find what the line names).
 */
export function expandEnvVars(text: string, env: Env = process.env): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => env[name] || whole);
}

/** A requirements file's lines without comments, each with its 1-based number, env vars expanded. */
export function requirementLines(
  text: string,
  env: Env = process.env
): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((raw, index) => ({
      line: index + 1,
      text: expandEnvVars(raw.replace(/(^|\s)#.*$/, '').trim(), env)
    }))
    .filter(entry => entry.text !== '');
}

const INCLUDE = /^(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+)?(\S+)$/;

/** The files named by `-r`, `--requirement`, `-c`, `--constraint` lines of a requirements file. */
export function parseIncludes(text: string, env: Env = process.env): string[] {
  return includeLines(text, env).map(include => include.value);
}

function includeLines(text: string, env: Env): { line: number; value: string }[] {
  return requirementLines(text, env).flatMap(({ line, text: content }) => {
    const match = INCLUDE.exec(content);
    return match ? [{ line, value: match[1] }] : [];
  });
}

/** The error for a line that names something pip could not read: unset `${VAR}` or a missing file. */
export function unresolvedLineError(
  file: string,
  line: number,
  value: string,
  what: string
): ActionError {
  const unset = [...value.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map(match => match[1]);
  const reason = unset.length
    ? `uses \${${unset[0]}}, which is not set in the environment (pip expands it only when set): set ${unset[0]} in the step's env, or write the path out`
    : `names ${what} ${value}, which does not exist: fix the path (relative paths are relative to the including file for -r/-c, to '${Inputs.WorkingDirectory}' for packages)`;
  return new ActionError(`Line ${line} of ${file} ${reason}.`);
}

/**
 * The requirements files to install from: the input's, else `requirements.txt` when the
 * project has one. Missing files named by the input fail here, before any work.
 */
export function resolveRequirementFiles(inputFiles: string[], projectDir: string): string[] {
  for (const file of inputFiles) {
    if (existsSync(file) && !statSync(file).isFile()) {
      throw new ActionError(
        `'${Inputs.RequirementsFile}' names ${path.relative(projectDir, file) || file}, which is a folder, not a requirements file: name the file, for example requirements.txt.`
      );
    }
    if (!existsSync(file)) {
      throw new ActionError(
        `The requirements file ${path.relative(projectDir, file) || file} named in '${Inputs.RequirementsFile}' does not exist (paths are relative to '${Inputs.WorkingDirectory}': ${projectDir}).`
      );
    }
  }
  if (inputFiles.length > 0) return inputFiles;
  const fallback = path.join(projectDir, 'requirements.txt');
  return existsSync(fallback) ? [fallback] : [];
}

/**
 * The files plus every file they include, each once, in discovery order. An include pip could
 * not open (a missing file, an unset `${VAR}`) fails here, naming the line; so does an include
 * loop (a file that includes itself, directly or through others), naming the files: pip would
 * follow it until Python's RecursionError.
 */
export function withIncludes(
  files: string[],
  env: Env = process.env,
  root = process.cwd()
): string[] {
  const seen = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    const looped = stack.indexOf(file);
    if (looped !== -1) {
      const chain = [...stack.slice(looped), file].map(f => path.relative(root, f) || f);
      throw new ActionError(
        `The requirements files include each other in a loop: ${chain.join(' -> ')}. pip would follow the -r / -c lines forever; remove one of them.`
      );
    }
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    stack.push(file);
    for (const include of includeLines(readFileSync(file, 'utf8'), env)) {
      if (/^[a-z]+:\/\//i.test(include.value)) continue;
      const target = path.resolve(path.dirname(file), include.value);
      if (!existsSync(target))
        throw unresolvedLineError(file, include.line, include.value, 'the file');
      visit(target);
    }
    stack.pop();
  };
  files.forEach(visit);
  return [...seen];
}

/** sha256 over each file's path (relative to `root`) and bytes: a changed, added or renamed file changes it. */
export function hashFiles(files: string[], root: string): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}
