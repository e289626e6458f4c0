// Finds an installed interpreter for a spec: the runner's tool cache first, then PATH.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { execCommand } from '../exec.js';
import { ActionError } from '../errors.js';
import type { SpecSource } from './version-file.js';
import {
  mayMatchSeries,
  newestFirst as newestVersionFirst,
  normalizeVersion,
  parseVersionSpec,
  pickNewest,
  type VersionSpec
} from '../vocabulary/python-spec.js';
import { prependLibraryPath } from '../library-path.js';

export interface PythonInstall {
  /** Full version, e.g. 3.11.7. */
  version: string;
  /** The interpreter executable (realpath of sys.executable). */
  executable: string;
  /** Where it came from: the runner's tool cache, PATH, or downloaded into the tool cache now. */
  origin: 'tool-cache' | 'path' | 'download';
  /**
   * Tool-cache builds only: `<prefix>/lib`, which later commands need on LD_LIBRARY_PATH (the
   * builds find libpython through an rpath into /opt/hostedtoolcache; setup-python exports it too).
   */
  libraryPath?: string;
}

export interface FoundVersions {
  toolCache: string[];
  path: string[];
  toolCacheDir: string | undefined;
}

const PROBE =
  'import sys, json, os; print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], ' +
  '"releaselevel": sys.version_info[3], "serial": sys.version_info[4], ' +
  '"executable": os.path.realpath(sys.executable), "venv": sys.prefix != sys.base_prefix}))';

interface ProbeResult {
  version: string;
  releaselevel: string;
  serial: number;
  executable: string;
  venv: boolean;
}

/** Runs an interpreter to learn what it really is; undefined when it does not start. */
export async function probeInterpreter(
  executable: string,
  env?: Record<string, string | undefined>
): Promise<ProbeResult | undefined> {
  const result = await execCommand(executable, ['-I', '-c', PROBE], {
    allowFailure: true,
    env,
    kind: 'probe'
  }).catch(() => undefined);
  if (!result || result.exitCode !== 0) return undefined;
  try {
    const probe = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as ProbeResult;
    const pre = { alpha: 'a', beta: 'b', candidate: 'rc' }[probe.releaselevel];
    if (pre) probe.version += `${pre}${probe.serial}`;
    return probe;
  } catch {
    return undefined;
  }
}

/** Versions in `$RUNNER_TOOL_CACHE/Python/<version>/<arch>` that carry the `.complete` marker. */
export function toolCacheVersions(toolCacheDir: string | undefined, arch: string): string[] {
  if (!toolCacheDir) return [];
  const root = path.join(toolCacheDir, 'Python');
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries.filter(
    version =>
      normalizeVersion(version) !== null &&
      existsSync(path.join(root, version, `${arch}.complete`)) &&
      existsSync(path.join(root, version, arch))
  );
}

/** `$RUNNER_TOOL_CACHE/Python/<version>/<arch>`: the prefix of a tool-cache build. */
export function toolCacheInstallDir(toolCacheDir: string, version: string, arch: string): string {
  return path.join(toolCacheDir, 'Python', version, arch);
}

/** The environment for running the tool-cache build at `installDir` (see libraryPath). */
export function toolCacheLibraryEnv(
  installDir: string,
  env: NodeJS.ProcessEnv = process.env
): { LD_LIBRARY_PATH: string } {
  return prependLibraryPath(path.join(installDir, 'lib'), env);
}

export function toolCacheExecutable(toolCacheDir: string, version: string, arch: string): string {
  const bin = path.join(toolCacheInstallDir(toolCacheDir, version, arch), 'bin');
  return (
    ['python3', 'python'].map(name => path.join(bin, name)).find(existsSync) ??
    path.join(bin, 'python3')
  );
}

/** Candidate names on PATH: python3.X, python3, python (not -config, not 2.x). */
function isInterpreterName(name: string): boolean {
  return /^python(3(\.\d+)?)?$/.test(name);
}

function pathCandidates(envPath: string): string[] {
  const seen = new Set<string>();
  const candidates: string[] = [];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter(isInterpreterName)) {
      const file = path.join(dir, name);
      try {
        if (!statSync(file).isFile()) continue;
        const key = realpathSync(file);
        if (seen.has(key)) continue;
        seen.add(key);
        candidates.push(file);
      } catch {
        continue;
      }
    }
  }
  return candidates;
}

/** Probes interpreter files; keeps working, non-venv Python 3s, one per real executable. */
async function probeAll(files: string[]): Promise<PythonInstall[]> {
  // A few at a time: wrappers such as pyenv shims are heavy, and runners have 2 cores.
  const probes: (ProbeResult | undefined)[] = [];
  for (let i = 0; i < files.length; i += 4) {
    probes.push(...(await Promise.all(files.slice(i, i + 4).map(file => probeInterpreter(file)))));
  }
  const byExecutable = new Map<string, PythonInstall>();
  for (const probe of probes) {
    if (!probe || probe.venv || byExecutable.has(probe.executable)) continue;
    if (!probe.version.startsWith('3.')) continue;
    byExecutable.set(probe.executable, {
      version: probe.version,
      executable: probe.executable,
      origin: 'path'
    });
  }
  return [...byExecutable.values()];
}

/** Every working, non-venv interpreter on PATH. Slow with many wrappers (pyenv shims): for errors. */
async function pathInterpreters(envPath: string): Promise<PythonInstall[]> {
  return probeAll(pathCandidates(envPath));
}

/** The minor version a name promises (python3.11 → 11), or undefined for python3 / python. */
function minorOfName(file: string): number | undefined {
  const match = /^python3\.(\d+)$/.exec(path.basename(file));
  return match ? Number(match[1]) : undefined;
}

/**
 * The newest interpreter on PATH matching the spec, probing as few files as possible:
 * versioned names (python3.X) whose minor can match, newest minor first, then python3 /
 * python. Each probe of a wrapper such as a pyenv shim costs most of a second.
 */
export async function findOnPath(
  envPath: string,
  spec: VersionSpec
): Promise<PythonInstall | undefined> {
  const candidates = pathCandidates(envPath);
  const byMinor = new Map<number, string[]>();
  const generic: string[] = [];
  for (const file of candidates) {
    const minor = minorOfName(file);
    if (minor === undefined) {
      generic.push(file);
    } else if (mayMatchSeries(spec, 3, minor)) {
      byMinor.set(minor, [...(byMinor.get(minor) ?? []), file]);
    }
  }
  const groups = [
    ...[...byMinor.entries()].sort((a, b) => b[0] - a[0]).map(([, files]) => files),
    generic
  ];
  for (const files of groups) {
    const match = (await probeAll(files))
      .filter(install => pickNewest([install.version], spec))
      .sort(newestFirst)[0];
    if (match) return match;
  }
  return undefined;
}

function newestFirst(a: PythonInstall, b: PythonInstall): number {
  return newestVersionFirst(a.version, b.version);
}

export interface FindOptions {
  toolCacheDir: string | undefined;
  arch: string;
  envPath: string;
}

/** Resolves the spec (from `source`) to an installed interpreter, or fails listing what exists. */
export async function findPython(
  source: SpecSource | undefined,
  options: FindOptions
): Promise<PythonInstall> {
  const spec = parseSpecFrom(source);
  const cached = toolCacheVersions(options.toolCacheDir, options.arch);
  const cachedVersion = pickNewest(cached, spec);
  if (cachedVersion && options.toolCacheDir) {
    const installDir = toolCacheInstallDir(options.toolCacheDir, cachedVersion, options.arch);
    const executable = toolCacheExecutable(options.toolCacheDir, cachedVersion, options.arch);
    const probe = await probeInterpreter(executable, toolCacheLibraryEnv(installDir));
    if (probe)
      return {
        version: probe.version,
        executable: probe.executable,
        origin: 'tool-cache',
        libraryPath: path.join(installDir, 'lib')
      };
  }
  const match = await findOnPath(options.envPath, spec);
  if (match) return match;
  const onPath = await pathInterpreters(options.envPath);
  throw noMatch(spec, source, {
    toolCache: cached,
    path: onPath.map(i => i.version),
    toolCacheDir: options.toolCacheDir
  });
}

/** The spec a source names (any Python 3 without one); parse errors say where it came from. */
export function parseSpecFrom(source: SpecSource | undefined): VersionSpec {
  if (!source) return parseVersionSpec('3');
  try {
    return parseVersionSpec(source.spec);
  } catch (error) {
    throw new ActionError(`${(error as Error).message} (read from ${source.source})`);
  }
}

function listOrNone(versions: string[]): string {
  return versions.length ? [...new Set(versions)].join(', ') : 'none';
}

/** No installed interpreter matches: the caller may download one (see installPython). */
export class PythonNotFoundError extends ActionError {
  constructor(
    /** What was looked for and what exists, without the advice. */
    readonly finding: string,
    hint: string,
    readonly found: FoundVersions
  ) {
    super(`${finding} ${hint}`);
    this.name = 'PythonNotFoundError';
  }
}

function noMatch(
  spec: VersionSpec,
  source: SpecSource | undefined,
  found: FoundVersions
): PythonNotFoundError {
  const where = source ? ` (from ${source.source})` : '';
  const toolCache = found.toolCacheDir
    ? `in the tool cache ${path.join(found.toolCacheDir, 'Python')}: ${listOrNone(found.toolCache)}`
    : 'in the tool cache: RUNNER_TOOL_CACHE is not set';
  return new PythonNotFoundError(
    `No Python matching '${spec.raw}'${where} was found. Found ${toolCache}; on PATH: ${listOrNone(found.path)}.`,
    'Install a matching Python (for example with actions/setup-python before this step) or change the version spec.',
    found
  );
}
