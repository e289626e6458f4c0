// Every input read once, validated and typed; nothing else reads INPUT_* variables.
import path from 'node:path';
import { Inputs } from './constants.js';
import { ARTIFACT_FORMATS, checkArtifactName, type ArtifactFormat } from './vocabulary/artifact.js';
import {
  checkServerVersion,
  isValidSmokePath,
  isValidStatus,
  SERVER_KINDS,
  type ServerKind
} from './vocabulary/server.js';
import { MIGRATION_LINT_LEVELS, type MigrationLintLevel } from './vocabulary/migrations.js';
import { ActionError, errorMessage } from './errors.js';
import { nearestName, unquotedVersionHint } from './suggest.js';
import { displayUrl } from './url.js';
import { isInside } from './paths.js';
import { CONTROL_CHARACTER, describeControl } from './control-characters.js';
import { parseAptPackages, type AptPackage } from './vocabulary/apt.js';
import { parseVersionSpec } from './vocabulary/python-spec.js';
import {
  INSTALLERS,
  PACKAGE_MANAGERS,
  type InstallerName,
  type PackageManagerChoice,
  type PackageManagerName
} from './vocabulary/managers.js';
import {
  parseOracleComponents,
  parseOracleSha256,
  type OracleComponent
} from './vocabulary/oracle.js';

export interface ActionInputs {
  /** The workspace every relative path is resolved against (GITHUB_WORKSPACE). */
  workspace: string;
  pythonVersion: string;
  /** Absolute path, or '' when not given. */
  pythonVersionFile: string;
  /** `python-mirror`: base URL of a versions manifest and its archives; '' for actions/python-versions. */
  pythonMirror: string;
  checkLatest: boolean;
  allowPrereleases: boolean;
  /** Sent with Python downloads from GitHub only; '' when none. */
  token: string;
  /** Absolute path of the Django project root. */
  workingDirectory: string;
  /** `auto` picks from the project's files (uv.lock, poetry.lock, Pipfile, requirements, pyproject). */
  packageManager: PackageManagerChoice;
  /** `installer`: what installs a pip project (requirements files, pyproject.toml): pip or uv. */
  installer: InstallerName;
  /** Groups or extras to install besides the production dependencies; empty: none. */
  dependencyGroups: string[];
  /** `poetry-version`, `pipenv-version`, `uv-version`: '' for the one on PATH, else the newest. */
  managerVersions: Record<Exclude<PackageManagerName, 'pip'>, string>;
  /** Absolute paths; empty means "requirements.txt when present". */
  requirementsFiles: string[];
  /** Absolute path of the virtualenv. */
  venvPath: string;
  cache: boolean;
  cacheDependencyPath: string[];
  cacheSuffix: string;
  settingsModule: string;
  /** Apply the pending migrations (`migrate: true`). */
  migrate: boolean;
  /** `migrate: plan`: review the pending migrations (plan, SQL, lint), apply nothing. */
  migratePlan: boolean;
  migrationLint: MigrationLintLevel;
  /** Seconds; 0 leaves the PostgreSQL server's setting. */
  migrateLockTimeout: number;
  migrateStatementTimeout: number;
  /** Absolute path of the artifact to deploy from; '' when not deploying. */
  fromArtifact: string;
  collectstatic: boolean;
  updateEnvironment: boolean;
  aptPackages: AptPackage[];
  /** '' when no Oracle Instant Client is wanted. */
  oracleInstantClient: string;
  oracleComponents: OracleComponent[];
  oracleMirror: string;
  oracleSha256: Partial<Record<OracleComponent, string>>;
  check: CheckMode;
  checkFailLevel: CheckFailLevel;
  checkMigrations: boolean;
  migrateDatabase: string;
  server: ServerChoice;
  serverVersion: string;
  smokeTest: boolean;
  smokeTestPath: string;
  /** undefined: any status below 500 passes. */
  smokeTestStatus: number | undefined;
  /** undefined: no artifact. */
  artifact: ArtifactFormat | undefined;
  artifactName: string;
  /** `command-timeout` in minutes: undefined for the per-kind defaults, 0 for no limit. */
  commandTimeoutMinutes: number | undefined;
}

const CHECK_MODES = ['none', 'system', 'deploy'] as const;
export type CheckMode = (typeof CHECK_MODES)[number];
const CHECK_FAIL_LEVELS = ['ERROR', 'WARNING'] as const;
export type CheckFailLevel = (typeof CHECK_FAIL_LEVELS)[number];
export type ServerChoice = 'none' | ServerKind;

/** One of `accepted` (case-insensitive), or an error naming the input and the accepted values. */
function parseChoice<T extends string>(
  name: string,
  raw: string,
  accepted: readonly T[],
  fallback: T
): T {
  if (raw === '') return fallback;
  const match = accepted.find(value => value.toLowerCase() === raw.toLowerCase());
  if (match === undefined) {
    const guess = nearestName(raw, accepted);
    throw new ActionError(
      `Input '${name}' must be one of ${accepted.join(', ')} (got '${raw}'${guess ? `: did you mean '${guess}'?` : ''}).`
    );
  }
  return match;
}

function parseArtifact(raw: string): ArtifactFormat | undefined {
  const choice = parseChoice(Inputs.Artifact, raw, ['false', 'true', ...ARTIFACT_FORMATS], 'false');
  if (choice === 'false') return undefined;
  return choice === 'true' ? 'tar.gz' : choice;
}

function parseStatus(raw: string): number | undefined {
  if (raw === '') return undefined;
  const status = Number(raw);
  if (!/^\d{3}$/.test(raw) || !isValidStatus(status)) {
    throw new ActionError(
      `Input '${Inputs.SmokeTestStatus}' must be an HTTP status from 100 to 599 (got '${raw}').`
    );
  }
  return status;
}

const OPTIONAL_URL = /^https?:\/\/[^\s]+$/;

type Env = Record<string, string | undefined>;

/** An optional http(s) URL input; `what` completes "must be an http(s) URL…" in the error. */
function readUrl(env: Env, name: Inputs, what: string): string {
  const value = readRaw(env, name);
  if (value !== '' && !OPTIONAL_URL.test(value)) {
    throw new ActionError(
      `Input '${name}' must be an http(s) URL${what} (got '${displayUrl(value)}').`
    );
  }
  return value;
}

/** The variable the runner sets for an input: `INPUT_` + upper-cased name, spaces as `_`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

const KNOWN_INPUTS: readonly string[] = Object.values(Inputs);

function readRaw(env: Env, name: Inputs): string {
  return (env[inputVariable(name)] ?? '').trim();
}

/** Multi-line and/or comma-free lists: one item per line, blank lines and `#` comments dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line !== '' && !line.startsWith('#'));
}

const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

/** Booleans as the YAML 1.2 core schema spells them (what core.getBooleanInput accepts). */
export function parseBoolean(name: string, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback;
  if (TRUE_VALUES.includes(raw)) return true;
  if (FALSE_VALUES.includes(raw)) return false;
  throw new ActionError(
    `Input '${name}' must be a boolean: one of true, True, TRUE, false, False, FALSE (got '${raw}').`
  );
}

/** Rejects INPUT_* variables that action.yml does not declare (the runner only warns). */
export function checkUnknownInputs(env: Env): void {
  const known = new Set(KNOWN_INPUTS.map(inputVariable));
  const unknown = Object.keys(env)
    .filter(key => key.startsWith('INPUT_') && !known.has(key))
    .map(key => key.slice('INPUT_'.length).toLowerCase());
  if (unknown.length > 0) {
    const named = unknown.map(name => {
      const guess = nearestName(name, KNOWN_INPUTS);
      if (!guess) return `'${name}'`;
      return unknown.length === 1
        ? `'${name}': did you mean '${guess}'?`
        : `'${name}' (did you mean '${guess}'?)`;
    });
    const list = named.join(', ');
    throw new ActionError(
      `Unknown input${unknown.length > 1 ? 's' : ''} ${list}${/\?$/.test(list) ? '' : '.'} ` +
        `Valid inputs: ${[...KNOWN_INPUTS].sort().join(', ')}. Check the spelling under 'with:'.`,
      'setup-django: unknown input'
    );
  }
}

/** Inputs documented as lists: new lines (and tabs) may separate their items, nothing else. */
const LIST_INPUTS: ReadonlySet<string> = new Set<string>([
  Inputs.RequirementsFile,
  Inputs.CacheDependencyPath,
  Inputs.AptPackages,
  Inputs.DependencyGroups,
  Inputs.OracleInstantClientComponents,
  Inputs.OracleInstantClientSha256
]);

/**
 * A value must be one line without control characters: a new line in a path would start a new
 * entry wherever it is written one per line (GITHUB_PATH). `list` allows the separators of a
 * list input (each item is checked again by controlItem).
 */
function assertSafeText(name: string, value: string, list = false): void {
  const text = list ? value.replace(/\r?\n|\t/g, ' ') : value;
  const control = CONTROL_CHARACTER.exec(text);
  if (control) {
    throw new ActionError(
      `Input '${name}' contains ${describeControl(control[0])}: give ${list ? 'one item per line, without other control characters' : 'a single line without control characters'}.`
    );
  }
  if (value.length > 4096) {
    throw new ActionError(`Input '${name}' is ${value.length} characters long; the limit is 4096.`);
  }
}

/** One item of a list input (a path per line): no control character, not even a tab. */
function checkListItem(name: string, item: string): string {
  const control = CONTROL_CHARACTER.exec(item);
  if (control) {
    throw new ActionError(
      `Input '${name}' has an item with ${describeControl(control[0])} ('${item.replace(CONTROL_CHARACTER, '?')}'): give one item per line.`
    );
  }
  return item;
}

/**
 * Resolves a path input. Relative paths are taken from `base` and must stay inside the
 * workspace; absolute paths are accepted only where the input documents it.
 */
function resolvePathInput(
  name: string,
  value: string,
  base: string,
  workspace: string,
  allowAbsolute: boolean
): string {
  assertSafeText(name, value);
  if (path.isAbsolute(value)) {
    if (allowAbsolute) return path.normalize(value);
    const resolved = path.normalize(value);
    if (isInside(resolved, workspace)) return resolved;
    throw new ActionError(
      `Input '${name}' is '${value}', outside the workspace ${workspace}. Give a path relative to the workspace.`
    );
  }
  const resolved = path.resolve(base, value);
  if (!isInside(resolved, workspace)) {
    throw new ActionError(
      `Input '${name}' is '${value}', which leads outside the workspace ${workspace}. Give a path inside the repository.`
    );
  }
  return resolved;
}

/**
 * A venv is replaced whole, so `venv-path` may not be the project or the workspace, nor hold them:
 * `.`, `..` or `$HOME` would name the user's files.
 */
function checkVenvPlacement(venvPath: string, workingDirectory: string, workspace: string): string {
  for (const [what, dir] of [
    ['working directory', workingDirectory],
    ['workspace', workspace]
  ] as const) {
    if (isInside(dir, venvPath)) {
      throw new ActionError(
        `Input '${Inputs.VenvPath}' is ${venvPath}, which ${venvPath === dir ? 'is' : 'contains'} the ${what} ${dir}: the virtualenv needs a folder of its own. Choose another '${Inputs.VenvPath}', for example .venv.`
      );
    }
  }
  return venvPath;
}

/** Group and extra names as PEP 735 / PEP 685 allow them. */
const GROUP_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** `dependency-groups`: names separated by spaces, commas or newlines; each once. */
function parseDependencyGroups(raw: string): string[] {
  const names = raw.split(/[\s,]+/).filter(Boolean);
  for (const name of names) {
    if (!GROUP_NAME.test(name)) {
      throw new ActionError(
        `Input '${Inputs.DependencyGroups}' names '${name}', which is not a group or extra name: use letters, digits, '.', '_' and '-', separated by spaces, commas or newlines (for example 'dev, test').`
      );
    }
  }
  return [...new Set(names)];
}

/** A manager version pin: digits and dots, 1 to 4 parts (a prefix pins the series). */
function parseToolVersionInput(name: string, raw: string): string {
  if (raw !== '' && !/^\d+(\.\d+){0,3}$/.test(raw)) {
    throw new ActionError(
      `Input '${name}' must be a version such as 2.1.3, or 2.1 for any 2.1.x (got '${raw}').`
    );
  }
  return raw;
}

/** `python-version` parses as a spec (PEP 440 or a shorthand), or the step fails before any work. */
function checkPythonVersionInput(value: string): void {
  try {
    parseVersionSpec(value);
  } catch (error) {
    throw new ActionError(`Input '${Inputs.PythonVersion}': ${errorMessage(error)}`);
  }
}

/** `command-timeout`: minutes (decimals allowed), 0 for no limit; '' keeps the defaults. */
function parseCommandTimeout(raw: string): number | undefined {
  if (raw === '') return undefined;
  const minutes = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(minutes) || minutes > 10_000) {
    throw new ActionError(
      `Input '${Inputs.CommandTimeout}' must be a number of minutes such as 45 or 0.5, or 0 for no limit (got '${raw}').`
    );
  }
  return minutes;
}

const SETTINGS_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function readInputs(env: Env = process.env): ActionInputs {
  checkUnknownInputs(env);
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
  for (const name of KNOWN_INPUTS)
    assertSafeText(name, readRaw(env, name as Inputs), LIST_INPUTS.has(name));

  const workingDirectory = resolvePathInput(
    Inputs.WorkingDirectory,
    readRaw(env, Inputs.WorkingDirectory) || '.',
    workspace,
    workspace,
    false
  );
  const inProject = (name: Inputs, value: string, allowAbsolute = false): string =>
    resolvePathInput(name, value, workingDirectory, workspace, allowAbsolute);

  const pythonVersionFile = readRaw(env, Inputs.PythonVersionFile);
  const settingsModule = readRaw(env, Inputs.SettingsModule);
  if (settingsModule !== '' && !SETTINGS_MODULE.test(settingsModule)) {
    throw new ActionError(
      `Input '${Inputs.SettingsModule}' must be a dotted Python module path such as 'mysite.settings' (got '${settingsModule}').`
    );
  }
  const pythonVersion = readRaw(env, Inputs.PythonVersion);
  const unquoted = unquotedVersionHint(Inputs.PythonVersion, pythonVersion);
  if (unquoted) throw new ActionError(unquoted, 'setup-django: python-version');
  if (pythonVersion !== '') checkPythonVersionInput(pythonVersion);
  const pythonMirror = readUrl(
    env,
    Inputs.PythonMirror,
    ' serving versions-manifest.json and the archives it lists'
  );
  const cacheSuffix = readRaw(env, Inputs.CacheSuffix);
  if (!/^[A-Za-z0-9._+=@-]*$/.test(cacheSuffix)) {
    throw new ActionError(
      `Input '${Inputs.CacheSuffix}' may contain only letters, digits and . _ + = @ - (got '${cacheSuffix}').`
    );
  }

  const oracleComponents = parseOracleComponents(
    readRaw(env, Inputs.OracleInstantClientComponents)
  );
  const oracleMirror = readUrl(
    env,
    Inputs.OracleInstantClientUrl,
    ", the base under which Oracle's zip file names are served"
  );
  const oracleInstantClient = readRaw(env, Inputs.OracleInstantClient);
  if (oracleInstantClient !== '' && !/^(latest|\d+(\.\d+){0,4})$/.test(oracleInstantClient)) {
    throw new ActionError(
      `Input '${Inputs.OracleInstantClient}' must be 'latest' or a version such as 23.8, 21.18 or 19.30 (got '${oracleInstantClient}').`
    );
  }
  const migrateDatabase = readRaw(env, Inputs.MigrateDatabase) || 'default';
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(migrateDatabase)) {
    throw new ActionError(
      `Input '${Inputs.MigrateDatabase}' must be a DATABASES alias such as default (got '${migrateDatabase}').`
    );
  }
  const server = parseChoice<ServerChoice>(
    Inputs.Server,
    readRaw(env, Inputs.Server),
    ['none', ...SERVER_KINDS],
    'none'
  );
  const serverVersion = readRaw(env, Inputs.ServerVersion);
  if (serverVersion !== '') checkServerVersion(serverVersion);
  const smokeTest = parseBoolean(Inputs.SmokeTest, readRaw(env, Inputs.SmokeTest), false);
  if (smokeTest && server === 'none') {
    throw new ActionError(
      `Input '${Inputs.SmokeTest}' is true but '${Inputs.Server}' is none: choose the server to test (gunicorn or uvicorn).`
    );
  }
  const smokeTestPath = readRaw(env, Inputs.SmokeTestPath) || '/';
  if (!isValidSmokePath(smokeTestPath)) {
    throw new ActionError(
      `Input '${Inputs.SmokeTestPath}' must be a URL path starting with '/' without spaces, such as /health/ (got '${smokeTestPath}').`
    );
  }
  const artifact = parseArtifact(readRaw(env, Inputs.Artifact));
  const fromArtifact = readRaw(env, Inputs.FromArtifact);
  if (fromArtifact && artifact) {
    throw new ActionError(
      `Inputs '${Inputs.FromArtifact}' and '${Inputs.Artifact}' exclude each other: a deploy from an artifact does not build another one. Remove '${Inputs.Artifact}' from the deploy step.`
    );
  }
  const artifactName = readRaw(env, Inputs.ArtifactName) || defaultArtifactName(env);
  if (artifact) checkArtifactName(artifactName, artifact);

  return {
    workspace,
    pythonVersion,
    pythonVersionFile: pythonVersionFile
      ? inProject(Inputs.PythonVersionFile, pythonVersionFile)
      : '',
    pythonMirror,
    checkLatest: parseBoolean(Inputs.CheckLatest, readRaw(env, Inputs.CheckLatest), false),
    allowPrereleases: parseBoolean(
      Inputs.AllowPrereleases,
      readRaw(env, Inputs.AllowPrereleases),
      false
    ),
    token: readRaw(env, Inputs.Token),
    workingDirectory,
    packageManager: parseChoice<PackageManagerChoice>(
      Inputs.PackageManager,
      readRaw(env, Inputs.PackageManager),
      ['auto', ...PACKAGE_MANAGERS],
      'auto'
    ),
    installer: parseChoice(Inputs.Installer, readRaw(env, Inputs.Installer), INSTALLERS, 'pip'),
    dependencyGroups: parseDependencyGroups(readRaw(env, Inputs.DependencyGroups)),
    managerVersions: {
      poetry: parseToolVersionInput(Inputs.PoetryVersion, readRaw(env, Inputs.PoetryVersion)),
      pipenv: parseToolVersionInput(Inputs.PipenvVersion, readRaw(env, Inputs.PipenvVersion)),
      uv: parseToolVersionInput(Inputs.UvVersion, readRaw(env, Inputs.UvVersion))
    },
    requirementsFiles: parseList(readRaw(env, Inputs.RequirementsFile)).map(file =>
      inProject(Inputs.RequirementsFile, file)
    ),
    venvPath: checkVenvPlacement(
      inProject(Inputs.VenvPath, readRaw(env, Inputs.VenvPath) || '.venv', true),
      workingDirectory,
      workspace
    ),
    cache: parseBoolean(Inputs.Cache, readRaw(env, Inputs.Cache), true),
    cacheDependencyPath: parseList(readRaw(env, Inputs.CacheDependencyPath)).map(pattern =>
      checkListItem(Inputs.CacheDependencyPath, pattern)
    ),
    cacheSuffix,
    settingsModule,
    ...parseMigrate(readRaw(env, Inputs.Migrate)),
    migrationLint: parseChoice(
      Inputs.MigrationLint,
      readRaw(env, Inputs.MigrationLint),
      MIGRATION_LINT_LEVELS,
      'warn'
    ),
    migrateLockTimeout: parseSeconds(
      Inputs.MigrateLockTimeout,
      readRaw(env, Inputs.MigrateLockTimeout),
      10
    ),
    migrateStatementTimeout: parseSeconds(
      Inputs.MigrateStatementTimeout,
      readRaw(env, Inputs.MigrateStatementTimeout),
      300
    ),
    fromArtifact: fromArtifact
      ? resolvePathInput(Inputs.FromArtifact, fromArtifact, workspace, workspace, true)
      : '',
    collectstatic: parseBoolean(Inputs.Collectstatic, readRaw(env, Inputs.Collectstatic), true),
    updateEnvironment: parseBoolean(
      Inputs.UpdateEnvironment,
      readRaw(env, Inputs.UpdateEnvironment),
      true
    ),
    aptPackages: parseAptPackages(readRaw(env, Inputs.AptPackages)),
    oracleInstantClient,
    oracleComponents,
    oracleMirror,
    oracleSha256: parseOracleSha256(
      readRaw(env, Inputs.OracleInstantClientSha256),
      oracleComponents
    ),
    check: parseChoice(Inputs.Check, readRaw(env, Inputs.Check), CHECK_MODES, 'system'),
    checkFailLevel: parseChoice(
      Inputs.CheckFailLevel,
      readRaw(env, Inputs.CheckFailLevel),
      CHECK_FAIL_LEVELS,
      'ERROR'
    ),
    checkMigrations: parseBoolean(
      Inputs.CheckMigrations,
      readRaw(env, Inputs.CheckMigrations),
      false
    ),
    migrateDatabase,
    server,
    serverVersion,
    smokeTest,
    smokeTestPath,
    smokeTestStatus: parseStatus(readRaw(env, Inputs.SmokeTestStatus)),
    artifact,
    artifactName,
    commandTimeoutMinutes: parseCommandTimeout(readRaw(env, Inputs.CommandTimeout))
  };
}

/** `migrate`: a boolean, or `plan` (review without applying). */
function parseMigrate(raw: string): { migrate: boolean; migratePlan: boolean } {
  if (raw.toLowerCase() === 'plan') return { migrate: false, migratePlan: true };
  if (raw === '' || TRUE_VALUES.includes(raw) || FALSE_VALUES.includes(raw)) {
    const migrate = parseBoolean(Inputs.Migrate, raw, true);
    return { migrate, migratePlan: false };
  }
  throw new ActionError(`Input '${Inputs.Migrate}' must be true, false or plan (got '${raw}').`);
}

/** A timeout in seconds: a non-negative number, 0 for none. */
function parseSeconds(name: string, raw: string, fallback: number): number {
  if (raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value) || value > 86400) {
    throw new ActionError(
      `Input '${name}' must be a number of seconds from 0 (no timeout) to 86400, such as 10 or 0.5 (got '${raw}').`
    );
  }
  return value;
}

/** `<repository name>-<short sha>`, else `django-app`. */
function defaultArtifactName(env: Env): string {
  const repo = (env.GITHUB_REPOSITORY ?? '').split('/').pop() ?? '';
  const sha = (env.GITHUB_SHA ?? '').slice(0, 7);
  const name = [repo, sha]
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9._+-]/g, '-');
  return /^[A-Za-z0-9_]/.test(name) ? name : 'django-app';
}
