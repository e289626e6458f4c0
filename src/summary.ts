// The job summary: what each phase did and how long it took, then the outputs.
import * as core from '@actions/core';
import { describeDatabase, isOnRunner } from './decisions.js';
import type { CheckFinding, DatabaseIdentity } from './django/driver.js';
import type { MigrationReview } from './django/migration-review.js';
import type { OutputValues } from './outputs.js';
import type { PhaseRecord } from './phases.js';
import { reviewHtml } from './summary-review.js';

const ICONS = { ok: '✅', failed: '❌' } as const;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function escapeCell(text: string): string {
  return text.replace(
    /[<>&|]/g,
    c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '|': '&#124;' })[c]!
  );
}

function addPhases(summary: typeof core.summary, phases: PhaseRecord[], totalMs: number): void {
  summary.addTable([
    [
      { data: 'Phase', header: true },
      { data: 'Result', header: true },
      { data: 'Start', header: true },
      { data: 'Duration', header: true },
      { data: 'Details', header: true }
    ],
    ...phases.map(phase => [
      phase.name,
      `${ICONS[phase.status]} ${phase.status}`,
      `+${seconds(phase.start)}`,
      seconds(phase.end - phase.start),
      escapeCell(phase.detail)
    ])
  ]);
  summary.addRaw(`Total: ${seconds(totalMs)}`, true);
}

/** What the summary lists beyond the phases and outputs. */
export interface SummaryDetails {
  checks?: CheckFinding[];
  migrationsApplied?: string[];
  /** The database migrate ran against. */
  database?: DatabaseIdentity;
  /** The pending migrations with their SQL and lint findings (migrate: true or plan). */
  migrationReview?: MigrationReview;
}

/** What failed: the phase (or `inputs` before any phase), the annotation's title and message. */
export interface SummaryFailure {
  phase: string;
  title: string;
  message: string;
}

export function buildSummary(
  phases: PhaseRecord[],
  outputs: OutputValues,
  totalMs: number,
  failure?: SummaryFailure,
  details: SummaryDetails = {}
): typeof core.summary {
  const summary = core.summary.addHeading(failure ? 'setup-django failed' : 'setup-django', 2);
  if (failure) {
    summary.addRaw(
      `<p>${ICONS.failed} Failed in <b>${escapeCell(failure.phase)}</b>: ${escapeCell(failure.title)}</p>`,
      true
    );
    summary.addRaw(`<pre>${escapeCell(failure.message)}</pre>`, true);
  }
  // A run that failed on its inputs has no phases: no empty table, no "Total: 0.0 s".
  if (phases.length > 0) addPhases(summary, phases, totalMs);
  if (details.database) {
    const where = isOnRunner(details.database) ? 'on this runner' : 'not on this runner';
    summary.addRaw(
      `<p>Database migrated: <code>${escapeCell(describeDatabase(details.database))}</code> (alias <code>${escapeCell(details.database.alias)}</code>, ${where})</p>`,
      true
    );
  }
  if (details.migrationsApplied?.length) {
    summary.addDetails(
      `Migrations applied (${details.migrationsApplied.length})`,
      `<ul>${details.migrationsApplied.map(name => `<li><code>${escapeCell(name)}</code></li>`).join('')}</ul>`
    );
  }
  if (details.migrationReview) summary.addRaw(reviewHtml(details.migrationReview), true);
  if (details.checks?.length) {
    summary.addHeading('System check findings', 3);
    summary.addTable([
      [
        { data: 'Level', header: true },
        { data: 'Check', header: true },
        { data: 'Message', header: true }
      ],
      ...details.checks.map(finding => [
        finding.level,
        escapeCell(finding.id ?? ''),
        escapeCell(
          `${finding.obj ? `${finding.obj}: ` : ''}${finding.msg}${finding.hint ? ` (${finding.hint})` : ''}`
        )
      ])
    ]);
  }
  const rows = Object.entries(outputs).filter(([, value]) => value !== undefined && value !== '');
  if (rows.length > 0) {
    summary.addHeading('Outputs', 3);
    summary.addTable([
      [
        { data: 'Output', header: true },
        { data: 'Value', header: true }
      ],
      ...rows.map(([name, value]) => [`<code>${name}</code>`, escapeCell(String(value))])
    ]);
  }
  return summary;
}

export async function writeSummary(
  phases: PhaseRecord[],
  outputs: OutputValues,
  totalMs: number,
  failure?: SummaryFailure,
  details: SummaryDetails = {}
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await buildSummary(phases, outputs, totalMs, failure, details).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${(error as Error).message}`);
  }
}
