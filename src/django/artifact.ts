// The build artifact: application source + collected static files + a wheelhouse + a manifest, one tarball.
import * as core from '@actions/core';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import path from 'node:path';
import { execCommand, ExecError } from '../exec.js';
import { Inputs } from '../constants.js';
import { ActionError, tail } from '../errors.js';
import { explainPipFailure } from '../venv/managers/pip.js';
import { withIncludes } from '../venv/requirements.js';
import { isInside } from '../paths.js';
import {
  ARTIFACT_FORMATS,
  checkArtifactName,
  type ArtifactFormat
} from '../vocabulary/artifact.js';

export {
  ARTIFACT_FORMATS,
  checkArtifactName,
  isValidArtifactName,
  type ArtifactFormat
} from '../vocabulary/artifact.js';

export const MANIFEST_FILE = 'setup-django-manifest.json';
export const WHEELHOUSE_DIR = 'wheelhouse';
/** Requirements that are not the project's own files (outside it, or extra packages). */
const EXTRA_REQUIREMENTS_DIR = 'setup-django-requirements';
/** The manifest's layout version: bumped when its keys change meaning. */
export const MANIFEST_VERSION = 1;

/** What the caller knows about the build (from the driver report and the server phase). */
export interface ManifestFields {
  djangoVersion?: string | null;
  settingsModule?: string | null;
  /** Migrations known to the project (app.name), as the driver planned or applied them. */
  migrations?: string[];
  wsgiApplication?: string | null;
  asgiApplication?: string | null;
  serverCommand?: string | null;
  [extra: string]: unknown;
}

export interface ArtifactOptions {
  projectDir: string;
  venvPython: string;
  /** The requirements files the venv was installed from (absolute, or relative to projectDir). */
  requirementFiles: string[];
  /** Extra requirement specifiers the wheelhouse must hold (the server: `gunicorn==23.0.0`). */
  extraRequirements?: string[];
  /** STATIC_ROOT from the settings; its files are archived under their path in the project. */
  staticRoot?: string | null;
  /** The venv directory, never archived (other venvs are recognised by their pyvenv.cfg). */
  venvDir?: string;
  /** Where the archive goes: RUNNER_TEMP. */
  outDir: string;
  /** The archive's file name without extension. */
  name: string;
  format: ArtifactFormat;
  manifest: ManifestFields;
  /** Added to the environment of pip and git (the package index settings, GITHUB_SHA). */
  env?: Record<string, string | undefined>;
}

export interface ArtifactResult {
  path: string;
  sizeBytes: number;
  /** How many files the archive holds (source, static files, wheels and the manifest). */
  files: number;
  /** The wheel files in wheelhouse/. */
  wheels: string[];
  manifest: Record<string, unknown>;
}

// --------------------------------------------------------------------------- file selection

const SKIPPED_DIRS = new Set([
  '.git',
  '.hg',
  '.svn',
  '__pycache__',
  'node_modules',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
  '.tox',
  '.nox',
  '.idea',
  '.vscode'
]);

/** `.env`, `.env.production`, ...: secrets. `.env.example` and the like are documentation. */
export function isDotenvFile(name: string): boolean {
  return /^\.env(\..+)?$/.test(name) && !/\.(example|sample|template|dist)$/.test(name);
}

function isSkippedFile(name: string): boolean {
  return (
    isDotenvFile(name) ||
    /\.py[co]$/.test(name) ||
    /^db\.sqlite3(-journal|-wal|-shm)?$/.test(name) ||
    name === '.coverage' ||
    name === '.DS_Store'
  );
}

/** The action's own working folder (cache shards), never part of an artifact. */
const WORK_DIR = '.setup-django-cache';

/** `git ls-files` for the project directory: tracked paths relative to it, NUL-separated. */
async function gitTrackedFiles(
  projectDir: string,
  env: Record<string, string | undefined> = {}
): Promise<string[]> {
  const notCheckout = (why: string): ActionError =>
    new ActionError(
      `The artifact holds the files git tracks (never an untracked file such as credentials a ` +
        `previous step wrote), but ${why}. Check the repository out with actions/checkout (it ` +
        `keeps the .git folder), or set 'artifact: false'.`,
      'Artifact'
    );
  let result;
  try {
    result = await execCommand('git', ['ls-files', '-z', '--cached', '--'], {
      cwd: projectDir,
      env,
      allowFailure: true
    });
  } catch {
    throw notCheckout('git is not installed on this runner');
  }
  if (result.exitCode !== 0) {
    if (/not a git repository/i.test(result.stderr))
      throw notCheckout(`${projectDir} is not inside a git checkout`);
    const hint = /dubious ownership|safe\.directory/.test(result.stderr)
      ? ` The checkout belongs to another user: run 'git config --global --add safe.directory ${projectDir}' first (actions/checkout does this).`
      : '';
    throw new ActionError(
      `Listing the files git tracks in ${projectDir} failed (git ls-files, exit ${result.exitCode}).${hint}\n${tail(result.stderr)}`,
      'Artifact'
    );
  }
  const files = result.stdout.split('\0').filter(Boolean);
  if (files.length === 0)
    throw notCheckout(`git tracks no file in ${projectDir} (nothing is committed)`);
  return files;
}

/**
 * The project's source to archive, relative to projectDir, sorted: the files git tracks there
 * (an untracked file is never archived), less what must not ship even when committed: VCS data,
 * venvs (any directory holding pyvenv.cfg), the action's working files, caches, `.env` files and
 * the SQLite database. `excluded` holds absolute paths left out with everything below them.
 * Tracked files deleted from the working tree and submodules (directories) are skipped.
 */
export function selectSourceFiles(
  projectDir: string,
  tracked: string[],
  excluded: string[] = []
): string[] {
  const skip = excluded.map(p => path.resolve(p));
  const venvDirs = new Map<string, boolean>();
  const isVenv = (dir: string): boolean => {
    let known = venvDirs.get(dir);
    if (known === undefined) {
      known = existsSync(path.join(projectDir, dir, 'pyvenv.cfg'));
      venvDirs.set(dir, known);
    }
    return known;
  };
  const files = new Set<string>();
  for (const rel of tracked) {
    const parts = rel.split('/');
    const name = parts[parts.length - 1];
    const dirs = parts.slice(0, -1);
    if (parts[0] === WHEELHOUSE_DIR || parts[0] === EXTRA_REQUIREMENTS_DIR) continue;
    if (rel === MANIFEST_FILE || isSkippedFile(name)) continue;
    if (dirs.some(d => SKIPPED_DIRS.has(d) || d === WORK_DIR)) continue;
    if (dirs.some((_, i) => isVenv(dirs.slice(0, i + 1).join('/')))) continue;
    const abs = path.join(projectDir, rel);
    if (skip.some(dir => isInside(abs, dir))) continue;
    let stat;
    try {
      stat = lstatSync(abs);
    } catch {
      continue; // deleted from the working tree
    }
    if (stat.isFile() || stat.isSymbolicLink()) files.add(rel);
  }
  return [...files].sort();
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** All files below dir (not following links), relative to dir. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string, rel: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(current, entry.name), relPath);
      else if (entry.isFile() || entry.isSymbolicLink()) out.push(relPath);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out.sort();
}

/** Writes a NUL-separated file list for `tar --null -T`; `./` keeps names starting with '-' names. */
function writeFileList(file: string, entries: string[]): void {
  writeFileSync(file, entries.map(entry => `./${entry}\0`).join(''));
}

// --------------------------------------------------------------------------- facts

const PYTHON_FACTS = [
  'import json, platform, sys, sysconfig',
  'print(json.dumps({"version": platform.python_version(),',
  ' "implementation": platform.python_implementation(),',
  ' "platform": sysconfig.get_platform(),',
  ' "abi": getattr(sys, "abiflags", "")}))'
].join('\n');

async function pythonFacts(venvPython: string): Promise<Record<string, string>> {
  const result = await execCommand(venvPython, ['-c', PYTHON_FACTS]);
  return JSON.parse(result.stdout.trim()) as Record<string, string>;
}

/** GITHUB_SHA, else `git rev-parse HEAD` in the project, else null. */
export async function gitSha(
  projectDir: string,
  env: Record<string, string | undefined> = {}
): Promise<string | null> {
  // An env that names GITHUB_SHA (even as undefined) overrides the process environment.
  const fromEnv = ('GITHUB_SHA' in env ? env.GITHUB_SHA : process.env.GITHUB_SHA)?.trim();
  if (fromEnv) return fromEnv;
  try {
    const result = await execCommand('git', ['rev-parse', 'HEAD'], {
      cwd: projectDir,
      env,
      allowFailure: true
    });
    const sha = result.stdout.trim();
    return result.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
  } catch {
    return null; // git is not installed
  }
}

// --------------------------------------------------------------------------- building

interface RequirementsPlan {
  /** Paths inside the archive, in the order given, for `pip install -r`. */
  archived: string[];
  /** Files to copy into the archive's EXTRA_REQUIREMENTS_DIR: [source, path in the archive]. */
  copies: [string, string][];
  /** The files pip wheel reads (absolute). */
  sources: string[];
}

/**
 * Requirement files inside the project are archived where they are; files outside it (and the
 * files they include, so relative -r lines still work) are copied under EXTRA_REQUIREMENTS_DIR.
 */
export function planRequirements(projectDir: string, files: string[]): RequirementsPlan {
  const root = realpath(projectDir);
  const sources = files.map(f => realpath(path.resolve(projectDir, f)));
  for (const file of sources) {
    if (!existsSync(file))
      throw new ActionError(
        `The requirements file ${file} does not exist: check '${Inputs.RequirementsFile}'.`
      );
  }
  const outside = withIncludes(sources).filter(f => !isInside(f, root));
  let common = outside.length ? path.dirname(outside[0]) : '';
  for (const file of outside) while (!isInside(file, common)) common = path.dirname(common);
  const archivedPath = (file: string): string =>
    isInside(file, root)
      ? path.relative(root, file).split(path.sep).join('/')
      : `${EXTRA_REQUIREMENTS_DIR}/${path.relative(common, file).split(path.sep).join('/')}`;
  return {
    archived: sources.map(archivedPath),
    copies: outside.map(f => [f, archivedPath(f)]),
    sources
  };
}

async function buildWheelhouse(
  options: ArtifactOptions,
  requirementFiles: string[],
  wheelhouse: string
): Promise<void> {
  const args = ['-m', 'pip', 'wheel', '--disable-pip-version-check', '--wheel-dir', wheelhouse];
  for (const file of requirementFiles) args.push('-r', file);
  try {
    const result = await execCommand(options.venvPython, args, {
      cwd: options.projectDir,
      env: options.env,
      kind: 'install'
    });
    core.startGroup('pip wheel (artifact wheelhouse)');
    core.info(`${result.stdout}${result.stderr}`.trimEnd());
    core.endGroup();
  } catch (error) {
    if (!(error instanceof ExecError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    const reason = explainPipFailure(output) ?? `pip exited with code ${error.result.exitCode}.`;
    throw new ActionError(
      `Building the artifact's wheelhouse (pip wheel) failed: ${reason}\n--- pip output (last lines) ---\n${tail(output, 25)}`,
      'Artifact'
    );
  }
}

function installCommand(requirements: string[]): string[] {
  const args = ['python', '-m', 'pip', 'install', '--no-index', '--find-links', WHEELHOUSE_DIR];
  for (const file of requirements) args.push('-r', file);
  return args;
}

/**
 * Builds `<outDir>/<name>.<format>`: the project's source as git tracks it (without venvs,
 * caches, `.env` files and the SQLite database), its collected static files, a wheelhouse of its
 * requirements built by the venv's pip, and setup-django-manifest.json listing all of it.
 */
export async function buildArtifact(options: ArtifactOptions): Promise<ArtifactResult> {
  const { format } = options;
  if (!ARTIFACT_FORMATS.includes(format)) {
    throw new ActionError(
      `'${Inputs.Artifact}' is '${format}': use true (tar.gz), ${ARTIFACT_FORMATS.join(' or ')}, or false.`
    );
  }
  checkArtifactName(options.name, format);
  const projectDir = realpath(options.projectDir);
  mkdirSync(options.outDir, { recursive: true });
  const outDir = realpath(options.outDir);
  const archive = path.join(outDir, `${options.name}.${format}`);
  // First, as it is what fails when there is no checkout: before pip wheel's minutes.
  const tracked = await gitTrackedFiles(projectDir, options.env);
  const staging = mkdtempSync(path.join(outDir, '.setup-django-artifact-'));
  const started = Date.now();
  try {
    const payload = path.join(staging, 'payload');
    const wheelhouse = path.join(payload, WHEELHOUSE_DIR);
    mkdirSync(wheelhouse, { recursive: true });

    // Requirements: the project's files, plus the extra packages (the server) in a file of ours.
    const plan = planRequirements(projectDir, options.requirementFiles);
    for (const [source, archived] of plan.copies) {
      mkdirSync(path.dirname(path.join(payload, archived)), { recursive: true });
      copyFileSync(source, path.join(payload, archived));
    }
    const requirementSources = [...plan.sources];
    const requirementsArchived = [...plan.archived];
    const extra = (options.extraRequirements ?? []).filter(r => r.trim());
    if (extra.length) {
      const file = `${EXTRA_REQUIREMENTS_DIR}/extra-requirements.txt`;
      mkdirSync(path.join(payload, EXTRA_REQUIREMENTS_DIR), { recursive: true });
      writeFileSync(path.join(payload, file), `${extra.join('\n')}\n`);
      requirementSources.push(path.join(payload, file));
      requirementsArchived.push(file);
    }
    if (!requirementSources.length) {
      throw new ActionError(
        `The artifact needs the project's requirements to build its wheelhouse, but none are known: set '${Inputs.RequirementsFile}' (with poetry, pipenv, uv or a pyproject.toml the installed packages are pinned for it automatically).`,
        'Artifact'
      );
    }
    await buildWheelhouse(options, requirementSources, wheelhouse);
    const wheels = readdirSync(wheelhouse)
      .filter(f => f.endsWith('.whl'))
      .sort();

    // The source: what git tracks. STATIC_ROOT (collected, so usually untracked) is added
    // under its path in the project; outside the project, its files are copied under static-root/.
    const excluded = [outDir, staging];
    if (options.venvDir) excluded.push(realpath(path.resolve(projectDir, options.venvDir)));
    let sourceFiles = selectSourceFiles(projectDir, tracked, excluded);
    let staticRoot: string | null = null;
    let staticFiles = 0;
    if (options.staticRoot) {
      const root = realpath(path.resolve(projectDir, options.staticRoot));
      if (isInside(projectDir, root)) {
        throw new ActionError(
          `STATIC_ROOT (${root}) is the project directory or one above it: archiving it would take every untracked file along. Point STATIC_ROOT at a folder of its own, such as BASE_DIR / 'staticfiles'.`,
          'Artifact'
        );
      }
      if (isInside(root, projectDir)) {
        staticRoot = path.relative(projectDir, root).split(path.sep).join('/') || '.';
        const prefix = staticRoot === '.' ? '' : `${staticRoot}/`;
        const collected = listFiles(root).map(f => `${prefix}${f}`);
        sourceFiles = [...new Set([...sourceFiles, ...collected])].sort();
        staticFiles = collected.length;
      } else if (existsSync(root)) {
        staticRoot = 'static-root';
        const files = listFiles(root);
        for (const file of files) {
          const dest = path.join(payload, staticRoot, file);
          mkdirSync(path.dirname(dest), { recursive: true });
          copyFileSync(path.join(root, file), dest);
        }
        staticFiles = files.length;
      }
      if (!staticFiles) {
        core.warning(
          `STATIC_ROOT (${root}) holds no files: the artifact has no collected static files. Run collectstatic first (collectstatic: true).`,
          { title: 'Artifact' }
        );
      }
    }

    const python = await pythonFacts(options.venvPython);
    const { djangoVersion, settingsModule, migrations, ...rest } = options.manifest;
    const manifest: Record<string, unknown> = {
      ...rest,
      manifestVersion: MANIFEST_VERSION,
      name: options.name,
      createdAt: new Date().toISOString(),
      gitSha: await gitSha(projectDir, options.env),
      pythonVersion: python.version,
      pythonImplementation: python.implementation,
      platform: python.platform,
      djangoVersion: djangoVersion ?? null,
      settingsModule: settingsModule ?? null,
      migrations: migrations ?? [],
      staticRoot,
      staticFiles,
      requirementsFiles: requirementsArchived,
      wheelhouse: WHEELHOUSE_DIR,
      wheels,
      installCommand: installCommand(requirementsArchived).join(' '),
      // Every path the archive holds besides this manifest.
      files: [...new Set([...sourceFiles, ...listFiles(payload)])].sort()
    };
    writeFileSync(path.join(payload, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

    // tar reads both lists (source from the project, the rest from the staging payload) with
    // --null: any file name is safe, and none reaches a command line.
    const payloadFiles = listFiles(payload);
    const sourceList = path.join(staging, 'source.list');
    const payloadList = path.join(staging, 'payload.list');
    writeFileList(sourceList, sourceFiles);
    writeFileList(payloadList, payloadFiles);
    const partial = `${archive}.partial`;
    const compress = format === 'tar.zst' ? '--zstd' : '--gzip';
    try {
      await execCommand(
        'tar',
        [
          '--create',
          compress,
          '--file',
          partial,
          '--null',
          '--no-recursion',
          '-C',
          projectDir,
          '--files-from',
          sourceList,
          '-C',
          payload,
          '--files-from',
          payloadList
        ],
        { env: options.env, kind: 'archive' }
      );
    } catch (error) {
      rmSync(partial, { force: true });
      if (error instanceof ExecError && format === 'tar.zst' && /zstd/i.test(error.result.stderr)) {
        throw new ActionError(
          `Compressing the artifact with zstd failed: install zstd on the runner (apt-packages: zstd) or use the tar.gz format.\n${tail(error.result.stderr)}`,
          'Artifact'
        );
      }
      throw error;
    }
    renameSync(partial, archive);
    const sizeBytes = statSync(archive).size;
    const files = sourceFiles.length + payloadFiles.length;
    core.info(
      `Artifact ${archive}: ${files} files (${wheels.length} wheels, ${staticFiles} static files), ${(sizeBytes / 1048576).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s.`
    );
    return { path: archive, sizeBytes, files, wheels, manifest };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
