#!/usr/bin/env node
// @ts-check
// Runs ONE real @actions/cache operation in its own process (the library reads its
// configuration from process.env at call time) and prints a single JSON line:
//
//   {"command":"save"|"restore","result":<cacheId>|<matched key or null>,
//    "error":null|{"name","message"},"elapsedMs":<duration of the library call>,
//    "logs":{"info":[],"warning":[],"error":[],"notice":[],"debug":[]}}
//
// Everything @actions/core writes to stdout is captured and sorted by level (`::warning::`,
// `::error::`, `::notice::`, `::debug::`, plain lines = core.info); only the JSON reaches the
// real stdout. Exit code 0 when the call returned, 1 when it threw, 2 on bad usage.
//
// Usage:
//   node scripts/e2e/cache-client.mjs save    --path P [--path P2] --key K [--options JSON]
//   node scripts/e2e/cache-client.mjs restore --path P --key K [--restore-key R]...
//                                             [--options JSON]
// --options is the UploadOptions / DownloadOptions object (e.g. '{"segmentTimeoutInMs":1000}').
// Relative paths are relative to GITHUB_WORKSPACE (the client chdirs there, as a runner does).

import { parseArgs } from 'node:util';

/** @type {{info: string[], warning: string[], error: string[], notice: string[], debug: string[]}} */
const logs = { info: [], warning: [], error: [], notice: [], debug: [] };

/** @param {string} s */
const unescape = s => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');

/** @param {string} line */
function classify(line) {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
  if (!command) {
    logs.info.push(line);
    return;
  }
  const [, name, message] = command;
  if (name === 'warning' || name === 'error' || name === 'notice' || name === 'debug') {
    logs[name].push(unescape(message));
  }
  // add-mask, group, endgroup...: dropped
}

const realWrite = process.stdout.write.bind(process.stdout);
let pending = '';
/** @type {any} */ (process.stdout).write = (
  /** @type {string | Uint8Array} */ chunk,
  /** @type {any} */ encoding,
  /** @type {any} */ callback
) => {
  pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    classify(pending.slice(0, newline).replace(/\r$/, ''));
    pending = pending.slice(newline + 1);
  }
  const cb = typeof encoding === 'function' ? encoding : callback;
  if (typeof cb === 'function') cb();
  return true;
};

/**
 * @param {object} out
 * @param {number} code
 */
function finish(out, code) {
  if (pending) classify(pending);
  realWrite(`${JSON.stringify({ ...out, elapsedMs: Date.now() - started, logs })}\n`, () =>
    process.exit(code)
  );
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      path: { type: 'string', multiple: true },
      key: { type: 'string' },
      'restore-key': { type: 'string', multiple: true },
      options: { type: 'string' }
    }
  });
} catch (error) {
  process.stderr.write(`${/** @type {Error} */ (error).message}\n`);
  process.exit(2);
}
const [command] = args.positionals;
const paths = args.values.path ?? [];
const key = args.values.key;
if ((command !== 'save' && command !== 'restore') || !key || paths.length === 0) {
  process.stderr.write('usage: cache-client.mjs save|restore --path P --key K [...]\n');
  process.exit(2);
}
const options = args.values.options ? JSON.parse(args.values.options) : undefined;
// As on a runner, the working directory is the workspace: the library globs the paths
// against the cwd but runs tar with `-C $GITHUB_WORKSPACE`.
if (process.env.GITHUB_WORKSPACE) process.chdir(process.env.GITHUB_WORKSPACE);

const cache = await import('@actions/cache');
const started = Date.now(); // elapsedMs: the library call only, not start-up
try {
  const result =
    command === 'save'
      ? await cache.saveCache(paths, key, options)
      : await cache.restoreCache(paths, key, args.values['restore-key'] ?? [], options);
  finish({ command, result: result ?? null, error: null }, 0);
} catch (error) {
  const e = /** @type {Error} */ (error);
  finish({ command, result: null, error: { name: e?.name, message: e?.message ?? String(e) } }, 1);
}
