// The build artifact: application source + collected static files + a wheelhouse + a manifest, one tarball.
import * as core from '@actions/core';
import {
  copyFileSync,
  existsSync,
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

export const ARTIFACT_FORMATS = ['tar.gz', 'tar.zst'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

export const MANIFEST_FILE = 'setup-django-manifest.json';
export const WHEELHOUSE_DIR = 'wheelhouse';
/** Requirements that are not the project's own files (outside it, or extra packages). */
export const EXTRA_REQUIREMENTS_DIR = 'setup-django-requirements';
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

/** Whether an artifact name is accepted: a plain file name, no path, no leading dash or dot. */
export function isValidArtifactName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,199}$/.test(name) && !name.includes('..');
}

export function checkArtifactName(name: string, format: ArtifactFormat = 'tar.gz'): void {
  if (!isValidArtifactName(name)) {
    throw new ActionError(
      `'artifact-name' is '${name}': use letters, digits, '.', '_', '+' and '-' only (no '/', no leading '-' or '.'), for example mysite-build; the action adds .${format}.`
    );
  }
  if (/\.(tar\.gz|tgz|tar\.zst|tzst|tar)$/i.test(name)) {
    throw new ActionError(
      `'artifact-name' is '${name}': give the name without an extension; the action adds .${format}.`
    );
  }
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

/**
 * The project's files to archive, relative to projectDir, sorted. Directories are walked without
 * following symbolic links (a link is archived as a link); `excluded` holds absolute paths
 * (the venv, the output directory) left out with everything below them.
 */
export function selectSourceFiles(projectDir: string, excluded: string[] = []): string[] {
  const skip = new Set(excluded.map(p => path.resolve(p)));
  const files: string[] = [];
  const walk = (dir: string, rel: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    // A directory with pyvenv.cfg is a virtualenv, whatever its name.
    if (rel && entries.some(e => e.name === 'pyvenv.cfg' && e.isFile())) return;
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (skip.has(abs)) continue;
      if (!rel && (entry.name === WHEELHOUSE_DIR || entry.name === MANIFEST_FILE)) continue;
      if (!rel && entry.name === EXTRA_REQUIREMENTS_DIR) continue;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(abs, relPath);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (!isSkippedFile(entry.name)) files.push(relPath);
      }
    }
  };
  walk(projectDir, '');
  return files.sort();
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
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
 * Builds `<outDir>/<name>.<format>`: the project's source (without VCS data, venvs, caches,
 * `.env` files and the SQLite database), its collected static files, a wheelhouse of its
 * requirements built by the venv's pip, and setup-django-manifest.json.
 */
export async function buildArtifact(options: ArtifactOptions): Promise<ArtifactResult> {
  const { format } = options;
  if (!ARTIFACT_FORMATS.includes(format)) {
    throw new ActionError(
      `'artifact' is '${format}': use true (tar.gz), ${ARTIFACT_FORMATS.join(' or ')}, or false.`
    );
  }
  checkArtifactName(options.name, format);
  const projectDir = realpath(options.projectDir);
  mkdirSync(options.outDir, { recursive: true });
  const outDir = realpath(options.outDir);
  const archive = path.join(outDir, `${options.name}.${format}`);
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

    // The source tree. STATIC_ROOT inside the project is part of the walk (collected files are
    // not in .gitignore's way here); outside it, its files are copied under static-root/.
    const excluded = [outDir, staging];
    if (options.venvDir) excluded.push(realpath(path.resolve(projectDir, options.venvDir)));
    const sourceFiles = selectSourceFiles(projectDir, excluded);
    let staticRoot: string | null = null;
    let staticFiles = 0;
    if (options.staticRoot) {
      const root = realpath(path.resolve(projectDir, options.staticRoot));
      if (isInside(root, projectDir)) {
        staticRoot = path.relative(projectDir, root).split(path.sep).join('/') || '.';
        staticFiles = sourceFiles.filter(f => isInside(path.join(projectDir, f), root)).length;
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
      installCommand: installCommand(requirementsArchived).join(' ')
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
