// The files `cache-dependency-path` names: globs (with `!` exclusions) matched by @actions/glob,
// regular files only, so that a directory or a named pipe can neither crash nor hang the hash.
import { statSync } from 'node:fs';
import path from 'node:path';
import { Inputs } from '../constants.js';
import { ActionError } from '../errors.js';

/** @actions/glob resolves relative patterns against process.cwd(): anchor them to `dir` instead. */
function escapeGlob(text: string): string {
  return text.replace(/[[*?]/g, char => `[${char}]`);
}

export function anchorPattern(pattern: string, dir: string): string {
  const negated = pattern.startsWith('!');
  const body = negated ? pattern.slice(1) : pattern;
  const anchored =
    path.isAbsolute(body) || body.startsWith('~') ? body : path.join(escapeGlob(dir), body);
  return negated ? `!${anchored}` : anchored;
}

type Kind = 'file' | 'directory' | 'other';

function kindOf(file: string): Kind {
  try {
    const stat = statSync(file);
    if (stat.isFile()) return 'file';
    return stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'other'; // a broken link
  }
}

async function glob(patterns: string[]): Promise<string[]> {
  const { create } = await import('@actions/glob');
  const globber = await create(patterns.join('\n'), {
    implicitDescendants: false,
    matchDirectories: true,
    omitBrokenSymbolicLinks: true
  });
  return globber.glob();
}

const FIX =
  'Fix the pattern (name files, for example requirements/*.txt), or leave the input empty to key on the lock or requirements files.';

/**
 * The regular files matching the patterns (relative to `projectDir`; `!pattern` excludes what
 * earlier patterns matched), sorted. Each positive pattern must match at least one regular file;
 * directories, pipes, sockets and devices are never read.
 */
export async function globDependencyFiles(
  patterns: string[],
  projectDir: string
): Promise<string[]> {
  const anchored = patterns.map(p => anchorPattern(p, projectDir));
  for (const [index, pattern] of patterns.entries()) {
    if (pattern.startsWith('!')) continue;
    const matches = await glob([anchored[index]]);
    if (!matches.some(file => kindOf(file) === 'file')) {
      const other = matches.find(file => kindOf(file) !== 'file');
      const what = other
        ? `only ${kindOf(other) === 'directory' ? 'the directory' : 'the special file (not a regular file)'} ${path.relative(projectDir, other) || other}`
        : 'no file';
      throw new ActionError(
        `'${Inputs.CacheDependencyPath}' pattern '${pattern}' matched ${what} in ${projectDir}: only regular files are hashed. ${FIX}`
      );
    }
  }
  const files = (await glob(anchored)).filter(file => kindOf(file) === 'file');
  if (files.length === 0) {
    throw new ActionError(
      `'${Inputs.CacheDependencyPath}' matched no file once its '!' exclusions were applied (${patterns.join(', ')}). ${FIX}`
    );
  }
  return [...new Set(files)].sort();
}
