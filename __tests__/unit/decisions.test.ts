import * as core from '@actions/core';
import {
  cacheLine,
  describeDatabase,
  isOnRunner,
  migrationsLine,
  pythonLine,
  remoteDatabaseNotice
} from '../../src/decisions.js';
import type { DatabaseIdentity, DjangoReport } from '../../src/django/driver.js';
import type { PhaseRecord } from '../../src/phases.js';
import { buildSummary } from '../../src/summary.js';
import type { ProvisionResult } from '../../src/venv/provision.js';

const db = (over: Partial<DatabaseIdentity>): DatabaseIdentity => ({
  alias: 'default',
  vendor: 'postgresql',
  engine: 'django.db.backends.postgresql',
  name: 'app',
  host: 'db.example.com',
  port: '5432',
  ...over
});

function report(
  database: DatabaseIdentity,
  applied: string[] = ['polls.0001_initial']
): DjangoReport {
  return {
    ok: true,
    django_version: '5.2.17',
    settings_module: 'mysite.settings',
    static_root: null,
    static_url: null,
    wsgi_application: null,
    asgi_application: null,
    databases: {},
    secrets: [],
    checks: [],
    missing_migrations: null,
    migrations: { planned: applied, applied, database },
    static: null,
    timings: {}
  };
}

describe('the database in view', () => {
  it('names vendor, host and name, never user or password', () => {
    expect(describeDatabase(db({}))).toBe('postgresql db.example.com:5432/app');
    expect(
      describeDatabase(db({ vendor: 'sqlite', host: null, port: null, name: '/w/db.sqlite3' }))
    ).toBe('sqlite /w/db.sqlite3');
    expect(describeDatabase(db({ host: 'localhost', port: null }))).toBe(
      'postgresql localhost/app'
    );
  });

  it.each([
    [{ vendor: 'sqlite', host: null }, true],
    [{ host: 'localhost' }, true],
    [{ host: '127.0.0.1' }, true],
    [{ host: '::1' }, true],
    [{ host: '' }, true],
    [{ host: null }, true],
    [{ host: '/var/run/postgresql' }, true],
    [{ host: 'db.example.com' }, false],
    [{ host: '10.0.0.5' }, false],
    [{ vendor: 'oracle', host: 'prod-db' }, false]
  ])('%j is on this runner: %s', (over, expected) => {
    expect(isOnRunner(db(over as Partial<DatabaseIdentity>))).toBe(expected);
  });

  it('logs how many migrations were applied to which database', () => {
    expect(migrationsLine(report(db({})))).toBe(
      '1 migration applied to postgresql db.example.com:5432/app.'
    );
    expect(migrationsLine(report(db({ host: 'localhost' }), []))).toBe(
      '0 migrations applied to postgresql localhost:5432/app (up to date).'
    );
  });

  it('gives a notice only for a database off this runner, naming migrate: false', () => {
    expect(remoteDatabaseNotice(report(db({})))).toMatch(
      /^migrate ran against postgresql db\.example\.com:5432\/app \(alias 'default'\), a database that is not on this runner\..*'migrate: false'/
    );
    expect(remoteDatabaseNotice(report(db({ host: '127.0.0.1' })))).toBeUndefined();
  });

  it('shows the migrated database in the job summary', () => {
    const html = buildSummary([], {}, 0, undefined, { database: db({}) }).stringify();
    core.summary.emptyBuffer();
    expect(html).toContain('Database migrated: <code>postgresql db.example.com:5432/app</code>');
    expect(html).toContain('not on this runner');
  });
});

describe('decision lines', () => {
  it('says which Python and why', () => {
    const python = {
      version: '3.12.3',
      executable: '/opt/py/bin/python3.12',
      origin: 'tool-cache' as const
    };
    expect(pythonLine(python, { spec: '3.12', source: "input 'python-version'" })).toBe(
      "Python 3.12.3 (/opt/py/bin/python3.12), found in the runner tool cache, for '3.12' from input 'python-version'."
    );
    expect(pythonLine({ ...python, origin: 'path' }, undefined)).toMatch(
      /found on PATH, the newest found/
    );
  });

  it.each([
    [
      { status: 'hit', durationMs: 1200, bytes: 1 },
      true,
      /^Cache hit: KEY \(restored and validated in 1\.2 s\)\.$/
    ],
    [
      { status: 'hit', durationMs: 1200, bytes: 1 },
      false,
      /^Cache hit: KEY, but the restored venv was not usable: rebuilt\.$/
    ],
    [{ status: 'miss', durationMs: 10 }, false, /^Cache miss: KEY/],
    [
      { status: 'error', durationMs: 10, message: 'boom' },
      false,
      /^Cache restore failed: KEY \(boom\)/
    ],
    [{ status: 'unavailable', durationMs: 0 }, false, /^Cache key KEY: no cache service/],
    [{ status: 'disabled', durationMs: 0 }, false, /^Cache off \(cache: false\)/]
  ])('cache %j', (restore, cacheHit, expected) => {
    const provision = { cacheKey: 'KEY', cacheHit, restore } as unknown as ProvisionResult;
    expect(cacheLine(provision)).toMatch(expected);
  });
});

describe('the failure summary', () => {
  afterEach(() => core.summary.emptyBuffer());

  it('names the failing phase and its error, without an empty table or a zero total', () => {
    const html = buildSummary([], {}, 0, {
      phase: 'inputs',
      title: 'setup-django: unknown input',
      message: "Unknown input 'pyhton-version': did you mean 'python-version'?"
    }).stringify();
    expect(html).toContain('setup-django failed');
    expect(html).toContain('Failed in <b>inputs</b>: setup-django: unknown input');
    expect(html).toContain('did you mean');
    expect(html).not.toContain('<table>');
    expect(html).not.toContain('Total:');
  });

  it('keeps the phase table when phases ran', () => {
    const phases: PhaseRecord[] = [
      { name: 'python', status: 'ok', start: 0, end: 100, detail: '3.12.3' },
      { name: 'venv', status: 'failed', start: 100, end: 900, detail: 'pip failed' }
    ];
    const html = buildSummary(phases, {}, 900, {
      phase: 'venv',
      title: 'setup-django',
      message: 'Installing the requirements failed'
    }).stringify();
    expect(html).toContain('Failed in <b>venv</b>');
    expect(html).toContain('<td>venv</td><td>❌ failed</td>');
    expect(html).toContain('Total: 0.9 s');
  });
});
