// @ts-check
// What the demo, the benchmark and the tests share about this machine: pip pointed at the
// local package index, a runner tool cache holding the machine's Python, and a hosted-runner PATH.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesRoot = path.join(repoRoot, '.fixtures');

/** @type {Record<string, string> | undefined} */
let pipEnv;

/**
 * pip environment pointing at the machine's local package index (first entry of
 * `pip config get global.extra-index-url`), with retries off so the public index that
 * cannot be reached fails at once instead of stalling.
 * @returns {Record<string, string>}
 */
export function localPipEnv() {
  if (pipEnv) return pipEnv;
  /** @type {Record<string, string>} */
  const env = { PIP_RETRIES: '0', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
  if (process.env.PIP_INDEX_URL) {
    env.PIP_INDEX_URL = process.env.PIP_INDEX_URL;
  } else {
    try {
      const urls = execFileSync(
        'python3',
        ['-m', 'pip', 'config', 'get', 'global.extra-index-url'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore']
        }
      )
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      if (urls.length > 0) {
        env.PIP_INDEX_URL = urls[0];
        if (urls.length > 1) env.PIP_EXTRA_INDEX_URL = urls.slice(1).join(' ');
      }
    } catch {
      // No pip config: pip's own defaults.
    }
  }
  pipEnv = env;
  return env;
}

/** The real prefix and version of the machine's python3 (pyenv, Debian, ...). */
export function machinePython() {
  const out = execFileSync(
    'python3',
    ['-c', 'import sys; print(sys.base_prefix); print("%d.%d.%d" % sys.version_info[:3])'],
    { encoding: 'utf8' }
  ).trim();
  const [prefix, version] = out.split('\n');
  return { prefix, version };
}

/**
 * A runner tool cache (`Python/<version>/<arch>` + `<arch>.complete`) whose one entry is the
 * machine's Python, as actions/setup-python leaves it on a hosted runner.
 */
export function toolCacheWithMachinePython() {
  const { prefix, version } = machinePython();
  const toolCache = path.join(fixturesRoot, 'toolcache');
  const entry = path.join(toolCache, 'Python', version);
  const arch = os.arch();
  if (!existsSync(path.join(entry, `${arch}.complete`))) {
    mkdirSync(entry, { recursive: true });
    try {
      symlinkSync(prefix, path.join(entry, arch));
    } catch {
      /* another process made it */
    }
    writeFileSync(path.join(entry, `${arch}.complete`), '');
  }
  return toolCache;
}

/**
 * PATH as a hosted runner has it: without pyenv's shims (each probe of a shim costs most of
 * a second; hosted runners keep their Pythons in the tool cache instead).
 */
export function runnerPath(base = process.env.PATH ?? '') {
  return base
    .split(path.delimiter)
    .filter(dir => !/\/shims$/.test(dir))
    .join(path.delimiter);
}
