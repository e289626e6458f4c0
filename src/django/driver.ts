// Runs the Python driver (driver.py) in the venv and turns its JSON report into results or errors.
import * as core from '@actions/core';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inputs } from '../constants.js';
import { execCommand } from '../exec.js';
import { ActionError, tail } from '../errors.js';
import type { MigrationLintLevel, MigrationReview, PlannedMigration } from './migration-review.js';

export interface DjangoOptions {
  python: string;
  projectDir: string;
  settingsModule: string;
  migrate: boolean;
  collectstatic: boolean;
  check: 'none' | 'system' | 'deploy';
  checkFailLevel: 'ERROR' | 'WARNING';
  checkMigrations: boolean;
  database: string;
  /** `migrate: plan`: review the pending migrations, apply nothing. */
  migratePlan?: boolean;
  migrationLint?: MigrationLintLevel;
  /** PostgreSQL session timeouts for migrate, seconds; 0 leaves the server's. */
  lockTimeout?: number;
  statementTimeout?: number;
  /** Deploying an artifact: what the build had (the driver fails before any phase otherwise). */
  expect?: { djangoVersion?: string; settingsModule?: string };
  /** Called with the migration review whenever the driver reports one, on failure too. */
  onReview?: (review: MigrationReview) => void;
  /** Added to the driver's environment (LD_LIBRARY_PATH for the Oracle client). */
  env?: Record<string, string>;
  tempDir?: string;
}

export interface CheckFinding {
  id: string | null;
  level: string;
  msg: string;
  hint: string | null;
  obj: string | null;
}

export interface DatabaseSummary {
  engine: string;
  name: string;
  host: string;
  port: string | number;
  user: string;
}

/** The database migrate ran against, from the live connection (never user or password). */
export interface DatabaseIdentity {
  alias: string;
  vendor: string;
  engine: string;
  name: string | null;
  host: string | null;
  port: string | null;
}

export interface DjangoReport {
  ok: true;
  django_version: string;
  settings_module: string;
  static_root: string | null;
  static_url: string | null;
  wsgi_application: string | null;
  asgi_application: string | null;
  databases: Record<string, DatabaseSummary>;
  secrets: string[];
  checks: CheckFinding[];
  missing_migrations: Record<string, string[]> | null;
  migrations: { planned: string[]; applied: string[]; database?: DatabaseIdentity } | null;
  migration_plan?: PlannedMigration[] | null;
  lint?: MigrationReview['lint'];
  static: { copied: number; unmodified: number; post_processed: number; total: number } | null;
  timings: Record<string, number>;
}

interface DriverFailure {
  ok: false;
  error: { code: string; message: string; detail?: Record<string, unknown>; traceback?: string };
  secrets?: string[];
  settings_module?: string;
  checks?: CheckFinding[];
  migration_plan?: PlannedMigration[] | null;
  lint?: MigrationReview['lint'];
  migrations?: { planned: string[]; applied: string[] } | null;
  databases?: Record<string, DatabaseSummary>;
}

/** driver.py sits beside this module in src/ and beside the bundle in dist/. */
function driverPath(): string {
  // Not `new URL('./driver.py', import.meta.url)`: ncc would rewrite that into a hashed asset.
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'driver.py');
}

/** manage.py files one or two levels down, to suggest a working-directory. */
function findManagePyBelow(dir: string): string[] {
  const found: string[] = [];
  const skip = new Set(['node_modules', '.git', '.venv', 'venv', '__pycache__']);
  const walk = (current: string, depth: number): void => {
    if (depth > 2 || found.length >= 3) return;
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || skip.has(entry.name) || entry.name.startsWith('.')) continue;
      const child = path.join(current, entry.name);
      if (existsSync(path.join(child, 'manage.py'))) found.push(path.relative(dir, child));
      else walk(child, depth + 1);
    }
  };
  walk(dir, 1);
  return found;
}

/**
 * Checked before any work: the working directory exists, and does not lack a manage.py that a
 * subfolder has (a monorepo without `working-directory`). Without any manage.py around, the
 * Django phase says so later (with everything else it found).
 */
export function assertProjectDir(projectDir: string, workspace: string): void {
  if (!statSync(projectDir, { throwIfNoEntry: false })?.isDirectory()) {
    const below = findManagePyBelow(workspace);
    const given = path.relative(workspace, projectDir) || '.';
    throw new ActionError(
      `Input '${Inputs.WorkingDirectory}' is '${given}', but ${projectDir} ${existsSync(projectDir) ? 'is not a directory' : 'does not exist'}.` +
        (below.length
          ? ` Found manage.py in: ${below.join(', ')}. Set '${Inputs.WorkingDirectory}' to that folder.`
          : ` Set '${Inputs.WorkingDirectory}' to the folder that holds manage.py, relative to the repository root (checked out by actions/checkout before this step).`),
      'setup-django: working-directory'
    );
  }
  if (!existsSync(path.join(projectDir, 'manage.py')) && findManagePyBelow(projectDir).length > 0)
    assertManagePy(projectDir);
}

function assertManagePy(projectDir: string): void {
  if (existsSync(path.join(projectDir, 'manage.py'))) return;
  const below = findManagePyBelow(projectDir);
  const hint = below.length
    ? ` Found manage.py in: ${below.join(', ')}. Set '${Inputs.WorkingDirectory}' to that folder.`
    : ` Set '${Inputs.WorkingDirectory}' to the folder that holds manage.py.`;
  throw new ActionError(`No manage.py in ${projectDir}.${hint}`, 'Django: manage py missing');
}

const FIXES: Record<string, string> = {
  django_missing: `Add Django to your requirements file (or set '${Inputs.RequirementsFile}').`,
  settings_import: `Fix the settings module, or choose another one with '${Inputs.SettingsModule}' or DJANGO_SETTINGS_MODULE.`,
  static_root_unset: '',
  database_unreachable:
    'Start the database before this step (for example a service container) and check DATABASE_URL / DATABASES, or set migrate: false.'
};

function driverError(failure: DriverFailure): ActionError {
  const { code, message } = failure.error;
  const fix = FIXES[code];
  const prefix = code === 'unexpected' ? 'Django failed unexpectedly: ' : '';
  let text = `${prefix}${message}`;
  if (fix && !message.includes(fix)) text += ` ${fix}`;
  if (code === 'unexpected' && failure.error.traceback)
    text += `\n${tail(failure.error.traceback, 15)}`;
  return new ActionError(text, `Django: ${code.replace(/_/g, ' ')}`);
}

/** Each system-check finding as an annotation, at its own level. */
function annotateChecks(findings: CheckFinding[]): void {
  for (const finding of findings) {
    const text = `${finding.obj ? `${finding.obj}: ` : ''}${finding.msg}${finding.hint ? ` HINT: ${finding.hint}` : ''}`;
    const properties = { title: `Django check ${finding.id ?? finding.level}` };
    if (finding.level === 'ERROR' || finding.level === 'CRITICAL') core.error(text, properties);
    else if (finding.level === 'WARNING') core.warning(text, properties);
    else core.notice(text, properties);
  }
}

function driverArgs(options: DjangoOptions, resultFile: string): string[] {
  const args = [
    driverPath(),
    '--project-dir',
    options.projectDir,
    '--manage-py',
    'manage.py',
    '--result',
    resultFile
  ];
  if (options.settingsModule) args.push('--settings', options.settingsModule);
  if (options.migrate) args.push('--migrate');
  if (options.collectstatic) args.push('--collectstatic');
  args.push('--database', options.database);
  args.push('--check', options.check, '--check-fail-level', options.checkFailLevel);
  if (options.checkMigrations) args.push('--check-migrations');
  args.push(...reviewArgs(options));
  return args;
}

/** The driver arguments of the migration review and the artifact expectations. */
function reviewArgs(options: DjangoOptions): string[] {
  const args: string[] = [];
  if (options.migratePlan && !options.migrate) args.push('--migrate-plan');
  args.push('--migration-lint', options.migrationLint ?? 'warn');
  args.push('--lock-timeout', String(options.lockTimeout ?? 0));
  args.push('--statement-timeout', String(options.statementTimeout ?? 0));
  if (options.expect?.djangoVersion) args.push('--expect-django', options.expect.djangoVersion);
  if (options.expect?.settingsModule) args.push('--expect-settings', options.expect.settingsModule);
  return args;
}

/** The review in a driver report (success or failure), when it planned migrations. */
function reviewOf(
  report: DjangoReport | DriverFailure,
  options: DjangoOptions
): MigrationReview | undefined {
  if (!report.migration_plan) return undefined;
  const database = report.databases?.[options.database];
  return {
    plan: report.migration_plan,
    lint: report.lint ?? null,
    database: options.database,
    engine: database?.engine ?? null,
    applied: report.migrations?.applied ?? [],
    planOnly: !options.migrate
  };
}

export async function runDjango(options: DjangoOptions): Promise<DjangoReport> {
  assertManagePy(options.projectDir);
  const dir = mkdtempSync(path.join(options.tempDir ?? os.tmpdir(), 'setup-django-'));
  const resultFile = path.join(dir, 'result.json');
  try {
    const run = await execCommand(options.python, driverArgs(options, resultFile), {
      cwd: options.projectDir,
      env: options.env,
      allowFailure: true,
      kind: 'django'
    });
    let report: DjangoReport | DriverFailure | undefined;
    try {
      report = JSON.parse(readFileSync(resultFile, 'utf8')) as DjangoReport | DriverFailure;
    } catch {
      report = undefined;
    }
    // Mask before anything from the project's process reaches the log.
    for (const secret of report?.secrets ?? []) if (secret) core.setSecret(secret);
    const output = `${run.stdout}${run.stderr}`.trimEnd();
    if (output) {
      core.startGroup('Django output');
      core.info(output);
      core.endGroup();
    }
    if (!report) {
      throw new ActionError(
        `The Django driver exited with code ${run.exitCode} without a report.\n${tail(output, 20)}`
      );
    }
    annotateChecks(report.checks ?? []);
    const review = reviewOf(report, options);
    if (review) options.onReview?.(review);
    if (!report.ok) throw driverError(report);
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
