// @ts-check
// What the demo, the benchmark and the tests share about this machine: pip on the index the
// machine gives it with one shared download cache, a runner tool cache holding the machine's
// Python, and a hosted-runner PATH (optionally without some tools).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesRoot = path.join(repoRoot, '.fixtures');

/** One download cache per checkout, shared by every test file, the demo and the benchmark. */
export const downloadCacheRoot = path.join(fixturesRoot, 'cache');

/** The public package index, where the index the machine's pip uses is not set otherwise. */
export const PUBLIC_INDEX_URL = 'https://pypi.org/simple';

/** @type {Record<string, string> | undefined} */
let pipEnv;

/**
 * The package index this machine's pip uses: PIP_INDEX_URL, else `index-url` in pip's
 * configuration, else the public index.
 * @returns {string}
 */
export function machineIndexUrl() {
  if (process.env.PIP_INDEX_URL) return process.env.PIP_INDEX_URL;
  for (const key of ['install.index-url', 'global.index-url']) {
    try {
      const url = execFileSync('python3', ['-m', 'pip', 'config', 'get', key], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore']
      }).trim();
      if (url) return url;
    } catch {
      // Not set.
    }
  }
  return PUBLIC_INDEX_URL;
}

/**
 * The environment the tests, the demo and the benchmark run pip and the package managers in:
 * pip keeps the index this machine gives it (its configuration, PIP_INDEX_URL,
 * PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS pass through untouched, as they do for a user), and
 * every download lands in one cache under .fixtures/cache/ (pip, uv, poetry, pipenv), so the
 * suite fetches each file once (pip's HTTP cache keeps only responses with caching headers: a
 * proxy that strips them leaves pip downloading again). uv and poetry read neither pip's
 * configuration nor PIP_*; pipenv is handed a PIP_INDEX_URL as its PyPI mirror.
 * @returns {Record<string, string>}
 */
export function localPipEnv() {
  if (pipEnv) return pipEnv;
  /** @type {Record<string, string>} */
  const env = {
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    PIP_CACHE_DIR: path.join(downloadCacheRoot, 'pip'),
    UV_CACHE_DIR: path.join(downloadCacheRoot, 'uv'),
    POETRY_CACHE_DIR: path.join(downloadCacheRoot, 'poetry'),
    PIPENV_CACHE_DIR: path.join(downloadCacheRoot, 'pipenv')
  };
  if (process.env.PIP_INDEX_URL) env.PIPENV_PYPI_MIRROR = process.env.PIP_INDEX_URL;
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

/**
 * A PATH like `base` on which none of `names` can be found: `<into>/bin`, a directory of
 * symlinks to everything else on `base` (first match wins, as in the shell's lookup). What a
 * runner without poetry, pipenv or uv installed looks like. Cheap (symlinks only; made once per
 * `into`); it lives in the caller's temporary directory and goes with it.
 * @param {string[]} names
 * @param {string} into
 * @param {string} [base]
 * @returns {string}
 */
export function pathWithout(names, into, base = runnerPath()) {
  const bin = path.join(into, 'bin');
  if (existsSync(bin)) return bin;
  mkdirSync(bin, { recursive: true });
  const seen = new Set(names);
  for (const dir of base.split(path.delimiter).filter(Boolean)) {
    let entries;
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (seen.has(entry)) continue;
      seen.add(entry);
      symlinkSync(path.join(dir, entry), path.join(bin, entry));
    }
  }
  return bin;
}
