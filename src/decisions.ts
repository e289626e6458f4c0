// One plain log line per decision the run made (as setup-python logs them); details stay in groups.
import type { DatabaseIdentity, DjangoReport } from './django/driver.js';
import type { OracleInstallResult } from './oslibs/oracle/install.js';
import type { PythonInstall } from './python/find.js';
import type { SpecSource } from './python/version-file.js';
import type { ProvisionResult } from './venv/provision.js';

const PYTHON_ORIGIN: Record<PythonInstall['origin'], string> = {
  'tool-cache': 'found in the runner tool cache',
  path: 'found on PATH',
  download: 'downloaded into the tool cache'
};

/** `Python 3.12.3 (/path/python3.12), found in the tool cache, for '3.12' from input 'python-version'.` */
export function pythonLine(python: PythonInstall, source: SpecSource | undefined): string {
  const why = source
    ? `for '${source.spec}' from ${source.source}`
    : 'the newest found (no python-version input and no version file)';
  return `Python ${python.version} (${python.executable}), ${PYTHON_ORIGIN[python.origin]}, ${why}.`;
}

/** The cache key and what became of it: hit, miss, reused in place, off, or no service. */
export function cacheLine({ cacheKey, cacheHit, restore }: ProvisionResult): string {
  switch (restore.status) {
    case 'hit':
      return cacheHit
        ? `Cache hit: ${cacheKey} (restored and validated in ${(restore.durationMs / 1000).toFixed(1)} s).`
        : `Cache hit: ${cacheKey}, but the restored venv was not usable: rebuilt.`;
    case 'miss':
      return `Cache miss: ${cacheKey} (the venv is built and saved by the post step).`;
    case 'error':
      return `Cache restore failed: ${cacheKey} (${restore.message}); the venv is built.`;
    case 'unavailable':
      return `Cache key ${cacheKey}: no cache service on this runner, the venv is not cached.`;
    case 'local':
      return `Cache key ${cacheKey}: the complete venv already in the workspace is reused.`;
    default:
      return `Cache off (cache: false); the key would be ${cacheKey}.`;
  }
}

export function aptLine(result: { installed: string[]; skipped: string[] }): string {
  const parts = [
    result.installed.length ? `installed ${result.installed.join(' ')}` : 'nothing to install',
    result.skipped.length ? `already present: ${result.skipped.join(' ')}` : ''
  ].filter(Boolean);
  return `apt packages: ${parts.join('; ')}.`;
}

const ORACLE_SOURCE: Record<OracleInstallResult['source'], string> = {
  'tool-cache': 'from the tool cache',
  'actions-cache': 'restored from the actions cache',
  download: 'downloaded'
};

export function oracleLine(result: OracleInstallResult): string {
  return `Oracle Instant Client ${result.version}, ${ORACLE_SOURCE[result.source]}${result.verified ? ', SHA-256 verified' : ', not verified'}, at ${result.path}.`;
}

export function djangoLine(report: DjangoReport): string {
  return `Django ${report.django_version}, settings module ${report.settings_module}.`;
}

/** `postgresql db.example.com:5432/app`, `sqlite /work/db.sqlite3`: never user or password. */
export function describeDatabase(db: DatabaseIdentity): string {
  const host = db.host ? `${db.host}${db.port ? `:${db.port}` : ''}` : '';
  if (db.vendor === 'sqlite' || !host) return `${db.vendor} ${db.name ?? '(no name)'}`;
  return `${db.vendor} ${host}/${db.name ?? ''}`;
}

const LOCAL_HOSTS = new Set(['', 'localhost', '127.0.0.1', '::1', '[::1]']);

/** SQLite, a loopback host, or a unix socket (a host that is a path): the database is this runner's. */
export function isOnRunner(db: DatabaseIdentity): boolean {
  if (db.vendor === 'sqlite') return true;
  const host = (db.host ?? '').toLowerCase();
  return LOCAL_HOSTS.has(host) || host.startsWith('/') || /^127\./.test(host);
}

/** `24 migrations applied to sqlite /work/db.sqlite3.`; undefined when migrate did not run. */
export function migrationsLine(report: DjangoReport): string | undefined {
  const migrations = report.migrations;
  if (!migrations) return undefined;
  const count = migrations.applied.length;
  const where = migrations.database ? ` to ${describeDatabase(migrations.database)}` : '';
  return `${count} migration${count === 1 ? '' : 's'} applied${where}${count === 0 ? ' (up to date)' : ''}.`;
}

/** The notice for a migrate that reached a database off this runner (shared, staging, prod). */
export function remoteDatabaseNotice(report: DjangoReport): string | undefined {
  const db = report.migrations?.database;
  if (!db || isOnRunner(db)) return undefined;
  return `migrate ran against ${describeDatabase(db)} (alias '${db.alias}'), a database that is not on this runner. If that is a shared database, set 'migrate: false' for this job or run it behind an environment with required reviewers.`;
}

export function staticLine(report: DjangoReport, staticRoot: string): string | undefined {
  if (!report.static) return undefined;
  return `${report.static.total} static files collected to ${staticRoot}.`;
}

export function serverLine(
  kind: string,
  install: { version: string; installed: boolean },
  command: string
): string {
  return `Server: ${kind} ${install.version} ${install.installed ? 'installed into the venv' : 'already in the venv'}; serve with: ${command}`;
}

export function smokeLine(path: string, result: { status: number; latencyMs: number }): string {
  return `Smoke test passed: GET ${path} answered ${result.status} in ${result.latencyMs} ms.`;
}
