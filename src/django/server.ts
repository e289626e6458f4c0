// The WSGI/ASGI server: the deploy command, its installation into the venv, and the smoke test.
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import * as pep440 from '@renovatebot/pep440';
import { execCommand, ExecError, startBackground } from '../exec.js';
import { ActionError, errorMessage, tail } from '../errors.js';
import { explainPipFailure } from '../venv/managers/pip.js';

export const SERVER_KINDS = ['gunicorn', 'uvicorn'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** WSGI_APPLICATION / ASGI_APPLICATION as the settings report them (dotted paths). */
export interface ServerApp {
  wsgi?: string | null;
  asgi?: string | null;
}

export interface ListenOptions {
  host?: string;
  port?: number;
  /** The project directory, to find asgi.py beside wsgi.py (and the reverse) when a setting is unset. */
  projectDir?: string;
}

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_PORT = 8000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isDottedPath(value: string): boolean {
  const parts = value.split('.');
  return parts.length >= 2 && parts.every(part => IDENTIFIER.test(part));
}

/** 'mysite.wsgi.application' → 'mysite.wsgi:application' (the module:attribute servers take). */
export function toAppSpec(
  dotted: string,
  setting: 'WSGI_APPLICATION' | 'ASGI_APPLICATION'
): string {
  const value = dotted.trim();
  if (!isDottedPath(value)) {
    throw new ActionError(
      `${setting} is '${dotted}', which is not a dotted path to an application object. Set it to '<package>.${setting === 'WSGI_APPLICATION' ? 'wsgi' : 'asgi'}.application' in the settings.`
    );
  }
  const dot = value.lastIndexOf('.');
  return `${value.slice(0, dot)}:${value.slice(dot + 1)}`;
}

/**
 * The module:attribute of the sibling entry point ('wsgi' ↔ 'asgi') when the file exists on disk
 * beside the configured one: 'mysite.wsgi:application' → 'mysite.asgi:application'.
 */
function siblingSpec(
  spec: string,
  sibling: 'wsgi' | 'asgi',
  projectDir?: string
): string | undefined {
  if (!projectDir) return undefined;
  const module = spec.slice(0, spec.indexOf(':'));
  const parts = module.split('.');
  if (parts.length < 2) return undefined;
  const pkg = parts.slice(0, -1);
  if (!existsSync(path.join(projectDir, ...pkg, `${sibling}.py`))) return undefined;
  return `${[...pkg, sibling].join('.')}:application`;
}

/** The module:attribute the server runs, from the settings, or the conventional sibling file. */
export function resolveAppSpec(kind: ServerKind, app: ServerApp, projectDir?: string): string {
  const wsgi = app.wsgi ? toAppSpec(app.wsgi, 'WSGI_APPLICATION') : undefined;
  const asgi = app.asgi ? toAppSpec(app.asgi, 'ASGI_APPLICATION') : undefined;
  if (kind === 'gunicorn') {
    const spec = wsgi ?? (asgi ? siblingSpec(asgi, 'wsgi', projectDir) : undefined);
    if (spec) return spec;
    throw new ActionError(
      `server: gunicorn needs a WSGI application, but the settings have no WSGI_APPLICATION${asgi ? ` and there is no wsgi.py beside ${asgi.split(':')[0]}` : ''}. Set WSGI_APPLICATION = '<package>.wsgi.application' in the settings, or use server: uvicorn for an ASGI application.`
    );
  }
  const spec = asgi ?? (wsgi ? siblingSpec(wsgi, 'asgi', projectDir) : undefined);
  if (spec) return spec;
  throw new ActionError(
    `server: uvicorn needs an ASGI application, but the settings have no ASGI_APPLICATION${wsgi ? ` and there is no asgi.py beside ${wsgi.split(':')[0].replace(/\./g, '/')}.py` : ''}. Set ASGI_APPLICATION = '<package>.asgi.application' in the settings (Django's startproject creates <package>/asgi.py), or use server: gunicorn.`
  );
}

/**
 * The `asgi-application` output: the dotted path of the ASGI application, whatever `server` is.
 * ASGI_APPLICATION when set; else the project's asgi.py beside the WSGI module or the settings
 * package ('mysite.asgi.application'); '' when the project has neither.
 */
export function asgiApplicationPath(
  app: ServerApp & { settingsModule?: string | null },
  projectDir: string
): string {
  if (app.asgi) return app.asgi.trim();
  const candidates: string[][] = [];
  const wsgi = app.wsgi?.trim();
  if (wsgi && isDottedPath(wsgi)) candidates.push(wsgi.split('.').slice(0, -2));
  const settings = app.settingsModule?.trim();
  if (settings && isDottedPath(settings)) {
    // 'config.settings.production' → config/settings/asgi.py, then config/asgi.py
    const parts = settings.split('.');
    for (let end = parts.length - 1; end >= 1; end--) candidates.push(parts.slice(0, end));
  }
  for (const pkg of candidates) {
    if (pkg.length > 0 && existsSync(path.join(projectDir, ...pkg, 'asgi.py')))
      return [...pkg, 'asgi', 'application'].join('.');
  }
  return '';
}

function checkListen(host: string, port: number): void {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host) || host.startsWith('-')) {
    throw new ActionError(`'${host}' is not a valid host to bind the server to.`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ActionError(`'${port}' is not a valid port (0-65535).`);
  }
}

/** The server's arguments after the program name (`gunicorn` or `python -m gunicorn`). */
export function serverArgs(kind: ServerKind, spec: string, host: string, port: number): string[] {
  checkListen(host, port);
  return kind === 'gunicorn'
    ? [
        spec,
        '--bind',
        `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`
      ]
    : [spec, '--host', host, '--port', String(port)];
}

/**
 * The exact command a deploy step runs, e.g. `gunicorn mysite.wsgi:application --bind 0.0.0.0:8000`.
 * Every part is validated (identifiers, host, port), so the string needs no shell quoting.
 */
export function serverCommand(kind: ServerKind, app: ServerApp, opts: ListenOptions = {}): string {
  const spec = resolveAppSpec(kind, app, opts.projectDir);
  return [
    kind,
    ...serverArgs(kind, spec, opts.host ?? DEFAULT_HOST, opts.port ?? DEFAULT_PORT)
  ].join(' ');
}

// --------------------------------------------------------------------------- installation

const BARE_VERSION = /^\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?(?:\.\*)?$/;

/** The PEP 440 specifier a `server-version` value stands for: `23.0.0` → `==23.0.0`, `23.*` → `==23.*`. */
export function serverSpecifier(version: string): string {
  return BARE_VERSION.test(version) ? `==${version}` : version;
}

/**
 * Whether a `server-version` value is accepted: a version (`23.0.0`), a prefix (`23.*`) or a
 * PEP 440 specifier (`>=23,<24`, `~=23.0`), without spaces, extras or markers.
 */
export function isValidServerVersion(version: string): boolean {
  if (version === '' || /\s/.test(version) || version.includes('===')) return false;
  if (!BARE_VERSION.test(version) && !/^[<>=!~]/.test(version)) return false;
  return pep440.validRange(serverSpecifier(version));
}

export function checkServerVersion(version: string): void {
  if (!isValidServerVersion(version)) {
    throw new ActionError(
      `'server-version' is '${version}': give a version such as 23.0.0, 23.* for any 23 release, or a PEP 440 specifier such as >=23,<24 (no spaces, extras or markers).`
    );
  }
}

/** Whether an installed version satisfies `server-version` as pip reads it (zero padding, `X.*`). */
export function versionSatisfies(installed: string, wanted: string): boolean {
  const version = pep440.clean(installed.trim());
  return version !== null && pep440.satisfies(version, serverSpecifier(wanted));
}

/** Whether a version's release is at least `minimum` (`25.1.0` ≥ [25, 1]; prereleases by their release). */
export function versionAtLeast(version: string, minimum: number[]): boolean {
  const release = pep440.explain(pep440.clean(version.trim()))?.base_version;
  return release !== undefined && pep440.gte(release, minimum.join('.'));
}

const VERSION_PROBE = [
  'import importlib.metadata as m, json, sys',
  'try:',
  '    v = m.version(sys.argv[1])',
  'except m.PackageNotFoundError:',
  '    v = None',
  'print(json.dumps(v))'
].join('\n');

/** The installed version of a distribution in the venv, or null. */
export async function installedVersion(
  venvPython: string,
  distribution: string,
  env?: Record<string, string | undefined>
): Promise<string | null> {
  const result = await execCommand(venvPython, ['-c', VERSION_PROBE, distribution], { env });
  return JSON.parse(result.stdout.trim()) as string | null;
}

export interface ServerInstall {
  /** false when a satisfying version was already in the venv. */
  installed: boolean;
  version: string;
}

export interface InstallServerOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Installs gunicorn or uvicorn into the venv with pip, unless a satisfying version is there. */
export async function installServer(
  venvPython: string,
  kind: ServerKind,
  version?: string,
  options: InstallServerOptions = {}
): Promise<ServerInstall> {
  if (!SERVER_KINDS.includes(kind)) {
    throw new ActionError(`'server' is '${kind}': use none, ${SERVER_KINDS.join(' or ')}.`);
  }
  const wanted = version?.trim() || undefined;
  if (wanted) checkServerVersion(wanted);
  const present = await installedVersion(venvPython, kind, options.env);
  if (present && (!wanted || versionSatisfies(present, wanted))) {
    core.info(`${kind} ${present} is already installed in the venv.`);
    return { installed: false, version: present };
  }
  const requirement = wanted ? `${kind}${serverSpecifier(wanted)}` : kind;
  try {
    const result = await execCommand(
      venvPython,
      ['-m', 'pip', 'install', '--disable-pip-version-check', requirement],
      { env: options.env, cwd: options.cwd }
    );
    core.startGroup(`pip install ${requirement}`);
    core.info(`${result.stdout}${result.stderr}`.trimEnd());
    core.endGroup();
  } catch (error) {
    if (!(error instanceof ExecError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    const reason = explainPipFailure(output) ?? `pip exited with code ${error.result.exitCode}.`;
    const fix = wanted ? ` Check 'server-version' (${wanted}).` : '';
    throw new ActionError(
      `Installing ${requirement} into the venv failed: ${reason}${fix}\n--- pip output (last lines) ---\n${tail(output, 20)}`
    );
  }
  const now = await installedVersion(venvPython, kind, options.env);
  if (!now)
    throw new ActionError(`pip installed ${requirement}, but the venv does not list ${kind}.`);
  return { installed: true, version: now };
}

// --------------------------------------------------------------------------- smoke test

export interface SmokeTestOptions {
  venvPython: string;
  projectDir: string;
  kind: ServerKind;
  app: ServerApp;
  /** The path requested: `/` by default. */
  path?: string;
  /** Demand this status; by default any status below 500 passes. */
  expectStatus?: number;
  /** Added to the environment (DJANGO_SETTINGS_MODULE, DEBUG, DATABASE_URL, ...). */
  env?: Record<string, string | undefined>;
  /** How long the server may take to answer, start-up included. */
  timeoutMs?: number;
  /** How long the server gets to stop after SIGTERM before SIGKILL. */
  graceMs?: number;
  /** The installed server version (installServer's), when known: saves a probe. */
  serverVersion?: string;
}

export interface SmokeTestResult {
  status: number;
  /** The time of one request to the warmed-up server. */
  latencyMs: number;
  /** From the start of the process to its first answer. */
  startupMs: number;
  url: string;
  /** The command the smoke test ran (python -m gunicorn ... on the local port). */
  command: string;
  /** Set when the answer, although accepted, is probably not what the user wants to test. */
  hint?: string;
  /** The server's pid (its process group), stopped when smokeTest returns. */
  pid?: number;
}

/** Whether a `smoke-test-path` is accepted: an absolute URL path (query allowed), no spaces. */
export function isValidSmokePath(value: string): boolean {
  return /^\/[\x21-\x7e]*$/.test(value) && !value.startsWith('//');
}

export function isValidStatus(value: number): boolean {
  return Number.isInteger(value) && value >= 100 && value <= 599;
}

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

interface Answer {
  status: number;
  body: string;
  location?: string;
  ms: number;
}

const MAX_BODY = 64 * 1024;

function get(port: number, urlPath: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        headers: {
          Connection: 'close',
          Accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
          'User-Agent': 'setup-django-smoke-test'
        }
      },
      response => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body,
            location: response.headers.location,
            ms: performance.now() - started
          })
        );
        response.on('error', reject);
      }
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** A short, readable excerpt of a response body (the <title> of an HTML page, else its text). */
export function bodyExcerpt(body: string, max = 200): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const text = (title ?? body)
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** What a status probably means for a Django project, to point at the fix. */
export function statusHint(status: number, log: string, location?: string): string | undefined {
  if (status === 400) {
    return "Django answers 400 when the Host header is not in ALLOWED_HOSTS (checked when DEBUG is false): the smoke test sends Host 127.0.0.1, so add '127.0.0.1' or 'localhost' to ALLOWED_HOSTS for this step (for example through an environment variable the settings read).";
  }
  if (status >= 300 && status < 400 && location) {
    return `The response redirects to ${location}${/^https:/i.test(location) ? ' (SECURE_SSL_REDIRECT sends plain-HTTP requests to https; turn it off for this step, or set smoke-test-path to a path that answers directly)' : ''}.`;
  }
  if (status >= 500 && !/Traceback/.test(log)) {
    return "With DEBUG false Django's default LOGGING sends the traceback to ADMINS by mail, not to the console: add a console handler for the 'django.request' logger to see it here, or run the smoke test with DEBUG on.";
  }
  return undefined;
}

function describeExit(exit: {
  exitCode: number | null;
  signal: string | null;
  error?: string;
}): string {
  if (exit.error) return `could not be started (${exit.error})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
}

function startupHint(kind: ServerKind, log: string): string {
  if (new RegExp(`No module named '?${kind}'?`).test(log)) {
    return ` ${kind} is not installed in the venv: set 'server: ${kind}'.`;
  }
  if (
    /ModuleNotFoundError|ImportError|Failed to find attribute|Error loading ASGI app|could not import/i.test(
      log
    )
  ) {
    const setting = kind === 'gunicorn' ? 'WSGI_APPLICATION' : 'ASGI_APPLICATION';
    return ` The application could not be imported: check ${setting} in the settings, the working-directory, and the log below.`;
  }
  return '';
}

/** A failed smoke test: the message has the log tail; the fields are there for callers and tests. */
export class SmokeTestError extends ActionError {
  constructor(
    message: string,
    readonly log: string,
    readonly status: number | undefined,
    readonly pid: number | undefined
  ) {
    super(message, 'Smoke test');
    this.name = 'SmokeTestError';
  }
}

/**
 * Starts the server from the venv on a free local port (cwd = the project), requests the path,
 * and always stops it (the whole process group). Fails on a crash, no answer in time, a 5xx or
 * an unexpected status, with the server's log tail.
 */
export async function smokeTest(options: SmokeTestOptions): Promise<SmokeTestResult> {
  const urlPath = options.path ?? '/';
  if (!isValidSmokePath(urlPath)) {
    throw new ActionError(
      `'smoke-test-path' is '${urlPath}': give a path on the server starting with '/', such as / or /healthz/.`
    );
  }
  if (options.expectStatus !== undefined && !isValidStatus(options.expectStatus)) {
    throw new ActionError(
      `'smoke-test-status' is '${options.expectStatus}': give an HTTP status between 100 and 599, or leave it empty to accept any status below 500.`
    );
  }
  const { kind } = options;
  const spec = resolveAppSpec(kind, options.app, options.projectDir);
  const timeoutMs = options.timeoutMs ?? 60000;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${urlPath}`;
  const args = ['-m', kind, ...serverArgs(kind, spec, '127.0.0.1', port)];
  if (kind === 'gunicorn') {
    args.push('--workers', '1', '--access-logfile', '-');
    // gunicorn 25.1+ opens a control socket in $HOME by default: one per machine, which a
    // throwaway server must not take from (or leave behind for) a real one.
    const version = options.serverVersion ?? (await installedVersion(options.venvPython, kind));
    if (version && versionAtLeast(version, [25, 1])) args.push('--no-control-socket');
  }
  const command = [options.venvPython, ...args].join(' ');
  core.info(`Smoke test: ${command} (in ${options.projectDir}), then GET ${url}`);

  const started = Date.now();
  const server = startBackground(options.venvPython, args, {
    cwd: options.projectDir,
    env: { PYTHONUNBUFFERED: '1', ...options.env }
  });
  // A failure is a message, plus whether the server ever answered (for the hint) and its status.
  let failure: { message: string; answered: boolean; status?: number } | undefined;
  let result: SmokeTestResult | undefined;
  try {
    let first: Answer | undefined;
    while (!first && !failure) {
      const remaining = timeoutMs - (Date.now() - started);
      if (server.hasExited()) {
        const exit = await server.exited;
        failure = {
          message: `The ${kind} server ${describeExit(exit)} before answering ${url}.`,
          answered: false
        };
      } else if (remaining <= 0) {
        failure = {
          message: `The ${kind} server did not answer ${url} within ${Math.round(timeoutMs / 1000)} s.`,
          answered: false
        };
      } else {
        try {
          first = await get(port, urlPath, Math.min(remaining, 10000));
        } catch {
          // Not listening yet (refused), or reset while a worker boots: ask again shortly.
          await Promise.race([sleep(150), server.exited]);
        }
      }
    }
    if (first) {
      const startupMs = Date.now() - started;
      // The first answer may include the application's lazy start: time a second request.
      const answer = await get(port, urlPath, Math.max(timeoutMs - startupMs, 10000));
      const { status } = answer;
      const hint = statusHint(status, server.output(), answer.location);
      const expected = options.expectStatus;
      let bad: string | undefined;
      if (expected !== undefined && status !== expected)
        bad = `GET ${url} answered ${status}, not the expected ${expected} (smoke-test-status).`;
      else if (expected === undefined && status >= 500)
        bad = `GET ${url} answered ${status}: the application failed.`;
      if (bad) {
        const excerpt = bodyExcerpt(answer.body);
        failure = {
          message: `Smoke test failed: ${bad}${excerpt ? ` Response: ${excerpt}` : ''}${hint ? ` ${hint}` : ''}`,
          answered: true,
          status
        };
      } else {
        result = {
          status,
          latencyMs: Math.round(answer.ms),
          startupMs,
          url,
          command,
          pid: server.pid,
          ...(hint ? { hint } : {})
        };
      }
    }
  } catch (error) {
    failure = {
      message: `The smoke test of ${url} failed: ${errorMessage(error)}.`,
      answered: true
    };
  } finally {
    await server.stop(options.graceMs ?? 5000);
  }
  const log = server.output();
  if (log.trim()) {
    core.startGroup(`${kind} log (smoke test)`);
    core.info(log.trimEnd());
    core.endGroup();
  }
  if (failure || !result) {
    const message = failure?.message ?? 'The smoke test failed.';
    const hint = failure && !failure.answered ? startupHint(kind, log) : '';
    throw new SmokeTestError(
      `${message}${hint}\nServer command: ${command}\n--- ${kind} log (last lines) ---\n${tail(log, 30) || '(no output)'}`,
      log,
      failure?.status,
      server.pid
    );
  }
  if (result.hint) core.warning(result.hint, { title: 'Smoke test' });
  return result;
}
