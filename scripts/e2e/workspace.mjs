// @ts-check
// What the demo and the benchmark share about a run: a fresh "checkout" of a fixture project
// (no venv, collected static files, bytecode or database left over) and the phase timeline
// read back from the job summary the action wrote.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';

const LEFTOVERS = /(^|\/)(\.venv|staticfiles|__pycache__|db\.sqlite3|media)$/;

/**
 * Replaces `workspace` with a copy of `source`, as actions/checkout leaves a fresh clone.
 * `settle`: flush dirty pages afterwards (`sync`), so that what a timed step writes next does
 * not also pay for writing back the previous run's deleted venv (the benchmark uses it).
 * @param {string} source
 * @param {string} workspace
 * @param {{settle?: boolean}} [options]
 */
export function freshCheckout(source, workspace, options = {}) {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(source, workspace, { recursive: true, filter: path => !LEFTOVERS.test(path) });
  if (options.settle) execFileSync('sync');
}

/**
 * The phase table of the job summary (src/summary.ts): one row per phase with its start and
 * duration (rendered in tenths of a second), result and details.
 * @param {string} summary
 * @returns {{name: string, status: string, startMs: number, durationMs: number | null, detail: string}[]}
 */
export function summaryPhases(summary) {
  const seconds = (/** @type {string} */ text) => {
    const match = /([\d.]+)\s*s/.exec(text);
    return match ? Math.round(Number(match[1]) * 1000) : null;
  };
  return [
    ...summary.matchAll(
      /<tr><td>([^<]+)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g
    )
  ]
    .filter(([, name]) => name !== 'Phase')
    .map(([, name, result, start, duration, detail]) => ({
      name,
      status: result.replace(/^\W+/u, '').trim(),
      startMs: seconds(start) ?? 0,
      durationMs: seconds(duration),
      detail
    }));
}
