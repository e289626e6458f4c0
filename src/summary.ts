// The job summary: what each phase did and how long it took, then the outputs.
import * as core from '@actions/core';
import type { OutputValues } from './outputs.js';
import type { PhaseRecord } from './phases.js';

const ICONS = { ok: '✅', failed: '❌', skipped: '⏭️' } as const;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function escapeCell(text: string): string {
  return text.replace(
    /[<>&|]/g,
    c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '|': '&#124;' })[c]!
  );
}

export function buildSummary(
  phases: PhaseRecord[],
  outputs: OutputValues,
  totalMs: number,
  failure?: string
): typeof core.summary {
  const summary = core.summary.addHeading(failure ? 'setup-django failed' : 'setup-django', 2);
  if (failure) summary.addRaw(`<pre>${escapeCell(failure)}</pre>`, true);
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
      phase.status === 'skipped' ? '' : seconds(phase.end - phase.start),
      escapeCell(phase.detail)
    ])
  ]);
  summary.addRaw(`Total: ${seconds(totalMs)}`, true);
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
  failure?: string
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await buildSummary(phases, outputs, totalMs, failure).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${(error as Error).message}`);
  }
}
