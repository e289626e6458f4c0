// The job summary's migration review section: one line per pending migration, its findings,
// its SQL collapsed. Rendering only: it reads the review the migration phase produced.
import type { MigrationReview } from './django/migration-review.js';

function escapeHtml(text: string): string {
  return text.replace(
    /[<>&"]/g,
    c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!
  );
}

/** The summary section: one line per pending migration, its findings, its SQL collapsed. */
export function reviewHtml(review: MigrationReview): string {
  const pending = review.plan.length;
  const heading = `<h3>Migration review: ${pending} pending on <code>${escapeHtml(review.database)}</code> (${escapeHtml(review.engine ?? 'unknown engine')})${review.planOnly ? ', plan only: nothing applied' : ''}</h3>`;
  if (pending === 0) return `${heading}\n<p>No pending migrations: the database is up to date.</p>`;
  const lint = review.lint;
  const parts = [heading];
  if (lint) {
    const verdict =
      lint.findings === 0
        ? '✅ no unsafe operations'
        : `${lint.level === 'error' ? '❌' : '⚠️'} ${lint.findings} unsafe operation${lint.findings === 1 ? '' : 's'}`;
    parts.push(
      `<p>migration-lint <code>${lint.level}</code>: ${verdict}${lint.allowed ? `, ${lint.allowed} allowed by an opt-out comment` : ''}.</p>`
    );
  }
  const applied = new Set(review.applied);
  for (const migration of review.plan) {
    const counted = migration.findings.filter(f => !f.allowed && !f.external).length;
    const mark = counted ? '⚠️' : applied.has(migration.label) ? '✅' : '⏳';
    const ops = migration.operations.map(op => op.description).join('; ');
    const body: string[] = [];
    if (migration.file) body.push(`<p><code>${escapeHtml(migration.file)}</code></p>`);
    if (migration.findings.length) {
      body.push(
        `<ul>${migration.findings
          .map(f =>
            f.allowed
              ? `<li>✔️ <code>${f.rule}</code> allowed (line ${f.line}): ${escapeHtml(f.allow_reason ?? '')}</li>`
              : `<li>⚠️ <code>${f.rule}</code> (line ${f.line}): ${escapeHtml(f.message)}<br>Safe pattern: ${escapeHtml(f.fix)}</li>`
          )
          .join('')}</ul>`
      );
    }
    if (migration.sql_error)
      body.push(`<p>SQL not collected: ${escapeHtml(migration.sql_error)}</p>`);
    body.push(`<pre lang="sql"><code>${escapeHtml(migration.sql)}</code></pre>`);
    parts.push(
      `<details${counted ? ' open' : ''}><summary>${mark} <code>${escapeHtml(migration.label)}</code>: ${escapeHtml(ops)}</summary>\n\n${body.join('\n')}\n</details>`
    );
  }
  return parts.join('\n');
}
