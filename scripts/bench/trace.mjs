// Reads what trace-preload.mjs recorded for one step and splits the step's wall time into
// external work (child processes, HTTP to the cache service) and the action's own time.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { unionLength } from './stats.mjs';

export const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'trace-preload.mjs');

/** Environment that makes the action's Node processes write traces into `dir`. */
export function traceEnv(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { BENCH_TRACE_DIR: dir, NODE_OPTIONS: `--import=${pathToFileURL(PRELOAD).href}` };
}

/** Short label for an external event, to group them across runs. */
export function label(event) {
  if (event.kind === 'http') {
    if (/twirp|_apis\/artifactcache/.test(event.what)) return 'cache API (HTTP)';
    return 'cache blob transfer (HTTP)';
  }
  const w = event.what;
  if (/driver\.py/.test(w)) return 'django driver.py';
  if (/-m venv/.test(w)) return 'python -m venv';
  if (/-m pip/.test(w)) return 'pip install';
  if (/^tar\b/.test(w)) return 'tar (+zstd)';
  if (/^(zstd|unzstd|zstdmt)\b/.test(w)) return 'zstd';
  if (/^python[\d.]*\s+-I -c/.test(w)) return 'python -I -c (interpreter probe)';
  if (/^python[\d.]*\s+-c/.test(w)) return 'python -c (venv probe)';
  if (/^python/.test(w)) return `python ${w.split(' ').slice(1, 3).join(' ')}`;
  return w.split(' ')[0];
}

/**
 * @param {string} dir  BENCH_TRACE_DIR of one runAction call
 * @param {{durationMs: number, post?: {durationMs: number}}} result
 */
export function readTraces(dir, result) {
  const traces = readdirSync(dir)
    .filter(f => f.endsWith('.json'))
    .map(f => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
  const step = (pattern, wallMs) => {
    const trace = traces.find(t => pattern.test(t.script));
    if (!trace || wallMs === undefined) return undefined;
    const events = trace.events.map(e => ({
      ...e,
      start: Math.max(e.start, trace.origin),
      end: Math.min(e.end, trace.exit)
    }));
    const externalMs = unionLength(events);
    const byLabel = {};
    for (const e of events) {
      const key = label(e);
      byLabel[key] = (byLabel[key] ?? 0) + (e.end - e.start);
    }
    const first = events.length ? Math.min(...events.map(e => e.start)) : trace.exit;
    const last = events.length ? Math.max(...events.map(e => e.end)) : trace.origin;
    return {
      wallMs,
      processMs: trace.exit - trace.origin,
      externalMs,
      childMs: unionLength(events.filter(e => e.kind === 'child')),
      httpMs: unionLength(events.filter(e => e.kind === 'http')),
      overheadMs: wallMs - externalMs,
      /** Process start (boot, module load, inputs, platform) to the first external call. */
      beforeFirstExternalMs: first - trace.origin,
      /** Last external call's end to process exit (outputs, summary, exit). */
      afterLastExternalMs: trace.exit - last,
      byLabel,
      events: events.map(e => ({
        kind: e.kind,
        what: e.what,
        startMs: Math.round(e.start - trace.origin),
        endMs: Math.round(e.end - trace.origin)
      }))
    };
  };
  return {
    main: step(/(^|\/)index\.js$/, result.durationMs),
    post: step(/(^|\/)post\.js$/, result.post?.durationMs)
  };
}
