// The local paths pip requirements point at (`./libs/x`, `-e ./x`, `name @ file:...`, `-f ./wheels`)
// and their content hash: a cached venv holding a copy of that code is keyed on the code itself.
import { createHash, type Hash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requirementLines, unresolvedLineError } from './requirements.js';

export interface LocalRequirement {
  /** Absolute path of the folder or file the line names. */
  path: string;
  /** `-e`: pip links the code instead of copying it, so only its packaging metadata is keyed. */
  editable: boolean;
  file: string;
  line: number;
}

const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const ARCHIVE = /\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz|tar)$/i;

/** A `file:` URL or a path as pip reads it (relative paths from pip's cwd), else undefined. */
function localTarget(spec: string, cwd: string): string | undefined {
  if (/^file:/i.test(spec)) {
    if (/^file:\/\//i.test(spec)) return fileURLToPath(spec.replace(/#.*$/, ''));
    return path.resolve(cwd, spec.slice('file:'.length).replace(/#.*$/, ''));
  }
  if (URL_SCHEME.test(spec)) return undefined; // https://, git+https://, ...
  const bare = spec.replace(/\[[^\]]*\]$/, ''); // ./libs/x[extra]
  if (bare.startsWith('.') || bare.includes('/') || ARCHIVE.test(bare))
    return path.resolve(cwd, bare);
  return undefined;
}

/** What one (comment-free, expanded) requirements line points at on disk, if anything. */
export function parseLocalLine(
  text: string,
  cwd: string
): { target: string; editable: boolean } | undefined {
  const option = /^(-e|--editable|-f|--find-links)(?:\s*=\s*|\s+)(\S+)/.exec(text);
  if (option) {
    const target = localTarget(option[2], cwd);
    return target
      ? { target, editable: option[1] === '-e' || option[1] === '--editable' }
      : undefined;
  }
  if (text.startsWith('-')) return undefined; // other options (-r, --hash, --index-url, ...)
  const requirement = text
    .split(/\s+--hash[=\s]/)[0]
    .split(';')[0]
    .trim();
  const at = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*(\S+)/.exec(requirement);
  if (at) {
    const target = /^file:/i.test(at[1]) ? localTarget(at[1], cwd) : undefined;
    return target ? { target, editable: false } : undefined;
  }
  const target = localTarget(requirement.split(/\s+/)[0], cwd);
  return target ? { target, editable: false } : undefined;
}

/** Every local path the requirements files name; a path that does not exist fails, naming its line. */
export function localRequirements(
  files: string[],
  cwd: string,
  env: Record<string, string | undefined> = process.env
): LocalRequirement[] {
  const found: LocalRequirement[] = [];
  for (const file of files) {
    for (const { line, text } of requirementLines(readFileSync(file, 'utf8'), env)) {
      const local = parseLocalLine(text, cwd);
      if (!local) continue;
      if (!existsSync(local.target)) throw unresolvedLineError(file, line, text, 'the local path');
      found.push({ path: local.target, editable: local.editable, file, line });
    }
  }
  return found;
}

/** Never keyed: version control, bytecode, build output, venvs and the action's own files. */
const SKIPPED = new Set([
  '.git',
  '.hg',
  '.svn',
  '__pycache__',
  '.setup-django-cache',
  'node_modules'
]);

/** Files whose change changes what an editable install declares (its metadata, entry points). */
const PACKAGING_FILES = ['pyproject.toml', 'setup.py', 'setup.cfg'];

function hashTree(hash: Hash, root: string, dir: string): void {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const relative = path.relative(root, full);
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) {
      hash.update(`link\0${relative}\0${readlinkSync(full)}\0`);
    } else if (stat.isDirectory()) {
      if (SKIPPED.has(name) || name.endsWith('.egg-info')) continue;
      if (dir === root && name === 'build') continue; // setuptools' in-tree build folder
      if (existsSync(path.join(full, 'pyvenv.cfg'))) continue; // a venv
      hashTree(hash, root, full);
    } else if (stat.isFile()) {
      hash.update(`file\0${relative}\0`).update(readFileSync(full)).update('\0');
    }
  }
}

/** sha256 over what each local requirement points at; '' when there is none. */
export function hashLocalRequirements(requirements: LocalRequirement[], root: string): string {
  if (requirements.length === 0) return '';
  const hash = createHash('sha256');
  const unique = new Map(requirements.map(r => [`${r.editable}\0${r.path}`, r]));
  for (const [id, requirement] of [...unique].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${id.split('\0')[0]}\0${path.relative(root, requirement.path)}\0`);
    if (!lstatSync(requirement.path).isDirectory()) {
      hash.update(readFileSync(requirement.path));
    } else if (requirement.editable) {
      for (const name of PACKAGING_FILES) {
        const file = path.join(requirement.path, name);
        if (existsSync(file)) hash.update(`${name}\0`).update(readFileSync(file)).update('\0');
      }
    } else {
      hashTree(hash, requirement.path, requirement.path);
    }
  }
  return hash.digest('hex');
}
