// The migration review of the driver (src/django/migration_review.py) on real databases: each
// lint rule on migration files as makemigrations writes them (fixture project migration-lint,
// release 1 applied, then release 2's migrations pending), the SQL of the plan, the opt-out
// comment, migration-lint error refusing before anything is applied, and a PostgreSQL lock held
// by another session failing migrate within migrate-lock-timeout.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
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
import { psqlSync, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { ensureDjangoVenv, repoRoot } from '../helpers/python-fixtures.js';

const driver = path.join(repoRoot, 'src', 'django', 'driver.py');
const fixture = path.join(repoRoot, '__tests__', 'fixtures', 'projects', 'migration-lint');

interface Finding {
  rule: string;
  line: number;
  allowed: boolean;
  allow_reason: string | null;
  message: string;
  fix: string;
}
interface Planned {
  label: string;
  file: string;
  sql: string;
  sql_error: string | null;
  lint_error: string | null;
  findings: Finding[];
}
interface Report {
  ok: boolean;
  error?: { code: string; message: string };
  migration_plan: Planned[] | null;
  lint: { level: string; findings: number; allowed: number } | null;
  migrations: { planned: string[]; applied: string[] } | null;
  timeouts: { applied: boolean } | null;
}

let python: string;
let work: string;
let postgres: PostgresServer;
let databases = 0;

beforeAll(async () => {
  python = ensureDjangoVenv();
  work = mkdtempSync(path.join(os.tmpdir(), 'migration-review-'));
  postgres = await startPostgres();
});

afterAll(async () => {
  await postgres?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh PostgreSQL database on the shared cluster; its DATABASE_URL. */
function freshDatabase(): string {
  const name = `review_${++databases}`;
  psqlSync(postgres, `CREATE DATABASE ${name}`);
  return postgres.url.replace(/\/[^/]+$/, `/${name}`);
}

function project(): string {
  const dir = mkdtempSync(path.join(work, 'project-'));
  cpSync(fixture, dir, { recursive: true, filter: src => !/__pycache__|db\.sqlite3/.test(src) });
  return dir;
}

/** Adds release 2's migrations (all, or the named ones) to the project's shop app. */
function release2(dir: string, names?: string[]): void {
  for (const file of readdirSync(path.join(dir, 'release-2'))) {
    if (names && !names.some(name => file.startsWith(name))) continue;
    cpSync(path.join(dir, 'release-2', file), path.join(dir, 'shop', 'migrations', file));
  }
}

function runDriver(dir: string, args: string[], databaseUrl?: string): Report {
  const result = path.join(dir, 'result.json');
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.DJANGO_SETTINGS_MODULE;
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const child = spawnSync(
    python,
    [driver, '--project-dir', dir, '--result', result, '--check', 'none', ...args],
    { cwd: dir, env, encoding: 'utf8', timeout: 120_000 }
  );
  if (!existsSync(result)) throw new Error(`no driver result (${child.status}): ${child.stderr}`);
  return JSON.parse(readFileSync(result, 'utf8')) as Report;
}

function findingsByMigration(report: Report): Record<string, string[]> {
  return Object.fromEntries(
    (report.migration_plan ?? [])
      .filter(m => m.label.startsWith('shop.'))
      .map(m => [
        m.label.slice('shop.'.length),
        m.findings.map(f => `${f.rule}@${f.line}${f.allowed ? ' (allowed)' : ''}`)
      ])
  );
}

const EXPECTED: Record<string, string[]> = {
  '0002_remove_customer_legacy_code': ['remove-field@13'],
  '0003_delete_coupon': ['delete-model@13'],
  '0004_rename_note_order_comment': ['rename-field@13'],
  '0005_rename_archive_archivedorder': ['rename-model@13'],
  '0006_alter_archivedorder_table': ['alter-model-table@13'],
  '0007_customer_country': ['add-field-not-null@13'],
  '0008_alter_order_total': ['alter-field-type@13'],
  '0009_customer_shop_custom_email_idx': ['add-index-not-concurrent@13'],
  '0010_backfill': ['runpython-without-reverse@18', 'runsql-without-reverse@19'],
  '0011_safe_changes': [],
  '0012_remove_order_comment': ['remove-field@14 (allowed)'],
  '0013_remove_order_total': ['remove-field@14']
};

describe('each lint rule on PostgreSQL, after release 1', () => {
  let report: Report;
  beforeAll(() => {
    const dir = project();
    const url = freshDatabase();
    expect(runDriver(dir, ['--migrate'], url).ok).toBe(true);
    release2(dir);
    report = runDriver(dir, ['--migrate-plan'], url);
  });

  it('flags each unsafe operation at its line, and none of the safe patterns', () => {
    expect(report.error).toBeUndefined();
    expect(findingsByMigration(report)).toEqual(EXPECTED);
    expect(report.lint).toEqual({ level: 'warn', findings: 11, allowed: 1 });
  });

  it('names the safe pattern and the table and column', () => {
    const remove = report.migration_plan!.find(m =>
      m.label.endsWith('0002_remove_customer_legacy_code')
    )!;
    expect(remove.file).toBe('shop/migrations/0002_remove_customer_legacy_code.py');
    expect(remove.findings[0].message).toMatch(/shop_customer\.legacy_code/);
    expect(remove.findings[0].fix).toMatch(/SeparateDatabaseAndState.*later release/);
    const notNull = report.migration_plan!.find(m => m.label.endsWith('0007_customer_country'))!;
    expect(notNull.findings[0].fix).toMatch(/nullable.*backfill.*NOT NULL in a later release/);
  });

  it('an opt-out needs a reason: with one it is allowed, without it still counts', () => {
    const allowed = report.migration_plan!.find(m =>
      m.label.endsWith('0012_remove_order_comment')
    )!;
    expect(allowed.findings[0].allow_reason).toBe(
      'Order.comment has not been read since release 1'
    );
    const bare = report.migration_plan!.find(m => m.label.endsWith('0013_remove_order_total'))!;
    expect(bare.findings[0].message).toMatch(/needs a reason after '--'/);
  });

  it('shows the SQL sqlmigrate prints for PostgreSQL, applying nothing', () => {
    const remove = report.migration_plan!.find(m =>
      m.label.endsWith('0002_remove_customer_legacy_code')
    )!;
    expect(remove.sql).toBe(
      [
        'BEGIN;',
        '--',
        '-- Remove field legacy_code from customer',
        '--',
        'ALTER TABLE "shop_customer" DROP COLUMN "legacy_code" CASCADE;',
        'COMMIT;'
      ].join('\n')
    );
    for (const migration of report.migration_plan!) expect(migration.sql_error).toBeNull();
    expect(report.migrations!.applied).toEqual([]);
  });
});

describe('on SQLite', () => {
  it('the same findings, except the PostgreSQL-only index rule', () => {
    const dir = project();
    expect(runDriver(dir, ['--migrate']).ok).toBe(true);
    release2(dir);
    const report = runDriver(dir, ['--migrate-plan']);
    expect(findingsByMigration(report)).toEqual({
      ...EXPECTED,
      '0009_customer_shop_custom_email_idx': []
    });
    expect(report.timeouts!.applied).toBe(false);
  });

  it('a fresh database: tables created by this deploy are nobody’s yet, nothing is flagged', () => {
    const dir = project();
    release2(dir, ['0002', '0003']);
    const report = runDriver(dir, ['--migrate-plan', '--migration-lint', 'error']);
    expect(report.ok).toBe(true);
    expect(report.lint!.findings).toBe(0);
  });
});

describe('third-party migrations', () => {
  it('are shown with their findings but not counted (the project cannot opt out in them)', () => {
    const dir = project();
    expect(runDriver(dir, ['--migrate']).ok).toBe(true);
    // Back to before Django's own auth.0012 (an AlterField widening first_name).
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
    delete env.DATABASE_URL;
    const back = spawnSync(python, ['manage.py', 'migrate', 'auth', '0011', '--noinput', '-v0'], {
      cwd: dir,
      env: { ...env, DJANGO_SETTINGS_MODULE: 'lintsite.settings' },
      encoding: 'utf8'
    });
    expect(back.stderr).toBe('');
    const report = runDriver(dir, ['--migrate-plan', '--migration-lint', 'error']);
    expect(report.ok).toBe(true);
    const auth = report.migration_plan!.find(
      m => m.label === 'auth.0012_alter_user_first_name_max_length'
    )!;
    expect(path.isAbsolute(auth.file)).toBe(true);
    expect(
      auth.findings.map(f => [f.rule, (f as Finding & { external: boolean }).external])
    ).toEqual([['alter-field-type', true]]);
    expect(report.lint!.findings).toBe(0);
  });
});

describe('migration-lint error', () => {
  it('refuses before anything is applied: the database is untouched', () => {
    const dir = project();
    const url = freshDatabase();
    expect(runDriver(dir, ['--migrate'], url).ok).toBe(true);
    release2(dir, ['0002']);
    const report = runDriver(dir, ['--migrate', '--migration-lint', 'error'], url);
    expect(report.ok).toBe(false);
    expect(report.error!.code).toBe('migration_lint');
    expect(report.error!.message).toMatch(
      /shop\.0002_remove_customer_legacy_code \(remove-field at shop\/migrations\/0002_remove_customer_legacy_code\.py:13\).*Nothing was migrated/
    );
    expect(report.migration_plan!.map(m => m.label)).toEqual([
      'shop.0002_remove_customer_legacy_code'
    ]);
    const db = { ...postgres, url };
    expect(
      psqlSync(
        db,
        "SELECT count(*) FROM information_schema.columns WHERE column_name = 'legacy_code'"
      )
    ).toBe('1');
    expect(psqlSync(db, "SELECT count(*) FROM django_migrations WHERE app = 'shop'")).toBe('1');
    // warn applies it.
    const applied = runDriver(dir, ['--migrate', '--migration-lint', 'warn'], url);
    expect(applied.ok).toBe(true);
    expect(applied.migrations!.applied).toEqual(['shop.0002_remove_customer_legacy_code']);
    expect(
      psqlSync(
        db,
        "SELECT count(*) FROM information_schema.columns WHERE column_name = 'legacy_code'"
      )
    ).toBe('0');
  });
});

describe('the PostgreSQL lock timeout', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => {
    if (holder?.pid && holder.exitCode === null) holder.kill('SIGTERM');
    holder = undefined;
  });

  it('a lock held by another session fails migrate within the timeout, naming the migration; the database is as it was', async () => {
    const dir = project();
    const url = freshDatabase();
    expect(runDriver(dir, ['--migrate'], url).ok).toBe(true);
    release2(dir, ['0002']);
    // Another session reads the table inside a long transaction (a running release would).
    holder = spawn(
      path.join(postgres.binDir, 'psql'),
      [
        '-X',
        '-c',
        'BEGIN; LOCK TABLE shop_customer IN ACCESS SHARE MODE; SELECT pg_sleep(120);',
        url
      ],
      { stdio: 'ignore', env: { ...process.env, PGSSLMODE: 'disable' } }
    );
    const db = { ...postgres, url };
    const lockQuery =
      "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'shop_customer' AND l.granted AND l.pid <> pg_backend_pid()";
    for (let i = 0; i < 100 && psqlSync(db, lockQuery) === '0'; i++)
      await new Promise(resolve => setTimeout(resolve, 100));
    expect(psqlSync(db, lockQuery)).not.toBe('0');

    const report = runDriver(
      dir,
      ['--migrate', '--lock-timeout', '1', '--statement-timeout', '0'],
      url
    );
    expect(report.ok).toBe(false);
    expect(report.error!.code).toBe('migration_timeout');
    expect(report.error!.message).toMatch(
      /Migration shop\.0002_remove_customer_legacy_code waited longer than the lock timeout \(migrate-lock-timeout: 1 s\).*rolled back.*as it was before/
    );
    expect(report.timeouts!.applied).toBe(true);
    holder.kill('SIGTERM');
    expect(
      psqlSync(
        db,
        "SELECT count(*) FROM information_schema.columns WHERE column_name = 'legacy_code'"
      )
    ).toBe('1');
    expect(psqlSync(db, "SELECT count(*) FROM django_migrations WHERE app = 'shop'")).toBe('1');
  });

  it('a statement running longer than migrate-statement-timeout fails naming the migration', () => {
    const dir = project();
    const url = freshDatabase();
    writeFileSync(
      path.join(dir, 'shop', 'migrations', '0002_slow.py'),
      [
        'from django.db import migrations',
        '',
        '',
        'class Migration(migrations.Migration):',
        "    dependencies = [('shop', '0001_initial')]",
        "    operations = [migrations.RunSQL('SELECT pg_sleep(5)', migrations.RunSQL.noop)]",
        ''
      ].join('\n')
    );
    const report = runDriver(dir, ['--migrate', '--statement-timeout', '0.5'], url);
    expect(report.error?.code).toBe('migration_timeout');
    expect(report.error!.message).toMatch(
      /Migration shop\.0002_slow ran a statement longer than the statement timeout \(migrate-statement-timeout: 0\.5 s\)/
    );
    expect(
      psqlSync({ ...postgres, url }, "SELECT name FROM django_migrations WHERE app = 'shop'")
    ).toBe('0001_initial');
  });
});
