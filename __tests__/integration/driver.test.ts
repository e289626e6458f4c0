// The Django driver (src/django/driver.py) run for real with a Django venv on the example
// project and on the messy fixture projects, each copied to a temporary directory first.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDjangoVenv, repoRoot } from '../helpers/python-fixtures.js';

const driver = path.join(repoRoot, 'src', 'django', 'driver.py');
const fixtures = path.join(repoRoot, '__tests__', 'fixtures', 'projects');
const example = path.join(repoRoot, 'examples', 'django-project');
const password = 's3cr3t-PW-9f4e';

interface DriverError {
  code: string;
  message: string;
  detail: Record<string, unknown>;
  traceback: string | null;
}

interface DriverResult {
  ok: boolean;
  django_version: string | null;
  settings_module: string | null;
  static_root: string | null;
  static_url: string | null;
  wsgi_application: string | null;
  asgi_application: string | null;
  databases: Record<string, Record<string, string | null>>;
  secrets: string[];
  checks: { id: string; level: string; msg: string; hint: string | null; obj: string | null }[];
  missing_migrations: Record<string, string[]> | null;
  migrations: {
    planned: string[];
    applied: string[];
    database?: Record<string, string | null>;
  } | null;
  static: { copied: number; unmodified: number; post_processed: number; total: number } | null;
  timings: Record<string, number>;
  error?: DriverError;
}

interface DriverRun {
  status: number | null;
  result: DriverResult;
  json: string;
}

interface RunOptions {
  env?: Record<string, string>;
  pythonArgs?: string[];
}

let python: string;
let work: string;

beforeAll(() => {
  python = ensureDjangoVenv();
  work = mkdtempSync(path.join(os.tmpdir(), 'setup-django-driver-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Copies a project (without build leftovers) to a fresh temporary directory. */
function copyProject(source: string): string {
  const dest = mkdtempSync(path.join(work, `${path.basename(source)}-`));
  const skipped = new Set(['__pycache__', 'db.sqlite3', 'staticfiles']);
  cpSync(source, dest, { recursive: true, filter: src => !skipped.has(path.basename(src)) });
  return dest;
}

function fixture(name: string): string {
  return copyProject(path.join(fixtures, name));
}

/** The environment of the test run, less anything that would choose settings for a project. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  for (const name of ['DJANGO_SETTINGS_MODULE', 'DATABASE_URL', 'DJANGO_ENV', 'SECRET_KEY']) {
    delete env[name];
  }
  delete env.WEBSITE_HOSTNAME;
  return { ...env, ...extra };
}

/** Runs the driver on a project directory and reads the JSON it writes. */
function runDriver(projectDir: string, args: string[] = [], options: RunOptions = {}): DriverRun {
  const resultFile = path.join(mkdtempSync(path.join(work, 'result-')), 'result.json');
  const argv = [
    ...(options.pythonArgs ?? []),
    driver,
    '--project-dir',
    projectDir,
    '--manage-py',
    'manage.py',
    '--result',
    resultFile,
    ...args
  ];
  const child = spawnSync(python, argv, {
    cwd: projectDir,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: 60_000
  });
  if (!existsSync(resultFile)) {
    throw new Error(`driver wrote no result (status ${child.status}):\n${child.stderr}`);
  }
  const json = readFileSync(resultFile, 'utf8');
  return { status: child.status, result: JSON.parse(json) as DriverResult, json };
}

/** The error of a failed run, after checking the run failed the documented way. */
function failure(run: DriverRun): DriverError {
  expect(run.status).toBe(2);
  expect(run.result.ok).toBe(false);
  expect(run.result.error).toBeDefined();
  return run.result.error as DriverError;
}

function sqlite(database: string, sql: string): string[] {
  const script =
    'import sqlite3, sys\n' +
    'rows = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()\n' +
    'print("\\n".join(str(row[0]) for row in rows))';
  const child = spawnSync(python, ['-c', script, database, sql], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  return child.stdout.trim().split('\n').filter(Boolean);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('the example project', () => {
  let project: string;
  let first: DriverRun;
  let second: DriverRun;

  beforeAll(() => {
    project = copyProject(example);
    const args = ['--migrate', '--collectstatic', '--check-migrations'];
    first = runDriver(project, args);
    second = runDriver(project, args);
  });

  it('reports applied migrations, and 0 on the second run', () => {
    expect(first.status).toBe(0);
    expect(first.result.ok).toBe(true);
    const migrations = first.result.migrations!;
    expect(migrations.planned).toEqual(
      expect.arrayContaining(['polls.0003_seed_question', 'catalog.0003_default_categories'])
    );
    expect(migrations.applied).toEqual(migrations.planned);
    expect(second.status).toBe(0);
    expect(second.result.migrations).toMatchObject({ planned: [], applied: [] });
  });

  it('names the database migrate ran against, from the live connection, without user or password', () => {
    expect(first.result.migrations!.database).toEqual({
      alias: 'default',
      vendor: 'sqlite',
      engine: 'django.db.backends.sqlite3',
      name: path.join(project, 'db.sqlite3'),
      host: null,
      port: null
    });
  });

  it('leaves the tables and the data migrations rows in the SQLite database', () => {
    const database = path.join(project, 'db.sqlite3');
    const tables = sqlite(database, "SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables).toEqual(
      expect.arrayContaining(['django_migrations', 'polls_question', 'catalog_product'])
    );
    expect(sqlite(database, 'SELECT name FROM catalog_category ORDER BY name')).toEqual([
      'Books',
      'Games',
      'Music'
    ]);
  });

  it('collects the static files into STATIC_ROOT and finds them unmodified the second time', () => {
    const staticRoot = path.join(project, 'staticfiles');
    expect(first.result.static_root).toBe(staticRoot);
    const files = listFiles(staticRoot);
    expect(files).toEqual(
      expect.arrayContaining([
        'css/site.css',
        'js/site.js',
        'polls/polls.css',
        'catalog/catalog.js',
        'admin/css/base.css'
      ])
    );
    expect(first.result.static).toEqual({
      copied: files.length,
      unmodified: 0,
      post_processed: 0,
      total: files.length
    });
    expect(second.result.static).toEqual({
      copied: 0,
      unmodified: files.length,
      post_processed: 0,
      total: files.length
    });
  });

  it('reports the settings facts the action turns into outputs', () => {
    const result = first.result;
    expect(result.django_version).toMatch(/^5\.2\./);
    expect(result.settings_module).toBe('mysite.settings');
    expect(result.static_url).toBe('/static/');
    expect(result.wsgi_application).toBe('mysite.wsgi.application');
    expect(result.asgi_application).toBe('mysite.asgi.application');
    expect(result.databases.default).toEqual({
      engine: 'django.db.backends.sqlite3',
      name: path.join(project, 'db.sqlite3'),
      host: null,
      port: null,
      user: null
    });
    expect(result.secrets).toEqual([]);
    expect(result.checks).toEqual([]);
    expect(result.missing_migrations).toEqual({});
    expect(Object.keys(result.timings)).toEqual(
      expect.arrayContaining(['setup', 'check', 'check_migrations', 'migrate', 'collectstatic'])
    );
  });

  it('runs only the system checks when nothing else is asked', () => {
    const run = runDriver(copyProject(example));
    expect(run.status).toBe(0);
    expect(run.result.migrations).toBeNull();
    expect(run.result.static).toBeNull();
    expect(run.result.missing_migrations).toBeNull();
  });
});

describe('projects whose manage.py prepares the environment', () => {
  it('takes the local settings manage.py chooses by default (settings package)', () => {
    const project = fixture('settings-package');
    const run = runDriver(project, ['--migrate', '--collectstatic']);
    expect(run.status).toBe(0);
    expect(run.result.settings_module).toBe('config.settings.local');
    expect(run.result.static_root).toBe(path.join(project, 'staticfiles'));
    expect(run.result.migrations!.applied).toContain('notes.0001_initial');
  });

  it('takes the settings module manage.py chooses from the environment', () => {
    const project = fixture('settings-package');
    const run = runDriver(project, ['--collectstatic'], { env: { DJANGO_ENV: 'production' } });
    expect(run.status).toBe(0);
    expect(run.result.settings_module).toBe('config.settings.production');
    expect(run.result.static_root).toBe(path.join(project, 'public', 'static'));
    expect(existsSync(path.join(project, 'public', 'static', 'notes', 'notes.css'))).toBe(true);
  });

  it('keeps a DJANGO_SETTINGS_MODULE from the environment over the setdefault in manage.py', () => {
    const run = runDriver(fixture('settings-package'), [], {
      env: { DJANGO_SETTINGS_MODULE: 'config.settings.production' }
    });
    expect(run.result.settings_module).toBe('config.settings.production');
  });

  it('applies --settings even when manage.py assigns DJANGO_SETTINGS_MODULE outright', () => {
    const run = runDriver(fixture('settings-package'), ['--settings', 'config.settings.local'], {
      env: { DJANGO_ENV: 'production' }
    });
    expect(run.status).toBe(0);
    expect(run.result.settings_module).toBe('config.settings.local');
  });

  it('loads the .env file manage.py reads before choosing the settings', () => {
    const project = fixture('dotenv');
    const run = runDriver(project, ['--migrate']);
    expect(run.status).toBe(0);
    expect(run.result.settings_module).toBe('web.settings_ci');
    expect(run.result.databases.default.name).toBe(path.join(project, 'ci.sqlite3'));
    expect(existsSync(path.join(project, 'ci.sqlite3'))).toBe(true);
  });

  it('imports apps from the src/ folder manage.py puts on sys.path', () => {
    const run = runDriver(fixture('src-layout'), ['--migrate', '--check-migrations']);
    expect(run.status).toBe(0);
    expect(run.result.settings_module).toBe('project.settings');
    expect(run.result.migrations!.applied).toContain('inventory.0001_initial');
  });

  it('runs a project whose manage.py, settings and requirements have CRLF line endings', () => {
    const source = path.join(fixtures, 'crlf');
    for (const file of ['manage.py', 'crlfsite/settings.py', 'requirements.txt']) {
      expect(readFileSync(path.join(source, file), 'latin1')).toMatch(/\r\n$/);
    }
    const run = runDriver(fixture('crlf'), ['--migrate', '--collectstatic']);
    expect(run.status).toBe(0);
    expect(run.result.settings_module).toBe('crlfsite.settings');
    expect(run.result.migrations!.applied.length).toBeGreaterThan(0);
  });

  it('finishes the work when manage.py catches everything and calls sys.exit', () => {
    const project = fixture('crlf');
    writeFileSync(
      path.join(project, 'manage.py'),
      [
        'import os, sys',
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crlfsite.settings")',
        'from django.core.management import execute_from_command_line',
        'try:',
        '    execute_from_command_line(sys.argv)',
        'except BaseException:',
        '    sys.exit(1)',
        ''
      ].join('\n')
    );
    const run = runDriver(project, ['--migrate']);
    expect(run.status).toBe(0);
    expect(run.result.ok).toBe(true);
  });
});

describe('system checks and migrations checks', () => {
  it('reports deploy warnings without failing at the ERROR level, and keeps silenced checks silent', () => {
    const run = runDriver(fixture('deploy-warnings'), ['--check', 'deploy']);
    expect(run.status).toBe(0);
    const ids = run.result.checks.map(check => check.id);
    expect(ids).toEqual(expect.arrayContaining(['security.W018', 'security.W009']));
    expect(ids).not.toContain('security.W004');
    expect(new Set(run.result.checks.map(check => check.level))).toEqual(new Set(['WARNING']));
  });

  it('finds nothing in the same project without --deploy', () => {
    const run = runDriver(fixture('deploy-warnings'), ['--check', 'system']);
    expect(run.status).toBe(0);
    expect(run.result.checks).toEqual([]);
  });

  it('fails on warnings when the fail level is WARNING', () => {
    const run = runDriver(fixture('deploy-warnings'), [
      '--check',
      'deploy',
      '--check-fail-level',
      'WARNING',
      '--migrate'
    ]);
    const error = failure(run);
    expect(error.code).toBe('check_failed');
    expect(error.message).toContain('security.W018');
    expect(error.detail.ids).toContain('security.W018');
    expect(run.result.migrations).toBeNull();
  });

  it('lists the apps whose models changed without a migration', () => {
    const run = runDriver(fixture('missing-migration'), ['--check-migrations', '--migrate']);
    const error = failure(run);
    expect(error.code).toBe('missing_migrations');
    expect(error.message).toContain('blog');
    expect(run.result.missing_migrations).toEqual({ blog: ['Add field subtitle to post'] });
  });

  it('migrates a project with a missing migration when the check is not asked for', () => {
    const run = runDriver(fixture('missing-migration'), ['--migrate']);
    expect(run.status).toBe(0);
    expect(run.result.missing_migrations).toBeNull();
  });
});

describe('failures', () => {
  it('names the failing migration and lists the ones applied before it', () => {
    const project = fixture('bad-migration');
    const run = runDriver(project, ['--migrate']);
    const error = failure(run);
    expect(error.code).toBe('migration_failed');
    expect(error.detail.migration).toBe('ledger.0002_backfill_amounts');
    expect(error.message).toContain('RuntimeError: backfill failed: exchange rate table is empty');
    expect(run.result.migrations!.applied).toContain('ledger.0001_initial');
    expect(run.result.migrations!.applied).not.toContain('ledger.0002_backfill_amounts');
    const again = runDriver(project, ['--migrate']);
    expect(again.result.migrations!.planned).toEqual(['ledger.0002_backfill_amounts']);
  });

  it('names the module settings fail to import, and the settings line that imports it', () => {
    const error = failure(runDriver(fixture('broken-settings'), ['--migrate']));
    expect(error.code).toBe('settings_import');
    expect(error.message).toContain('brokensite.settings');
    expect(error.message).toContain("ModuleNotFoundError: No module named 'fancy_logging_config'");
    expect(error.detail.frame).toMatchObject({ file: 'brokensite/settings.py', line: 5 });
    expect(error.traceback).toContain('fancy_logging_config');
  });

  it('says to check the settings module when it does not exist', () => {
    const run = runDriver(fixture('settings-package'), ['--settings', 'config.settings.staging']);
    const error = failure(run);
    expect(error.code).toBe('settings_import');
    expect(error.message).toContain('settings-module');
    expect(run.result.settings_module).toBe('config.settings.staging');
  });

  it('asks for STATIC_ROOT or collectstatic: false when STATIC_ROOT is unset', () => {
    const error = failure(runDriver(fixture('no-static-root'), ['--collectstatic']));
    expect(error.code).toBe('static_root_unset');
    expect(error.message).toContain('STATIC_ROOT in nostatic.settings');
    expect(error.message).toContain('collectstatic: false');
  });

  it('reports a collectstatic that fails while post-processing', () => {
    const project = fixture('no-static-root');
    appendFileSync(
      path.join(project, 'nostatic', 'settings.py'),
      [
        'STATIC_ROOT = BASE_DIR / "out"',
        'STORAGES = {',
        '    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},',
        '    "staticfiles": {',
        '        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"',
        '    },',
        '}',
        ''
      ].join('\n')
    );
    writeFileSync(
      path.join(project, 'nostatic', 'static', 'app.css'),
      'body { background: url("missing.png"); }\n'
    );
    const error = failure(runDriver(project, ['--collectstatic']));
    expect(error.code).toBe('collectstatic_failed');
    expect(error.message).toContain('missing.png');
  });

  it('reports a missing manage.py', () => {
    const error = failure(runDriver(fixture('no-manage-py')));
    expect(error.code).toBe('manage_py_missing');
    expect(error.detail.candidates).toEqual([]);
  });

  it('suggests the folder of a manage.py found below the project directory', () => {
    const root = mkdtempSync(path.join(work, 'monorepo-'));
    cpSync(path.join(fixtures, 'crlf'), path.join(root, 'backend'), { recursive: true });
    const error = failure(runDriver(root));
    expect(error.code).toBe('manage_py_missing');
    expect(error.detail.candidates).toEqual(['backend/manage.py']);
    expect(error.message).toContain('backend/manage.py');
  });

  it('reports Django missing from the environment', () => {
    // -S leaves site-packages (and so Django) off sys.path.
    const error = failure(runDriver(fixture('crlf'), [], { pythonArgs: ['-S'] }));
    expect(error.code).toBe('django_missing');
  });

  it('reports manage.py raising before it starts Django', () => {
    const project = fixture('crlf');
    writeFileSync(
      path.join(project, 'manage.py'),
      'raise RuntimeError("REQUIRED_VAR is not set")\n'
    );
    const error = failure(runDriver(project));
    expect(error.code).toBe('manage_py_failed');
    expect(error.message).toContain('RuntimeError: REQUIRED_VAR is not set');
    expect(error.detail.frame).toMatchObject({ file: 'manage.py', line: 1 });
  });

  it('reports manage.py exiting with an error status before it starts Django', () => {
    const project = fixture('crlf');
    writeFileSync(path.join(project, 'manage.py'), 'import sys\nsys.exit(3)\n');
    const error = failure(runDriver(project));
    expect(error.code).toBe('manage_py_failed');
    expect(error.detail.exit_code).toBe(3);
  });

  it('reports a manage.py that never calls into Django', () => {
    const project = fixture('crlf');
    writeFileSync(path.join(project, 'manage.py'), 'print("not a Django entry point")\n');
    const error = failure(runDriver(project));
    expect(error.code).toBe('manage_py_no_django');
  });

  it('reports an unreachable database without its password', () => {
    const run = runDriver(copyProject(example), ['--migrate'], {
      env: { DATABASE_URL: `postgres://deployer:${password}@127.0.0.1:1/shop` }
    });
    const error = failure(run);
    expect(error.code).toBe('database_unreachable');
    for (const part of ['django.db.backends.postgresql', 'HOST 127.0.0.1', 'PORT 1', 'NAME shop']) {
      expect(error.message).toContain(part);
    }
    expect(error.message).toContain('mysite.settings');
    expect(run.result.secrets).toEqual([password]);
    expect(run.result.databases.default).toEqual({
      engine: 'django.db.backends.postgresql',
      name: 'shop',
      host: '127.0.0.1',
      port: '1',
      user: 'deployer'
    });
    expect(run.json.split(password)).toHaveLength(2); // only the one in secrets
  });

  it('keeps structured values whole when the password is also a path segment', () => {
    // A common password ("postgres", "app") that is also a folder above the project.
    const segment = 'pgsecret';
    const parent = path.join(mkdtempSync(path.join(work, 'segment-')), segment);
    cpSync(example, parent, {
      recursive: true,
      filter: src => !['__pycache__', 'db.sqlite3', 'staticfiles'].includes(path.basename(src))
    });
    const run = runDriver(parent, ['--collectstatic', '--check', 'none'], {
      env: { DATABASE_URL: `postgres://deployer:${segment}@127.0.0.1:1/shop` }
    });
    expect(run.result.ok).toBe(true);
    expect(run.result.secrets).toEqual([segment]);
    expect(run.result.static_root).toBe(path.join(parent, 'staticfiles'));
    expect(run.result.static?.total).toBeGreaterThan(0);
    expect(run.json).not.toContain('***');
  });

  it('reports a database backend that cannot load as improperly configured', () => {
    const run = runDriver(copyProject(example), ['--migrate'], {
      env: { DATABASE_URL: `mysql://deployer:${password}@127.0.0.1:1/shop` }
    });
    const error = failure(run);
    expect(error.code).toBe('improperly_configured');
    expect(error.message).toContain('mysqlclient');
    expect(run.json.split(password)).toHaveLength(2);
  });

  it('reports an unknown database alias as improperly configured', () => {
    const error = failure(runDriver(fixture('crlf'), ['--migrate', '--database', 'replica']));
    expect(error.code).toBe('improperly_configured');
    expect(error.message).toContain("'replica'");
  });

  it('reports anything else as unexpected, with the traceback', () => {
    const project = copyProject(example);
    appendFileSync(path.join(project, 'polls', 'models.py'), '\nraise RuntimeError("exploded")\n');
    const error = failure(runDriver(project, ['--migrate']));
    expect(error.code).toBe('unexpected');
    expect(error.message).toContain('RuntimeError: exploded');
    expect(error.detail.frame).toMatchObject({ file: 'polls/models.py' });
    expect(error.traceback).toContain('Traceback');
  });
});
