// pip's index settings (PIP_* variables and pip's configuration files, as `pip config list`
// reports them) translated for uv, which reads neither: `installer: uv` installs from the same
// indexes, find-links, constraints and certificates that pip would use.
import * as core from '@actions/core';
import { execCommand } from '../../exec.js';

/** `section.key` → value, as `pip config list` prints them (`:env:` holds the PIP_* variables). */
export type PipConfig = Record<string, string>;

/**
 * Reads one Python string literal (pip prints values with `%r`) starting at `text[0]`.
 * Returns undefined for anything else.
 */
export function parsePythonRepr(text: string): string | undefined {
  const quote = text[0];
  if (quote !== "'" && quote !== '"') return undefined;
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === quote) return i === text.length - 1 ? value : undefined;
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = text[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'" };
    if (next === '"') value += '"';
    else if (next in simple) value += simple[next];
    else if (next === 'x') {
      value += String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else return undefined;
  }
  return undefined;
}

/** The lines of `pip config list`: `global.extra-index-url='file:///a file:///b'`. */
export function parsePipConfigList(output: string): PipConfig {
  const config: PipConfig = {};
  for (const line of output.split(/\r?\n/)) {
    const match = /^([^=\s]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const value = parsePythonRepr(match[2]);
    if (value !== undefined) config[match[1]] = value;
  }
  return config;
}

/**
 * The value pip's `install` command sees for `key`: the PIP_* variable, else the
 * `[install]` section, else `[global]` (pip's own order; files are merged already).
 */
export function effectiveSetting(config: PipConfig, key: string): string | undefined {
  for (const section of [':env:', 'install', 'global']) {
    const value = config[`${section}.${key}`];
    if (value !== undefined) return value;
  }
  return undefined;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean);
}

function truthy(value: string | undefined): boolean {
  return /^(1|true|yes|on|y|t)$/i.test((value ?? '').trim());
}

/** What pip's settings become for uv: environment variables, arguments and log lines. */
export interface UvIndexSettings {
  env: Record<string, string>;
  args: string[];
  /** One line per translated setting ("PIP setting → uv setting: value"), credentials hidden. */
  translated: string[];
  /** pip settings that have no uv equivalent here (they do not reach uv). */
  ignored: string[];
}

/** `https://user:secret@host/…` → `https://***@host/…` for the log. */
export function hideCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i, '$1***@');
}

/** Settings that only shape pip's own behaviour, never which files are installed. */
const PIP_ONLY = new Set([
  'cache-dir',
  'no-cache-dir',
  'default-timeout',
  'timeout',
  'disable-pip-version-check',
  'no-input',
  'progress-bar',
  'retries',
  'quiet',
  'verbose',
  'log',
  'no-color',
  'root-user-action',
  'require-virtualenv',
  'use-feature',
  'use-deprecated',
  'break-system-packages',
  'python',
  'no-python-version-warning'
]);

/** The uv variables whose presence means the user configured uv's indexes themselves. */
const UV_INDEX_VARIABLES = [
  'UV_INDEX',
  'UV_DEFAULT_INDEX',
  'UV_INDEX_URL',
  'UV_EXTRA_INDEX_URL',
  'UV_FIND_LINKS'
];

/**
 * Translates pip's effective settings for `uv pip install`. pip looks in every index and
 * find-links location and takes the best version found anywhere, so uv gets
 * `--index-strategy unsafe-best-match` (uv's default stops at the first index that has the
 * package). Index settings the user gave uv itself (UV_INDEX_URL, ...) win: nothing is
 * translated over them.
 */
export function translatePipSettings(
  config: PipConfig,
  env: Record<string, string | undefined> = {}
): UvIndexSettings {
  const result: UvIndexSettings = { env: {}, args: [], translated: [], ignored: [] };
  const set = (name: string, value: string, from: string, shown = value): void => {
    if (env[name] !== undefined) {
      result.translated.push(`${from}: not translated, ${name} is already set for uv`);
      return;
    }
    result.env[name] = value;
    result.translated.push(`${from} → ${name}=${shown}`);
  };
  const handled = new Set<string>();
  const take = (key: string): string | undefined => {
    handled.add(key);
    return effectiveSetting(config, key);
  };

  const indexUrl = take('index-url');
  const extra = splitList(take('extra-index-url'));
  const findLinks = splitList(take('find-links'));
  const noIndex = truthy(take('no-index'));
  const userIndex = UV_INDEX_VARIABLES.filter(name => env[name] !== undefined);
  if (userIndex.length > 0) {
    result.translated.push(
      `pip's index settings: not translated, uv's own ${userIndex.join(', ')} ${userIndex.length > 1 ? 'are' : 'is'} set`
    );
  } else {
    if (indexUrl) set('UV_INDEX_URL', indexUrl, 'index-url', hideCredentials(indexUrl));
    if (extra.length > 0)
      set(
        'UV_EXTRA_INDEX_URL',
        extra.join(' '),
        'extra-index-url',
        extra.map(hideCredentials).join(' ')
      );
    if (findLinks.length > 0)
      set(
        'UV_FIND_LINKS',
        findLinks.join(','),
        'find-links',
        findLinks.map(hideCredentials).join(',')
      );
    if (noIndex) {
      result.args.push('--no-index');
      result.translated.push('no-index → --no-index');
    }
    if (extra.length > 0 || findLinks.length > 0)
      set('UV_INDEX_STRATEGY', 'unsafe-best-match', "pip's best match across all indexes");
  }
  const constraints = splitList(take('constraint'));
  if (constraints.length > 0) set('UV_CONSTRAINT', constraints.join(' '), 'constraint');
  const trusted = splitList(take('trusted-host'));
  if (trusted.length > 0) set('UV_INSECURE_HOST', trusted.join(' '), 'trusted-host');
  const cert = take('cert');
  if (cert) set('SSL_CERT_FILE', cert, 'cert');
  if (truthy(take('pre'))) set('UV_PRERELEASE', 'allow', 'pre');

  for (const name of Object.keys(config)) {
    const key = name.slice(name.lastIndexOf('.') + 1);
    if (!handled.has(key) && !PIP_ONLY.has(key) && !result.ignored.includes(key))
      result.ignored.push(key);
  }
  return result;
}

/** pip's settings as `pip config list` reports them with this interpreter; {} when it cannot. */
async function readPipConfig(pythonExecutable: string, cwd?: string): Promise<PipConfig> {
  const result = await execCommand(
    pythonExecutable,
    ['-m', 'pip', '--disable-pip-version-check', 'config', 'list'],
    { allowFailure: true, cwd, kind: 'probe' }
  ).catch(() => undefined);
  if (result?.exitCode === 0) return parsePipConfigList(result.stdout);
  core.notice(
    `Could not read pip's configuration with ${pythonExecutable} -m pip config list; uv gets only the PIP_* variables that are set.`
  );
  return pipConfigFromEnv(process.env);
}

/** The PIP_* variables as `pip config list` shows them (`:env:.index-url`), for a Python without pip. */
export function pipConfigFromEnv(env: Record<string, string | undefined>): PipConfig {
  const config: PipConfig = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('PIP_') || value === undefined) continue;
    config[`:env:.${name.slice(4).toLowerCase().replace(/_/g, '-')}`] = value;
  }
  return config;
}

/** Reads pip's settings, translates them for uv and logs what was translated. */
export async function uvIndexSettings(
  pythonExecutable: string,
  cwd?: string,
  env: Record<string, string | undefined> = process.env
): Promise<UvIndexSettings> {
  const settings = translatePipSettings(await readPipConfig(pythonExecutable, cwd), env);
  if (settings.translated.length > 0) {
    core.info(
      `uv does not read pip's configuration; translated from pip's settings (PIP_* variables and pip.conf):\n  ${settings.translated.join('\n  ')}`
    );
  } else {
    core.info("uv does not read pip's configuration; pip has no index settings to translate.");
  }
  if (settings.ignored.length > 0) {
    core.info(`pip settings uv does not get: ${settings.ignored.join(', ')}.`);
  }
  return settings;
}
