// Public names (inputs, outputs, state keys) in one place: typos become compile errors.

export enum Inputs {
  PythonVersion = 'python-version',
  PythonVersionFile = 'python-version-file',
  PythonMirror = 'python-mirror',
  CheckLatest = 'check-latest',
  AllowPrereleases = 'allow-prereleases',
  Token = 'token',
  WorkingDirectory = 'working-directory',
  PackageManager = 'package-manager',
  DependencyGroups = 'dependency-groups',
  PoetryVersion = 'poetry-version',
  PipenvVersion = 'pipenv-version',
  UvVersion = 'uv-version',
  Installer = 'installer',
  RequirementsFile = 'requirements-file',
  VenvPath = 'venv-path',
  Cache = 'cache',
  CacheDependencyPath = 'cache-dependency-path',
  CacheSuffix = 'cache-suffix',
  SettingsModule = 'settings-module',
  Migrate = 'migrate',
  Collectstatic = 'collectstatic',
  UpdateEnvironment = 'update-environment',
  AptPackages = 'apt-packages',
  OracleInstantClient = 'oracle-instant-client',
  OracleInstantClientComponents = 'oracle-instant-client-components',
  OracleInstantClientUrl = 'oracle-instant-client-url',
  OracleInstantClientSha256 = 'oracle-instant-client-sha256',
  Check = 'check',
  CheckFailLevel = 'check-fail-level',
  CheckMigrations = 'check-migrations',
  MigrateDatabase = 'migrate-database',
  Server = 'server',
  ServerVersion = 'server-version',
  SmokeTest = 'smoke-test',
  SmokeTestPath = 'smoke-test-path',
  SmokeTestStatus = 'smoke-test-status',
  Artifact = 'artifact',
  ArtifactName = 'artifact-name',
  CommandTimeout = 'command-timeout',
  MigrationLint = 'migration-lint',
  MigrateLockTimeout = 'migrate-lock-timeout',
  MigrateStatementTimeout = 'migrate-statement-timeout',
  FromArtifact = 'from-artifact'
}

export enum Outputs {
  PythonVersion = 'python-version',
  PythonPath = 'python-path',
  VenvPath = 'venv-path',
  CacheHit = 'cache-hit',
  CacheKey = 'cache-key',
  CacheMatchedKey = 'cache-matched-key',
  PackageManager = 'package-manager',
  DjangoVersion = 'django-version',
  SettingsModule = 'settings-module',
  MigrationsApplied = 'migrations-applied',
  StaticRoot = 'static-root',
  StaticFilesCount = 'static-files-count',
  OracleClientPath = 'oracle-client-path',
  WsgiApplication = 'wsgi-application',
  AsgiApplication = 'asgi-application',
  ServerCommand = 'server-command',
  ArtifactPath = 'artifact-path',
  MigrationsPending = 'migrations-pending',
  MigrationLintFindings = 'migration-lint-findings',
  MigrationPlanPath = 'migration-plan-path',
  AppPath = 'app-path'
}

export enum State {
  CachePrimaryKey = 'cache-primary-key',
  CachePaths = 'cache-paths',
  CacheSaveReady = 'cache-save-ready',
  /** What the main step left installed in the venv (src/venv/contents.ts). */
  VenvContents = 'venv-contents',
  OracleCacheSave = 'oracle-cache-save',
  ToolCacheSave = 'tool-cache-save'
}

/** Bumped whenever the venv layout or the marker format changes: old cache entries stop matching. */
export const CACHE_FORMAT_VERSION = 'v2';

/** Written into the venv once it is complete; its absence means "half-built, do not reuse". */
export const VENV_MARKER = '.setup-django.json';
