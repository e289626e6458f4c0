// Preloaded by the benchmark into the action's Node processes (NODE_OPTIONS=--import=…):
// records when every child process and every HTTP request ran, so the benchmark can tell the
// action's own time (Node start-up, module loading, its JavaScript) from the time it waits on
// Python, pip, tar/zstd and the cache service. Writes BENCH_TRACE_DIR/<pid>.json at exit.
// Only wraps functions (same arguments, same return values): the action behaves as without it.
import childProcess from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const dir = process.env.BENCH_TRACE_DIR;

if (dir) {
  const now = () => performance.timeOrigin + performance.now();
  /** @type {{kind: string, what: string, start: number, end?: number}[]} */
  const events = [];
  const preloadedAt = now();

  const describe = (command, args) =>
    [path.basename(String(command)), ...(Array.isArray(args) ? args.slice(0, 3) : [])]
      .join(' ')
      .slice(0, 160);

  const wrapAsync = name => {
    const original = childProcess[name];
    childProcess[name] = function (command, args, ...rest) {
      const event = { kind: 'child', what: describe(command, args), start: now() };
      events.push(event);
      const child = original.call(this, command, args, ...rest);
      const done = () => (event.end ??= now());
      child.once('close', done);
      child.once('error', done);
      return child;
    };
  };
  const wrapSync = name => {
    const original = childProcess[name];
    childProcess[name] = function (command, args, ...rest) {
      const event = { kind: 'child', what: describe(command, args), start: now() };
      events.push(event);
      try {
        return original.call(this, command, args, ...rest);
      } finally {
        event.end = now();
      }
    };
  };
  ['spawn', 'execFile', 'exec', 'fork'].forEach(wrapAsync);
  ['spawnSync', 'execFileSync', 'execSync'].forEach(wrapSync);

  for (const [proto, module] of [
    ['http', http],
    ['https', https]
  ]) {
    for (const name of ['request', 'get']) {
      const original = module[name];
      module[name] = function (...args) {
        const first = args[0];
        const url =
          typeof first === 'string' || first instanceof URL
            ? String(first)
            : `${proto}://${first?.host ?? first?.hostname ?? ''}${first?.path ?? ''}`;
        const event = { kind: 'http', what: url.replace(/\?.*$/, '').slice(0, 160), start: now() };
        events.push(event);
        const request = original.apply(this, args);
        const done = () => (event.end = Math.max(event.end ?? 0, now()));
        request.once('close', done);
        request.once('error', done);
        request.once('response', response => response.once('close', done));
        return request;
      };
    }
  }
  syncBuiltinESMExports();

  process.once('exit', () => {
    const exit = now();
    for (const event of events) event.end ??= exit;
    try {
      writeFileSync(
        path.join(dir, `${process.pid}.json`),
        JSON.stringify({
          pid: process.pid,
          script: process.argv[1] ?? '',
          origin: performance.timeOrigin,
          preloadedAt,
          exit,
          events
        })
      );
    } catch {
      // The trace is best effort; the action's exit code matters more.
    }
  });
}
