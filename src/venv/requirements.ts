// Which requirements files a project uses (following -r / -c includes) and their content hash.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Inputs } from '../constants.js';
import { ActionError } from '../errors.js';

/** The files named by `-r`, `--requirement`, `-c`, `--constraint` lines of a requirements file. */
export function parseIncludes(text: string): string[] {
  const includes: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    const match = /^(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+)?(\S+)$/.exec(line);
    if (match) includes.push(match[1]);
  }
  return includes;
}

/**
 * The requirements files to install from: the input's, else `requirements.txt` when the
 * project has one. Missing files named by the input fail here, before any work.
 */
export function resolveRequirementFiles(inputFiles: string[], projectDir: string): string[] {
  for (const file of inputFiles) {
    if (!existsSync(file)) {
      throw new ActionError(
        `The requirements file ${path.relative(projectDir, file) || file} named in '${Inputs.RequirementsFile}' does not exist (paths are relative to 'working-directory': ${projectDir}).`
      );
    }
  }
  if (inputFiles.length > 0) return inputFiles;
  const fallback = path.join(projectDir, 'requirements.txt');
  return existsSync(fallback) ? [fallback] : [];
}

/**
 * The files plus every file they include, each once, in discovery order. An include loop (a file
 * that includes itself, directly or through others) fails here, naming the files: pip would follow
 * it until Python's RecursionError.
 */
export function withIncludes(files: string[], root = process.cwd()): string[] {
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
    for (const include of parseIncludes(readFileSync(file, 'utf8'))) {
      if (/^[a-z]+:\/\//i.test(include)) continue;
      visit(path.resolve(path.dirname(file), include));
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
