// Small helpers the benchmark modules share: statistics, interval arithmetic, timed processes.
import { spawn } from 'node:child_process';

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** @param {number[]} values */
export function stats(values) {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    samples: values
  };
}

/** Seconds with one or two decimals: 12.3 s, 0.25 s. */
export function secs(ms, digits) {
  if (!Number.isFinite(ms)) return '–';
  const d = digits ?? (Math.abs(ms) < 1000 ? 2 : 1);
  return `${(ms / 1000).toFixed(d)} s`;
}

/** Total length of the union of [start, end] intervals (overlaps counted once). */
export function unionLength(intervals) {
  const sorted = intervals.filter(i => i.end > i.start).sort((a, b) => a.start - b.start);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const { start, end } of sorted) {
    if (start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = start;
      curEnd = end;
    } else if (end > curEnd) {
      curEnd = end;
    }
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/**
 * Runs a command to completion and times it (wall clock, spawn to close).
 * @param {string} command
 * @param {string[]} args
 * @param {{cwd?: string, env?: NodeJS.ProcessEnv, allowFailure?: boolean}} [options]
 * @returns {Promise<{ms: number, code: number, stdout: string, stderr: string}>}
 */
export function timed(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', c => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', c => (stderr += c));
    child.on('error', reject);
    child.on('close', code => {
      const result = { ms: performance.now() - started, code: code ?? 1, stdout, stderr };
      if (result.code !== 0 && !options.allowFailure) {
        reject(
          new Error(
            `${[command, ...args].join(' ')} exited with ${result.code}\n${(stderr || stdout).slice(-3000)}`
          )
        );
      } else resolve(result);
    });
  });
}

/** Runs `bash -c script` timed (for pipelines such as tar | zstd). */
export function timedShell(script, options = {}) {
  return timed('bash', ['-o', 'pipefail', '-c', script], options);
}
