// The migration review the driver reports (plan, SQL, lint findings): the plan files, the
// annotations on the migration files, and the job summary section.
import * as core from '@actions/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { MigrationLintLevel } from '../vocabulary/migrations.js';

export { MIGRATION_LINT_LEVELS, type MigrationLintLevel } from '../vocabulary/migrations.js';

export interface LintFinding {
  rule: string;
  message: string;
  fix: string;
  operation: number;
  line: number;
  allowed: boolean;
  allow_reason: string | null;
  /** In a third-party app's migration (outside the project): reported, not counted. */
  external: boolean;
}

export interface PlannedMigration {
  label: string;
  app: string;
  name: string;
  /** Relative to the project directory; absolute outside it (site-packages). */
  file: string | null;
  atomic: boolean;
  /** What `manage.py sqlmigrate` prints for it on the connected database. */
  sql: string;
  sql_error: string | null;
  operations: { index: number; type: string; description: string; line: number }[];
  findings: LintFinding[];
  lint_error: string | null;
}

export interface MigrationReview {
  plan: PlannedMigration[];
  lint: { level: MigrationLintLevel; findings: number; allowed: number } | null;
  /** The database alias and its vendor facts, for the summary's heading. */
  database: string;
  engine: string | null;
  applied: string[];
  /** true: `migrate: plan`, nothing was applied. */
  planOnly: boolean;
}

function countFindings(review: MigrationReview): number {
  return review.lint?.findings ?? 0;
}

/** The workflow-relative path of a project file, for annotations; undefined outside the project. */
export function annotationFile(
  file: string | null,
  projectDir: string,
  workspace: string
): string | undefined {
  if (!file || path.isAbsolute(file)) return undefined;
  return path.relative(workspace, path.join(projectDir, file)).split(path.sep).join('/');
}

/**
 * Each finding as an annotation on its migration file at the operation's line: an error at
 * `migration-lint: error`, else a warning. `projectDir` is where the file sits in the repository
 * (the working directory; in deploy mode the checkout's, as the artifact holds the same tree).
 */
function annotateFindings(review: MigrationReview, projectDir: string, workspace: string): void {
  const level = review.lint?.level ?? 'none';
  if (level === 'none') return;
  for (const migration of review.plan) {
    for (const finding of migration.findings) {
      if (finding.allowed) continue;
      const file = annotationFile(migration.file, projectDir, workspace);
      const text = `${migration.label}: ${finding.message} Safe pattern: ${finding.fix}${finding.external ? ' (a third-party migration: not counted)' : ''}`;
      const properties = {
        title: `Unsafe migration (${finding.rule})`,
        ...(file ? { file, startLine: finding.line } : {})
      };
      if (level === 'error' && !finding.external) core.error(text, properties);
      else core.warning(text, properties);
    }
  }
}

/** The plan as text: each migration with its findings and SQL (what a reviewer reads). */
export function planText(review: MigrationReview): string {
  const lines = [
    `-- Migration plan for the '${review.database}' database (${review.engine ?? 'unknown engine'}): ${review.plan.length} pending`,
    ''
  ];
  for (const migration of review.plan) {
    lines.push(`-- ${migration.label}${migration.file ? ` (${migration.file})` : ''}`);
    for (const finding of migration.findings) {
      const state = finding.allowed ? `allowed: ${finding.allow_reason}` : finding.rule;
      lines.push(`--   [${state}] line ${finding.line}: ${finding.message}`);
      if (!finding.allowed) lines.push(`--     safe pattern: ${finding.fix}`);
    }
    if (migration.sql_error) lines.push(`-- SQL not collected: ${migration.sql_error}`);
    lines.push(migration.sql, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Writes `<dir>/migration-plan-<alias>.json` and `.txt`; returns the JSON path. */
function writePlanFiles(review: MigrationReview, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `migration-plan-${review.database}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(review, null, 2)}\n`);
  writeFileSync(`${base}.txt`, planText(review));
  return `${base}.json`;
}

/** Annotations and plan files for a review; the values of the review's outputs. */
export function publishReview(
  review: MigrationReview,
  where: { projectDir: string; workspace: string; planDir: string }
): { pending: number; findings: number; planPath: string } {
  annotateFindings(review, where.projectDir, where.workspace);
  const planPath = writePlanFiles(review, where.planDir);
  const findings = countFindings(review);
  core.info(
    `Migration plan: ${review.plan.length} pending on '${review.database}'${review.lint ? `, ${findings} lint finding${findings === 1 ? '' : 's'} (migration-lint ${review.lint.level})` : ''}; plan written to ${planPath}.`
  );
  return { pending: review.plan.length, findings, planPath };
}
